//! Snapshot tests: one TOML per scenario under `tests/cmd/`, with the
//! expected standard output, standard error and exit status. They run from
//! the repository root against the committed fixtures in `tests/fixtures/`
//! and the small inputs in `tests/cmd/data/`.
//!
//! Regenerate expectations after an intended change with
//! `TRYCMD=overwrite cargo test -p coffer-cli --test cli_tests`.

#[test]
fn cli_tests() {
    trycmd::TestCases::new()
        .register_bin(
            "coffer",
            std::path::PathBuf::from(env!("CARGO_BIN_EXE_coffer")),
        )
        .env("COLUMNS", "100")
        .case("tests/cmd/*.toml");
}
