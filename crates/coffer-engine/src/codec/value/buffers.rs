//! What views need to know about the `ArrayBuffer`s of a value (FORMAT.md
//! §4.3 "Views"): which object numbers are buffers, and how long each is,
//! so a view's reference and window can be checked against its buffer.

use super::super::cursor::{Budget, DecodeError};
use crate::model::ViewKind;

/// Most `ArrayBuffer`s one value may hold where views can share them
/// (revision 2, FORMAT.md §4.3): readers keep 16 bytes for each, so this
/// caps that memory at 64 MiB whatever the value. Writers refuse values
/// with more.
pub const MAX_VALUE_BUFFERS: u64 = 1 << 22;

/// The `ArrayBuffer`s of one value so far: `(object number, length)`, in
/// ascending number order (they are numbered as they are met).
#[derive(Default)]
pub(crate) struct Buffers {
    entries: Vec<(u32, u64)>,
}

impl Buffers {
    /// Checks, when an `ArrayBuffer`'s tag is read and before its body, that
    /// the value may hold one more.
    pub(crate) fn admit(&self) -> Result<(), DecodeError> {
        let n = self.entries.len() as u64 + 1;
        if n > MAX_VALUE_BUFFERS {
            return Err(DecodeError::over_limit(
                "ArrayBuffers in one value",
                MAX_VALUE_BUFFERS,
                n,
            ));
        }
        Ok(())
    }

    /// Records buffer `number` of `len` bytes (after [`Buffers::admit`]),
    /// charging its entry to `budget` when there is one.
    pub(crate) fn push(
        &mut self,
        number: u32,
        len: u64,
        budget: Option<&mut Budget>,
    ) -> Result<(), DecodeError> {
        if let Some(b) = budget {
            b.charge_n::<(u32, u64)>(1)?;
        }
        self.entries.push((number, len));
        Ok(())
    }

    /// The length of buffer `number`, or an error when object `number` is
    /// not an `ArrayBuffer` (or not numbered yet).
    pub(crate) fn len_of(&self, number: u32) -> Result<u64, DecodeError> {
        self.entries
            .binary_search_by_key(&number, |e| e.0)
            .map(|i| self.entries[i].1)
            .map_err(|_| {
                DecodeError::new(format!(
                    "a view's buffer refers to object {number}, which is not an ArrayBuffer before it"
                ))
            })
    }
}

/// Checks a view's window: `offset` and `len` multiples of the element
/// size, and `offset + len` within the buffer's `buffer_len` bytes.
pub(crate) fn check_view(
    kind: ViewKind,
    offset: u64,
    buffer_len: u64,
    len: u64,
) -> Result<(), DecodeError> {
    let size = kind.element_size();
    if len % size != 0 || offset % size != 0 {
        return Err(DecodeError::new(format!(
            "{} geometry is not aligned to its element size",
            kind.js_name()
        )));
    }
    match offset.checked_add(len) {
        Some(end) if end <= buffer_len => Ok(()),
        _ => Err(DecodeError::new(format!(
            "{} extends past the end of its buffer",
            kind.js_name()
        ))),
    }
}
