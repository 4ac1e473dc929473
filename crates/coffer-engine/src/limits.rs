//! Caps on everything a backup or key file can make the reader allocate or
//! compute.
//!
//! # Security
//!
//! A backup is untrusted input. Every size and count taken from it is checked
//! against these limits before memory is allocated or work is done, so a
//! hostile file cannot exhaust memory, disk or CPU. The defaults suit backups
//! of browser storage; callers restoring unusually large data can raise them.

/// Limits applied while reading a backup.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Most entries an archive may hold.
    pub max_entries: u64,
    /// Most bytes all entries may decompress to, together.
    pub max_total_size: u64,
    /// Most bytes one entry may decompress to.
    pub max_entry_size: u64,
    /// Most bytes one records part may take (a part is decoded in memory).
    pub max_part_size: u64,
    /// Most bytes the manifest may take.
    pub max_manifest_size: u64,
    /// Most bytes one encoded record (key plus value) may take.
    pub max_record_size: u64,
    /// Most bytes one encoded key may take. Keys are decoded by every reader
    /// (to check their order); at 16 bytes of memory per encoded byte at
    /// most, the default keeps any key far inside `max_value_memory`.
    pub max_key_size: u64,
    /// Highest uncompressed:compressed ratio allowed for an entry larger than
    /// [`Limits::ratio_threshold`].
    pub max_compression_ratio: u64,
    /// Entries up to this many uncompressed bytes are exempt from the ratio
    /// check (small runs of zeros legitimately compress very well).
    pub ratio_threshold: u64,
    /// Deepest nesting of values.
    pub max_depth: u32,
    /// Most memory, in bytes, that decoded keys and values may take at once:
    /// one record's value, or all records a call returns together (a part for
    /// [`BackupReader::read_part`](crate::BackupReader::read_part)). Charged
    /// as the values are built, so it grows with what was decoded, never
    /// with the counts the input declares.
    pub max_value_memory: u64,
    /// Largest bigint magnitude, in bytes (a bigint is converted to decimal
    /// by `coffer extract`, which costs the square of its length).
    pub max_bigint_bytes: u64,
    /// Most databases in a backup.
    pub max_databases: u64,
    /// Most object stores in a backup, all databases together.
    pub max_stores: u64,
    /// Most indexes in a backup, all stores together.
    pub max_indexes: u64,
    /// Highest Argon2 memory cost accepted, in KiB.
    pub max_kdf_memory_kib: u32,
    /// Highest Argon2 time cost accepted.
    pub max_kdf_iterations: u32,
    /// Highest Argon2 parallelism accepted.
    pub max_kdf_parallelism: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_entries: 1_000_000,
            max_total_size: 64 << 30,
            max_entry_size: 16 << 30,
            max_part_size: 1 << 30,
            max_manifest_size: 64 << 20,
            max_record_size: 512 << 20,
            max_key_size: 16 << 20,
            max_compression_ratio: 500,
            ratio_threshold: 1 << 20,
            max_depth: 256,
            max_value_memory: 512 << 20,
            max_bigint_bytes: 8 << 10,
            max_databases: 10_000,
            max_stores: 100_000,
            max_indexes: 100_000,
            max_kdf_memory_kib: 1 << 20,
            max_kdf_iterations: 16,
            max_kdf_parallelism: 8,
        }
    }
}
