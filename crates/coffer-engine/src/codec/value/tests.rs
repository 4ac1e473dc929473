//! Tests of the value encoding: every type round trips, known encodings,
//! malformed input, and proptests of the decoder and checker.

use super::*;
use proptest::prelude::*;

pub(crate) fn every_type() -> Value {
    Value::object([
        ("undefined", Value::Undefined),
        ("null", Value::Null),
        (
            "bools",
            Value::array(vec![Value::Bool(true), Value::Bool(false)]),
        ),
        (
            "numbers",
            Value::array(vec![
                Value::Number(f64::NAN),
                Value::Number(-0.0),
                Value::Number(f64::INFINITY),
                Value::Number(f64::NEG_INFINITY),
                Value::Number(1.5e-300),
            ]),
        ),
        ("bigint", Value::BigInt(BigInt::from_i128(-(1i128 << 100)))),
        (
            "lone",
            Value::String(JsString::from_utf16(vec![0xD83D, 0x61])),
        ),
        ("emoji", Value::string("naïve 😀")),
        ("date", Value::Date(1_700_000_000_000.0)),
        ("bad date", Value::Date(f64::NAN)),
        (
            "re",
            Value::RegExp {
                source: "^a+$".into(),
                flags: "gi".into(),
            },
        ),
        ("ab", Value::ArrayBuffer(vec![1, 2, 3].into())),
        (
            "u16",
            Value::PartialView {
                kind: ViewKind::Uint16,
                byte_offset: 2,
                buffer_len: 10,
                bytes: vec![1, 0, 2, 0].into(),
            },
        ),
        (
            "dv",
            Value::View {
                kind: ViewKind::DataView,
                byte_offset: 1,
                byte_length: 2,
                buffer: ViewBuffer::ArrayBuffer(vec![8, 9, 9, 8].into()),
            },
        ),
        (
            // Over "ab", object 6 (after the object, "bools", "numbers",
            // the two dates and the regexp).
            "shared",
            Value::View {
                kind: ViewKind::Uint8,
                byte_offset: 1,
                byte_length: 2,
                buffer: ViewBuffer::Ref(6),
            },
        ),
        (
            "blob",
            Value::Blob {
                mime: "text/plain".into(),
                data: b"hello".to_vec().into(),
            },
        ),
        (
            "file",
            Value::File {
                name: "a.txt".into(),
                mime: "".into(),
                last_modified: 1.0,
                data: Binary::External(BlobRef {
                    index: 3,
                    len: 1 << 20,
                }),
            },
        ),
        (
            "sparse",
            Value::Array {
                length: 1000,
                items: vec![(5, Value::Null), (999, Value::Undefined)],
                props: vec![("extra".into(), Value::Bool(true))],
            },
        ),
        (
            "map",
            Value::Map(vec![(Value::Number(1.0), Value::string("one"))]),
        ),
        ("set", Value::Set(vec![Value::string("x"), Value::Ref(0)])),
        (
            "boxed",
            Value::array(vec![
                Value::BoxedBool(true),
                Value::BoxedNumber(-0.0),
                Value::BoxedBigInt(BigInt::from_i128(7)),
                Value::BoxedString("s".into()),
            ]),
        ),
        (
            "error",
            Value::Error {
                name: "TypeError".into(),
                message: "bad".into(),
                stack: Some("at x".into()),
            },
        ),
        ("self", Value::Ref(0)),
    ])
}

#[test]
fn every_type_round_trips() {
    let v = every_type();
    let bytes = encode_value(&v).unwrap();
    let back = decode_value(&bytes, 64).unwrap();
    assert!(back.same(&v), "{back:?}");
}

#[test]
fn known_encoding_of_small_object() {
    let v = Value::object([("a", Value::Number(1.0))]);
    assert_eq!(
        encode_value(&v).unwrap(),
        [0x18, 0x01, 0x02, b'a', 0x04, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f]
    );
}

#[test]
fn rejects_malformed() {
    let deep: Vec<u8> = std::iter::repeat_n([DENSE_ARRAY, 1], 20)
        .flatten()
        .chain([NULL, 0])
        .collect();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("unknown tag", vec![0x7f]),
        ("reserved tag", vec![0x07]),
        ("forward reference", vec![REF, 0]),
        ("truncated f64", vec![NUMBER, 1, 2]),
        ("trailing garbage", vec![NULL, NULL]),
        ("empty", vec![]),
        (
            "huge array length",
            vec![DENSE_ARRAY, 0xff, 0xff, 0xff, 0xff, 0x0f],
        ),
        (
            "view beyond its buffer",
            vec![PARTIAL_VIEW, 2, 4, 4, BIN_INLINE, 1, 0],
        ),
        (
            "misaligned view",
            vec![PARTIAL_VIEW, 4, 1, 4, BIN_INLINE, 2, 0, 0],
        ),
        ("view kind 0", vec![PARTIAL_VIEW, 0, 0, 0, BIN_INLINE, 0]),
        ("view kind 14", vec![PARTIAL_VIEW, 14, 0, 0, BIN_INLINE, 0]),
        (
            "buffer view beyond its buffer",
            vec![
                BUFFER_VIEW,
                2,
                4,
                1,
                ARRAY_BUFFER,
                BIN_INLINE,
                4,
                0,
                0,
                0,
                0,
            ],
        ),
        (
            "misaligned buffer view",
            vec![BUFFER_VIEW, 4, 0, 1, ARRAY_BUFFER, BIN_INLINE, 2, 0, 0],
        ),
        (
            "buffer view kind 0",
            vec![BUFFER_VIEW, 0, 0, 0, ARRAY_BUFFER, BIN_INLINE, 0],
        ),
        (
            "buffer view over a string",
            vec![BUFFER_VIEW, 2, 0, 0, STRING, 0],
        ),
        (
            "buffer view over a view",
            vec![BUFFER_VIEW, 2, 0, 0, PARTIAL_VIEW, 2, 0, 0, BIN_INLINE, 0],
        ),
        (
            "buffer view referring to itself",
            vec![BUFFER_VIEW, 2, 0, 0, REF, 0],
        ),
        (
            "buffer view referring to an object",
            vec![DENSE_ARRAY, 2, OBJECT, 0, BUFFER_VIEW, 2, 0, 0, REF, 1, 0],
        ),
        (
            "buffer view referring past its shared buffer",
            vec![
                DENSE_ARRAY,
                2,
                ARRAY_BUFFER,
                BIN_INLINE,
                1,
                7,
                BUFFER_VIEW,
                2,
                1,
                1,
                REF,
                1,
                0,
            ],
        ),
        (
            "buffer view whose buffer is nested too deeply",
            std::iter::repeat_n([DENSE_ARRAY, 1], 8)
                .flatten()
                .chain([BUFFER_VIEW, 2, 0, 0, ARRAY_BUFFER, BIN_INLINE, 0])
                .chain([0; 8])
                .collect(),
        ),
        ("unknown binary form", vec![ARRAY_BUFFER, 2, 0]),
        ("depth limit", deep),
        ("non-canonical bigint", vec![BIGINT, 0, 1, 0]),
        ("negative zero bigint", vec![BIGINT, 1, 0]),
        ("bigint sign byte", vec![BIGINT, 2, 0]),
        ("non-canonical utf16 string", vec![STRING, 3, b'a', 0]),
        ("empty utf16 string", vec![STRING, 1]),
        ("invalid UTF-8", vec![STRING, 2, 0xff]),
        ("regexp flags as UTF-16", vec![REGEXP, 0, 3, 0x00, 0xd8]),
        ("boxed boolean byte", vec![BOXED_BOOL, 2]),
        ("error stack flag", vec![ERROR, 0, 0, 2]),
        (
            "sparse array that is dense",
            vec![SPARSE_ARRAY, 1, 1, 0, NULL, 0],
        ),
        (
            "sparse index at the length",
            vec![SPARSE_ARRAY, 2, 1, 2, NULL, 0],
        ),
        (
            "sparse indices not increasing",
            vec![SPARSE_ARRAY, 5, 2, 3, NULL, 1, NULL, 0],
        ),
        ("non-canonical varint", vec![DENSE_ARRAY, 0x80, 0x00, 0]),
        (
            "array index beyond 2^32",
            vec![SPARSE_ARRAY, 1, 1, 0xff, 0xff, 0xff, 0xff, 0x1f, NULL, 0],
        ),
        ("map length beyond the data", vec![MAP, 3, NULL, NULL]),
        ("truncated file", vec![FILE, 0, 0, 0, 0, 0]),
        (
            "reference past the objects",
            vec![OBJECT, 1, 2, b'a', REF, 1],
        ),
    ];
    for (what, bytes) in cases {
        let decoded = decode_value(&bytes, 8);
        assert!(decoded.is_err(), "{what}: decoder accepted it");
        assert_eq!(
            check_value(&bytes, 8),
            decoded.map(|_| 0),
            "{what}: the checker disagrees"
        );
    }
    // And both accept the canonical neighbours.
    for ok in [
        vec![SPARSE_ARRAY, 2, 1, 1, NULL, 0],
        vec![BOXED_BOOL, 1],
        vec![ERROR, 0, 0, 1, 2, b'x'],
        vec![OBJECT, 1, 2, b'a', REF, 0],
        vec![ARRAY_BUFFER, BIN_EXTERNAL, 3, 9],
        vec![
            BUFFER_VIEW,
            2,
            4,
            0,
            ARRAY_BUFFER,
            BIN_INLINE,
            4,
            0,
            0,
            0,
            0,
        ],
        vec![
            DENSE_ARRAY,
            2,
            ARRAY_BUFFER,
            BIN_INLINE,
            1,
            7,
            BUFFER_VIEW,
            2,
            1,
            0,
            REF,
            1,
            0,
        ],
        std::iter::repeat_n([DENSE_ARRAY, 1], 7)
            .flatten()
            .chain([BUFFER_VIEW, 2, 0, 0, ARRAY_BUFFER, BIN_INLINE, 0])
            .chain([0; 7])
            .collect(),
    ] {
        assert!(decode_value(&ok, 8).is_ok(), "{ok:?}");
        assert!(check_value(&ok, 8).is_ok(), "{ok:?}");
    }
}

#[test]
fn encoder_rejects_impossible_structure() {
    assert!(encode_value(&Value::Ref(0)).is_err());
    let bad = Value::Array {
        length: 2,
        items: vec![(1, Value::Null), (0, Value::Null)],
        props: vec![],
    };
    assert!(encode_value(&bad).is_err());
}

pub(crate) fn arb_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Undefined),
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<u64>().prop_map(|b| Value::Number(f64::from_bits(b))),
        (any::<bool>(), proptest::collection::vec(any::<u8>(), 0..20))
            .prop_map(|(n, m)| Value::BigInt(BigInt::from_parts(n, m))),
        proptest::collection::vec(any::<u16>(), 0..12)
            .prop_map(|u| Value::String(JsString::from_utf16(u))),
        ".*".prop_map(|s: String| Value::String(s.into())),
        any::<u64>().prop_map(|b| Value::Date(f64::from_bits(b))),
        proptest::collection::vec(any::<u8>(), 0..40).prop_map(|b| Value::ArrayBuffer(b.into())),
        (
            0usize..13,
            0u64..4,
            0u64..8,
            proptest::collection::vec(any::<u8>(), 0..4)
        )
            .prop_map(|(k, off, extra, elems)| {
                let kind = ViewKind::ALL[k];
                let size = kind.element_size();
                let bytes: Vec<u8> = elems
                    .iter()
                    .flat_map(|b| std::iter::repeat_n(*b, size as usize))
                    .collect();
                let byte_offset = off * size;
                Value::PartialView {
                    kind,
                    byte_offset,
                    buffer_len: byte_offset + bytes.len() as u64 + extra,
                    bytes: bytes.into(),
                }
            }),
        (
            0usize..13,
            0u64..4,
            0u64..4,
            proptest::collection::vec(any::<u8>(), 0..24)
        )
            .prop_map(|(k, off, elems, buffer)| {
                let kind = ViewKind::ALL[k];
                let size = kind.element_size();
                let byte_offset = (off * size).min(buffer.len() as u64 / size * size);
                let room = (buffer.len() as u64 - byte_offset) / size;
                Value::View {
                    kind,
                    byte_offset,
                    byte_length: elems.min(room) * size,
                    buffer: ViewBuffer::ArrayBuffer(buffer.into()),
                }
            }),
        (".*", proptest::collection::vec(any::<u8>(), 0..10)).prop_map(|(m, d)| {
            Value::Blob {
                mime: m.as_str().into(),
                data: d.into(),
            }
        }),
        (
            "[a-z.]{0,8}",
            any::<u64>(),
            proptest::collection::vec(any::<u8>(), 0..10)
        )
            .prop_map(|(n, t, d)| Value::File {
                name: n.as_str().into(),
                mime: "application/octet-stream".into(),
                last_modified: f64::from_bits(t),
                data: d.into(),
            }),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::array),
            proptest::collection::vec(("[a-z]{0,5}", inner.clone()), 0..6).prop_map(Value::object),
            proptest::collection::vec((inner.clone(), inner.clone()), 0..4).prop_map(Value::Map),
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Set),
            (
                proptest::collection::btree_set(0u32..50, 0..5),
                inner.clone()
            )
                .prop_map(|(idx, v)| Value::Array {
                    length: 50,
                    items: idx.into_iter().map(|i| (i, v.clone())).collect(),
                    props: vec![("p".into(), Value::Null)],
                }),
        ]
    })
}

proptest! {
    #[test]
    fn any_value_round_trips(v in arb_value()) {
        let bytes = encode_value(&v).unwrap();
        let back = decode_value(&bytes, 64).unwrap();
        prop_assert!(back.same(&v), "{:?} != {:?}", back, v);
        // Encoding is deterministic and canonical.
        prop_assert_eq!(encode_value(&back).unwrap(), bytes);
    }

    #[test]
    fn decoder_never_panics_and_is_canonical(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        if let Ok(v) = decode_value(&bytes, 16) {
            prop_assert_eq!(encode_value(&v).unwrap(), bytes);
        }
    }

    #[test]
    fn checker_accepts_every_encoding(v in arb_value()) {
        let bytes = encode_value(&v).unwrap();
        let mut external = 0;
        let mut v = v;
        v.for_each_binary_mut(&mut |b| external += u64::from(matches!(b, Binary::External(_))));
        prop_assert_eq!(check_value(&bytes, 64), Ok(external));
    }

    /// The checker and the decoder agree on random bytes.
    #[test]
    fn checker_agrees_with_decoder_on_noise(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        prop_assert_eq!(check_value(&bytes, 16).is_ok(), decode_value(&bytes, 16).is_ok());
    }

    /// ... and on damaged encodings: a byte changed, cut off or added.
    #[test]
    fn checker_agrees_with_decoder_on_damage(
        v in arb_value(),
        at in any::<prop::sample::Index>(),
        byte in any::<u8>(),
        how in 0u8..3,
        depth in 1u32..8,
    ) {
        let mut bytes = encode_value(&v).unwrap();
        let i = at.index(bytes.len());
        match how {
            0 => bytes[i] = byte,
            1 => bytes.truncate(i),
            _ => bytes.insert(i, byte),
        }
        let decoded = decode_value(&bytes, depth);
        let checked = check_value(&bytes, depth);
        prop_assert_eq!(checked.is_ok(), decoded.is_ok(), "{:?} vs {:?}", checked, decoded);
        if let Err(e) = decoded {
            prop_assert_eq!(checked, Err(e));
        }
    }
}

/// Issue 14: views keep their whole buffer and share it: two views and an
/// `ArrayBuffer` property over one buffer decode to one buffer value and
/// references to it, in either order, and the buffer's bytes are charged
/// once however many views share it.
#[test]
fn issue_14_views_share_their_buffer() {
    let buffer: Vec<u8> = (0..64).collect();
    let view = |kind, byte_offset, byte_length, buffer| Value::View {
        kind,
        byte_offset,
        byte_length,
        buffer,
    };
    // [Uint8Array(b, 8), DataView(b, 4, 8), b]: array 0, view 1, b 2, view 3.
    let v = Value::array(vec![
        view(
            ViewKind::Uint8,
            8,
            56,
            ViewBuffer::ArrayBuffer(buffer.clone().into()),
        ),
        view(ViewKind::DataView, 4, 8, ViewBuffer::Ref(2)),
        Value::Ref(2),
    ]);
    let bytes = encode_value(&v).unwrap();
    let mut out = Vec::new();
    assert_eq!(encode_value_into(&mut out, &v).unwrap(), Revision::V2);
    assert!(decode_value(&bytes, 8).unwrap().same(&v));
    let checked = check_value_with(&bytes, &Limits::default(), Revision::V2, &mut |_| Ok(()));
    assert_eq!(
        checked,
        Ok(Checked {
            external: 0,
            revision: Revision::V2
        })
    );
    // The buffer first, as a property: the views refer to it.
    let w = Value::object([
        ("b", Value::ArrayBuffer(buffer.clone().into())),
        ("u", view(ViewKind::Uint8, 8, 8, ViewBuffer::Ref(1))),
        ("f", view(ViewKind::Float64, 8, 56, ViewBuffer::Ref(1))),
    ]);
    assert!(decode_value(&encode_value(&w).unwrap(), 8)
        .unwrap()
        .same(&w));
    // Many views of one buffer cost its bytes once.
    let many = Value::array(
        std::iter::once(Value::ArrayBuffer(vec![0; 100_000].into()))
            .chain((0..100).map(|_| view(ViewKind::Uint8, 0, 100_000, ViewBuffer::Ref(1))))
            .collect(),
    );
    let bytes = encode_value(&many).unwrap();
    let mut budget = Budget::new(1 << 30);
    decode_value_in(&bytes, &Limits::default(), Revision::V2, &mut budget).unwrap();
    assert!(budget.used() < 120_000, "{} bytes charged", budget.used());
}

/// Tag 0x21 belongs to revision 2: a revision-1 reader (format_version 1,
/// envelope version 1) rejects it; the window-only form 0x13 stays valid in
/// both, and values without views need only revision 1.
#[test]
fn buffer_views_need_revision_2() {
    let v = Value::View {
        kind: ViewKind::Uint8,
        byte_offset: 0,
        byte_length: 1,
        buffer: ViewBuffer::ArrayBuffer(vec![5].into()),
    };
    let bytes = encode_value(&v).unwrap();
    let limits = Limits::default();
    let mut budget = Budget::new(1 << 20);
    assert!(decode_value_in(&bytes, &limits, Revision::V1, &mut budget).is_err());
    assert!(check_value_with(&bytes, &limits, Revision::V1, &mut |_| Ok(())).is_err());
    let all = encode_value(&every_type()).unwrap();
    assert_eq!(
        check_value_with(&all, &limits, Revision::V2, &mut |_| Ok(()))
            .unwrap()
            .revision,
        Revision::V2
    );
    let old = [PARTIAL_VIEW, 5, 2, 8, BIN_INLINE, 4, 1, 0, 2, 0];
    for admit in [Revision::V1, Revision::V2] {
        let c = check_value_with(&old, &limits, admit, &mut |_| Ok(())).unwrap();
        assert_eq!(c.revision, Revision::V1);
        assert!(decode_value_in(&old, &limits, admit, &mut budget).is_ok());
    }
    let mut out = Vec::new();
    assert_eq!(
        encode_value_into(&mut out, &Value::ArrayBuffer(vec![1].into())).unwrap(),
        Revision::V1
    );
}

/// The encoder refuses views whose buffer reference names no earlier
/// `ArrayBuffer`, or whose window leaves the buffer.
#[test]
fn encoder_refuses_impossible_views() {
    let view = |buffer| Value::View {
        kind: ViewKind::Uint16,
        byte_offset: 2,
        byte_length: 2,
        buffer,
    };
    for bad in [
        view(ViewBuffer::Ref(0)),
        Value::array(vec![Value::Object(vec![]), view(ViewBuffer::Ref(1))]),
        Value::array(vec![
            Value::ArrayBuffer(vec![0; 3].into()),
            view(ViewBuffer::Ref(1)),
        ]),
        view(ViewBuffer::ArrayBuffer(vec![0; 3].into())),
        Value::View {
            kind: ViewKind::Uint16,
            byte_offset: 1,
            byte_length: 2,
            buffer: ViewBuffer::ArrayBuffer(vec![0; 4].into()),
        },
    ] {
        assert!(encode_value(&bad).is_err(), "{bad:?}");
    }
    assert!(encode_value(&Value::array(vec![
        Value::ArrayBuffer(vec![0; 4].into()),
        view(ViewBuffer::Ref(1)),
    ]))
    .is_ok());
}

/// Where views may share buffers, a value holds at most
/// `MAX_VALUE_BUFFERS` of them (each costs a reader 16 bytes); in revision
/// 1 there is no such limit.
#[test]
fn buffers_per_value_are_limited_in_revision_2() {
    let n = MAX_VALUE_BUFFERS as usize + 1;
    let mut bytes = vec![SET];
    write_varint(&mut bytes, n as u64);
    for _ in 0..n {
        bytes.extend_from_slice(&[ARRAY_BUFFER, BIN_INLINE, 0]);
    }
    let limits = Limits::default();
    let e = check_value_with(&bytes, &limits, Revision::V2, &mut |_| Ok(())).unwrap_err();
    assert_eq!(e.limit().map(|l| l.limit), Some(MAX_VALUE_BUFFERS));
    assert!(check_value_with(&bytes, &limits, Revision::V1, &mut |_| Ok(())).is_ok());
    let mut set = Value::Set(
        (0..n)
            .map(|_| Value::ArrayBuffer(Vec::new().into()))
            .collect(),
    );
    assert!(encode_value(&set).is_err());
    if let Value::Set(items) = &mut set {
        items.pop();
    }
    assert!(encode_value(&set).is_ok());
}
