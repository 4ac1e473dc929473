//! Issue 13: memory is bounded by what the reader verified, not by what a
//! file declares. Each phase runs under a hard allocation limit (the `cap`
//! allocator fails any allocation beyond it, which aborts the test), so a
//! regression shows up as a crash here rather than on a user's machine.
//! One test function, because the limit is process-wide.

mod common;

use std::alloc::System;
use std::io::Cursor;

use cap::Cap;
use coffer_engine::codec::write_varint;
use coffer_engine::{BackupReader, Limits};
use common::*;

#[global_allocator]
static ALLOCATOR: Cap<System> = Cap::new(System, usize::MAX);

const MIB: usize = 1 << 20;

/// Runs `f` allowed at most `extra` more bytes than are allocated now.
fn within<T>(extra: usize, f: impl FnOnce() -> T) -> T {
    ALLOCATOR
        .set_limit(ALLOCATOR.allocated() + extra)
        .expect("limit");
    let r = f();
    ALLOCATOR.set_limit(usize::MAX).expect("limit");
    r
}

fn code<T>(r: coffer_engine::Result<T>) -> &'static str {
    match r {
        Ok(_) => "ok",
        Err(e) => e.code(),
    }
}

#[test]
fn memory_stays_within_bounds() {
    // Nested Maps, each declaring ~1M entries (22 GB reserved before the fix).
    let mut value = Vec::new();
    for _ in 0..200 {
        value.push(0x19);
        let left = (MIB - value.len()) as u64;
        write_varint(&mut value, left);
    }
    value.resize(MIB, 0);
    let file = one_value(&value);
    let r = within(48 * MIB, || {
        let mut r = BackupReader::open(Cursor::new(&file), Limits::default())?;
        r.read_part(0, 0, 0)
    });
    assert_eq!(code(r), "corrupt-record");

    // A sound Set of 25 million one-byte members (2.6 GB in verify before).
    let n = 25_000_000usize;
    let mut value = vec![0x1a];
    write_varint(&mut value, n as u64);
    value.extend((0..n).map(|i| (i * 7 % 4) as u8));
    let file = one_value(&value);
    drop(value);
    let r = within(80 * MIB, || {
        let mut r = BackupReader::open(Cursor::new(&file), Limits::default())?;
        r.verify(None, &mut |_| Ok(()))
    });
    assert_eq!(code(r), "ok");
    // Decoding it is held to max_value_memory (with growth slack).
    let limits = Limits {
        max_value_memory: 64 * MIB as u64,
        ..Limits::default()
    };
    let r = within(64 * MIB * 2 + 48 * MIB, || {
        let mut r = BackupReader::open(Cursor::new(&file), limits)?;
        r.read_part(0, 0, 0)
    });
    assert_eq!(code(r), "limit-exceeded");
}
