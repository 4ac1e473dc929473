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
            Value::View {
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
                buffer_len: 4,
                bytes: vec![9, 9].into(),
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
            vec![VIEW, 2, 4, 4, BIN_INLINE, 1, 0],
        ),
        ("misaligned view", vec![VIEW, 4, 1, 4, BIN_INLINE, 2, 0, 0]),
        ("view kind 0", vec![VIEW, 0, 0, 0, BIN_INLINE, 0]),
        ("view kind 14", vec![VIEW, 14, 0, 0, BIN_INLINE, 0]),
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
                Value::View {
                    kind,
                    byte_offset,
                    buffer_len: byte_offset + bytes.len() as u64 + extra,
                    bytes: bytes.into(),
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
