//! Tests of [`BackupWriter`](super::BackupWriter): round trips through the
//! reader, canonical encoded records, refused misuse.

use super::*;
use crate::codec::value::tests::arb_value;
use crate::model::{IndexSchema, KeyPath, StoreSchema};
use crate::reader::{BackupReader, RecordValue};
use crate::spool::MemorySpool;
use proptest::prelude::*;
use std::io::Cursor;

fn arb_key() -> impl Strategy<Value = Key> {
    let leaf = prop_oneof![
        (-1e9f64..1e9).prop_map(Key::Number),
        (0f64..1e13).prop_map(Key::Date),
        ".{0,8}".prop_map(|s: String| Key::String(s.into())),
        proptest::collection::vec(any::<u8>(), 0..8).prop_map(Key::Binary),
    ];
    leaf.prop_recursive(2, 8, 3, |inner| {
        proptest::collection::vec(inner, 0..3).prop_map(Key::Array)
    })
}

fn arb_schema() -> impl Strategy<Value = StoreSchema> {
    (
        "[a-z]{1,6}",
        proptest::option::of(prop_oneof![
            "[a-z]{1,4}".prop_map(KeyPath::Single),
            proptest::collection::vec("[a-z]{1,4}", 1..3).prop_map(KeyPath::Compound),
        ]),
        proptest::option::of(0u64..1 << 53),
        proptest::collection::vec(("[a-z]{1,5}", any::<bool>(), any::<bool>()), 0..3),
    )
        .prop_map(|(name, key_path, generator, idx)| {
            let auto = generator.is_some() && !matches!(key_path, Some(KeyPath::Compound(_)));
            let mut seen = HashSet::new();
            StoreSchema {
                name,
                key_path,
                auto_increment: auto,
                key_generator: if auto { generator } else { None },
                indexes: idx
                    .into_iter()
                    .filter(|(n, _, _)| seen.insert(n.clone()))
                    .map(|(n, unique, multi)| IndexSchema {
                        name: n.clone(),
                        key_path: KeyPath::Single(n),
                        unique,
                        multi_entry: multi,
                    })
                    .collect(),
                encrypted: false,
            }
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn any_store_round_trips(
        schema in arb_schema(),
        mut records in proptest::collection::vec((arb_key(), arb_value()), 0..12),
        part_size in 1usize..4096,
        threshold in 0usize..64,
    ) {
        records.sort_by(|a, b| a.0.idb_cmp(&b.0));
        records.dedup_by(|a, b| a.0.idb_cmp(&b.0) == std::cmp::Ordering::Equal);
        let mut opts = WriteOptions::new(OffsetDateTime::UNIX_EPOCH);
        opts.part_size = part_size;
        opts.inline_threshold = threshold;
        let mut w = BackupWriter::new(opts, MemorySpool::default());
        let db = DatabaseSchema { name: "db".into(), version: 7, stores: vec![schema.clone()] };
        let d = w.add_database(db).unwrap();
        for (k, v) in &records {
            w.add_record(d, 0, k, v.clone()).unwrap();
        }
        let (zip, summary) = w.finish(Vec::new()).unwrap();
        prop_assert_eq!(summary.records, records.len() as u64);
        let mut r = BackupReader::open(Cursor::new(zip), Limits::default()).unwrap();
        prop_assert_eq!(&r.manifest().databases()[0].stores[0].schema, &schema);
        prop_assert_eq!(r.manifest().databases()[0].version, 7);
        r.verify(None, &mut |_| Ok(())).unwrap();
        let mut back = Vec::new();
        r.for_each_record(0, 0, &mut |rec| { back.push(rec); Ok(()) }).unwrap();
        prop_assert_eq!(back.len(), records.len());
        for (rec, (k, v)) in back.into_iter().zip(&records) {
            prop_assert_eq!(&rec.key, k);
            let RecordValue::Plain(mut value) = rec.value else { panic!("plain store") };
            r.resolve_blobs(0, 0, &mut value).unwrap();
            prop_assert!(value.same(v), "{:?} != {:?}", value, v);
        }
    }
}

/// A writer with one database `db` holding one plain store `s`.
fn one_store(opts: WriteOptions) -> (BackupWriter<MemorySpool>, usize) {
    let mut w = BackupWriter::new(opts, MemorySpool::default());
    let d = w
        .add_database(DatabaseSchema {
            name: "db".into(),
            version: 1,
            stores: vec![StoreSchema::new("s")],
        })
        .unwrap();
    (w, d)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    /// Values encoded by the caller (bodies apart) write exactly the
    /// archive that [`BackupWriter::add_record`] writes.
    #[test]
    fn encoded_records_write_the_same_archive(
        mut records in proptest::collection::vec((arb_key(), arb_value()), 0..10),
        threshold in 0usize..48,
    ) {
        records.sort_by(|a, b| a.0.idb_cmp(&b.0));
        records.dedup_by(|a, b| a.0.idb_cmp(&b.0) == std::cmp::Ordering::Equal);
        let schema = DatabaseSchema { name: "db".into(), version: 1, stores: vec![StoreSchema::new("s")] };
        let writer = || {
            let mut opts = WriteOptions::new(OffsetDateTime::UNIX_EPOCH);
            opts.inline_threshold = threshold;
            opts.part_size = 512;
            BackupWriter::new(opts, MemorySpool::default())
        };
        let mut model = writer();
        let d = model.add_database(schema.clone()).unwrap();
        for (k, v) in &records {
            model.add_record(d, 0, k, v.clone()).unwrap();
        }
        let (expected, _) = model.finish(Vec::new()).unwrap();
        let mut encoded = writer();
        let d = encoded.add_database(schema).unwrap();
        for (k, v) in &records {
            let (head, bodies) = crate::codec::encode_value_without_bodies(v).unwrap();
            let bodies: Vec<(usize, &[u8])> = bodies.iter().map(|(at, b)| (*at, b.as_slice())).collect();
            encoded.add_encoded_record(d, 0, k, &head, &bodies).unwrap();
        }
        let (actual, _) = encoded.finish(Vec::new()).unwrap();
        prop_assert!(actual == expected, "archives differ");
    }
}

#[test]
fn encoded_records_must_be_canonical() {
    assert_eq!(MAX_DEPTH, Limits::default().max_depth);
    let mut opts = WriteOptions::new(OffsetDateTime::UNIX_EPOCH);
    opts.inline_threshold = 4;
    let (mut w, d) = one_store(opts);
    let k = Key::Number(1.0);
    let refused =
        |r: Result<()>| matches!(r, Err(Error::Unencodable(m)) if m.contains("canonical"));
    // Trailing bytes, an unknown tag, a non-canonical string.
    assert!(refused(w.add_encoded_record(d, 0, &k, &[0x01, 0x01], &[])));
    assert!(refused(w.add_encoded_record(d, 0, &k, &[0x7f], &[])));
    assert!(refused(w.add_encoded_record(
        d,
        0,
        &k,
        &[0x06, 0x03, b'a', 0],
        &[]
    )));
    // An external body the caller did not bring.
    assert!(refused(w.add_encoded_record(
        d,
        0,
        &k,
        &[0x12, 0x01, 0x00, 0x09],
        &[]
    )));
    // A body where no binary belongs (after the tag of a number).
    assert!(refused(w.add_encoded_record(
        d,
        0,
        &k,
        &[0x04],
        &[(1, &[0; 8])]
    )));
    // Offsets out of order or beyond the value: misuse.
    assert!(matches!(
        w.add_encoded_record(d, 0, &k, &[0x12], &[(1, &[1]), (0, &[2])]),
        Err(Error::Misuse(_))
    ));
    assert!(matches!(
        w.add_encoded_record(d, 0, &k, &[0x12], &[(2, &[1])]),
        Err(Error::Misuse(_))
    ));
    // Accepted: an ArrayBuffer whose 9-byte body moves to a blob entry,
    // in an array with a 2-byte one that stays inline.
    let head = [0x17, 0x02, 0x12, 0x12, 0x00];
    w.add_encoded_record(d, 0, &k, &head, &[(3, &[9; 9]), (4, &[2, 2])])
        .unwrap();
    let (zip, _) = w.finish(Vec::new()).unwrap();
    let mut r = BackupReader::open(Cursor::new(zip), Limits::default()).unwrap();
    r.verify(None, &mut |_| Ok(())).unwrap();
    let mut back = Vec::new();
    r.for_each_record(0, 0, &mut |rec| {
        back.push(rec);
        Ok(())
    })
    .unwrap();
    assert_eq!(back.len(), 1);
    let RecordValue::Plain(mut v) = back.remove(0).value else {
        panic!("plain store")
    };
    r.resolve_blobs(0, 0, &mut v).unwrap();
    let expected = Value::Array {
        length: 2,
        items: vec![
            (0, Value::ArrayBuffer(Binary::Inline(vec![9; 9]))),
            (1, Value::ArrayBuffer(Binary::Inline(vec![2, 2]))),
        ],
        props: Vec::new(),
    };
    assert!(v.same(&expected), "{v:?}");
}

#[test]
fn out_of_order_and_misrouted_records_are_refused() {
    let (mut w, d) = one_store(WriteOptions::new(OffsetDateTime::UNIX_EPOCH));
    w.add_record(d, 0, &Key::Number(2.0), Value::Null).unwrap();
    assert!(matches!(
        w.add_record(d, 0, &Key::Number(1.0), Value::Null),
        Err(Error::Misuse(_))
    ));
    assert!(matches!(
        w.add_record(d, 0, &Key::Number(2.0), Value::Null),
        Err(Error::Misuse(_))
    ));
    assert!(matches!(
        w.add_sealed_record(d, 0, &Key::Number(3.0), &[0; 64]),
        Err(Error::Misuse(_))
    ));
    assert!(matches!(
        w.add_record(d, 5, &Key::Number(3.0), Value::Null),
        Err(Error::Misuse(_))
    ));
    let enc = DatabaseSchema {
        name: "enc".into(),
        version: 1,
        stores: vec![StoreSchema {
            encrypted: true,
            ..StoreSchema::new("s")
        }],
    };
    assert!(
        matches!(w.add_database(enc), Err(Error::Misuse(_))),
        "no master key"
    );
}

#[test]
fn key_generator_can_be_set_before_finish() {
    let mut w = BackupWriter::new(
        WriteOptions::new(OffsetDateTime::UNIX_EPOCH),
        MemorySpool::default(),
    );
    let auto = StoreSchema {
        auto_increment: true,
        key_generator: Some(1),
        ..StoreSchema::new("auto")
    };
    let d = w
        .add_database(DatabaseSchema {
            name: "db".into(),
            version: 1,
            stores: vec![auto, StoreSchema::new("plain")],
        })
        .unwrap();
    w.set_key_generator(d, 0, 77).unwrap();
    assert!(matches!(
        w.set_key_generator(d, 1, 5),
        Err(Error::Misuse(_))
    ));
    assert!(matches!(
        w.set_key_generator(d, 0, (1 << 53) + 1),
        Err(Error::Misuse(_))
    ));
    assert!(matches!(
        w.set_key_generator(d, 9, 5),
        Err(Error::Misuse(_))
    ));
    let (zip, _) = w.finish(Vec::new()).unwrap();
    let r = BackupReader::open(Cursor::new(zip), Limits::default()).unwrap();
    assert_eq!(
        r.manifest().databases()[0].stores[0].schema.key_generator,
        Some(77)
    );
}

#[test]
fn sealed_records_must_use_the_writers_key() {
    let key = MasterKey::from_bytes([1; 32]);
    let other = MasterKey::from_bytes([2; 32]);
    let opts = WriteOptions::new(OffsetDateTime::UNIX_EPOCH).with_master_key(key);
    let mut w = BackupWriter::new(opts, MemorySpool::default());
    let d = w
        .add_database(DatabaseSchema {
            name: "db".into(),
            version: 1,
            stores: vec![StoreSchema {
                encrypted: true,
                ..StoreSchema::new("s")
            }],
        })
        .unwrap();
    let k = Key::from("a");
    let ctx = crate::envelope::RecordContext {
        database: "db",
        store: "s",
        key: &k,
    };
    let env = crate::envelope::seal_bytes(&other, &ctx, b"x").unwrap();
    assert!(matches!(
        w.add_sealed_record(d, 0, &k, &env),
        Err(Error::WrongKey { .. })
    ));
}

#[test]
fn incompressible_entries_are_stored() {
    let (mut w, d) = one_store(WriteOptions::new(OffsetDateTime::UNIX_EPOCH));
    let mut noise = vec![0u8; 200_000];
    let mut x: u32 = 1;
    for b in noise.iter_mut() {
        x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        *b = (x >> 24) as u8;
    }
    w.add_record(d, 0, &Key::Number(1.0), Value::ArrayBuffer(noise.into()))
        .unwrap();
    w.add_record(
        d,
        0,
        &Key::Number(2.0),
        Value::ArrayBuffer(vec![0u8; 200_000].into()),
    )
    .unwrap();
    let (zip, _) = w.finish(Vec::new()).unwrap();
    let mut a = zip::ZipArchive::new(Cursor::new(zip)).unwrap();
    let noise_entry = a.by_name("databases/0/stores/0/blobs/000000.bin").unwrap();
    assert_eq!(noise_entry.compression(), CompressionMethod::Stored);
    drop(noise_entry);
    let zeros = a.by_name("databases/0/stores/0/blobs/000001.bin").unwrap();
    assert_eq!(zeros.compression(), CompressionMethod::Deflated);
    assert!(zeros.compressed_size() < 10_000);
}
