//! wasm-bindgen tests (a dedicated worker of headless Chromium) of the
//! destinations' fetch driver with a fake server: a multipart upload
//! retries a failed part, aborts when a part keeps failing, when the
//! browser blocks an answer (CORS) or when the ETag is hidden; small files
//! and WebDAV go in one PUT; failures become typed codes, a CORS failure
//! with the rule to set.
#![cfg(target_arch = "wasm32")]

use std::cell::{Cell, RefCell};

use coffer_protocol::ErrorCode;
use coffer_remote::multipart::MIN_PART;
use coffer_remote::{
    Destination, HttpRequest, Remote, RemoteError, S3Destination, Secret, WebDavDestination,
};
use coffer_worker::browser::blobio::blob_from_bytes;
use coffer_worker::remote::{self, Answer, NetError, Transport};
use wasm_bindgen_test::*;
use web_sys::Blob;

wasm_bindgen_test_configure!(run_in_dedicated_worker);

/// How the fake server treats part 2.
#[derive(Clone, Copy, PartialEq)]
enum Part2 {
    /// Fails with HTTP 503 this many times, then succeeds.
    Fails(u32),
    /// The browser blocks the answer.
    Cors,
    /// Succeeds without a readable ETag.
    NoEtag,
}

struct Fake {
    part2: Part2,
    failed: Cell<u32>,
    log: RefCell<Vec<String>>,
    sizes: RefCell<Vec<u64>>,
}

impl Fake {
    fn new(part2: Part2) -> Fake {
        Fake {
            part2,
            failed: Cell::new(0),
            log: RefCell::new(Vec::new()),
            sizes: RefCell::new(Vec::new()),
        }
    }

    fn log(&self) -> Vec<String> {
        self.log.borrow().clone()
    }
}

fn part_number(url: &str) -> u16 {
    url.split(['?', '&'])
        .find_map(|kv| kv.strip_prefix("partNumber="))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

impl Transport for Fake {
    async fn send(
        &self,
        req: &HttpRequest,
        data: Option<&Blob>,
        _as_blob: bool,
    ) -> Result<Answer, NetError> {
        let part = part_number(&req.url);
        let entry = if part > 0 {
            format!("{} {part}", req.action)
        } else {
            req.action.to_owned()
        };
        self.log.borrow_mut().push(entry);
        if let Some(d) = data {
            self.sizes.borrow_mut().push(d.size() as u64);
        }
        let ok = |etag: Option<&str>, body: &str| {
            Ok(Answer {
                etag: etag.map(str::to_owned),
                body: body.as_bytes().to_vec(),
                blob: None,
            })
        };
        match req.action {
            "start upload" => ok(
                None,
                "<InitiateMultipartUploadResult><UploadId>up-1</UploadId></InitiateMultipartUploadResult>",
            ),
            "upload part" if part == 2 => match self.part2 {
                Part2::Fails(n) if self.failed.get() < n => {
                    self.failed.set(self.failed.get() + 1);
                    Err(NetError::Remote(RemoteError::from_answer(
                        "upload part",
                        503,
                        b"<Error><Code>SlowDown</Code></Error>",
                    )))
                }
                Part2::Cors => Err(NetError::Cors),
                Part2::NoEtag => ok(None, ""),
                Part2::Fails(_) => ok(Some("\"e2\""), ""),
            },
            "upload part" => ok(Some(&format!("\"e{part}\"")), ""),
            _ => ok(None, ""),
        }
    }

    async fn pause(&self, _attempt: u32) {}
}

fn s3() -> Destination {
    Destination::S3(S3Destination {
        endpoint: "http://127.0.0.1:9".into(),
        region: "us-east-1".into(),
        bucket: "b".into(),
        prefix: "p".into(),
        access_key_id: "AKID".into(),
        secret: Secret::new("s3-secret-value"),
    })
}

fn dav() -> Destination {
    Destination::WebDav(WebDavDestination {
        url: "http://127.0.0.1:9/dav/".into(),
        user: "u".into(),
        password: Secret::new("dav-secret-value"),
    })
}

/// 2.5 parts of [`MIN_PART`].
fn big() -> Blob {
    blob_from_bytes(&vec![7u8; (MIN_PART * 5 / 2) as usize], "application/zip").unwrap()
}

const NAME: &str = "coffer-backup-2026-12-04-000000.zip";

#[wasm_bindgen_test]
async fn a_failed_part_is_retried_and_the_upload_completes() {
    let fake = Fake::new(Part2::Fails(2));
    let r = Remote::new(&s3()).unwrap();
    let mut seen = Vec::new();
    let parts = remote::upload(&fake, &r, NAME, &big(), MIN_PART, |d| seen.push(d))
        .await
        .unwrap();
    assert_eq!(parts, 3);
    assert_eq!(
        fake.log(),
        [
            "start upload",
            "upload part 1",
            "upload part 2",
            "upload part 2",
            "upload part 2",
            "upload part 3",
            "finish upload"
        ]
    );
    let half = MIN_PART / 2;
    assert_eq!(
        *fake.sizes.borrow(),
        [MIN_PART, MIN_PART, MIN_PART, MIN_PART, half]
    );
    assert_eq!(seen, [MIN_PART, 2 * MIN_PART, 2 * MIN_PART + half]);
}

#[wasm_bindgen_test]
async fn a_part_that_keeps_failing_aborts_the_upload() {
    let fake = Fake::new(Part2::Fails(99));
    let r = Remote::new(&s3()).unwrap();
    let e = remote::upload(&fake, &r, NAME, &big(), MIN_PART, |_| {})
        .await
        .unwrap_err();
    let NetError::Remote(RemoteError::PartFailed { part, attempts, .. }) = &e else {
        panic!("{e:?}")
    };
    assert_eq!((*part, *attempts), (2, 3));
    let log = fake.log();
    assert_eq!(log.last().map(String::as_str), Some("abort upload"));
    assert!(!log
        .iter()
        .any(|l| l == "finish upload" || l == "upload part 3"));
    let f = remote::app_error(e, &s3());
    assert_eq!(f.code(), ErrorCode::RemoteFailed);
    assert!(!f.0.message.contains("s3-secret") && !f.0.message.contains("Signature"));
}

#[wasm_bindgen_test]
async fn cors_and_a_hidden_etag_abort_too() {
    for (part2, code) in [
        (Part2::Cors, ErrorCode::RemoteCors),
        (Part2::NoEtag, ErrorCode::RemoteFailed),
    ] {
        let fake = Fake::new(part2);
        let r = Remote::new(&s3()).unwrap();
        let e = remote::upload(&fake, &r, NAME, &big(), MIN_PART, |_| {})
            .await
            .unwrap_err();
        assert_eq!(fake.log().last().map(String::as_str), Some("abort upload"));
        assert_eq!(remote::app_error(e, &s3()).code(), code);
    }
}

#[wasm_bindgen_test]
async fn small_files_and_webdav_go_in_one_put() {
    let fake = Fake::new(Part2::Fails(0));
    let small = blob_from_bytes(b"small", "application/zip").unwrap();
    let r = Remote::new(&s3()).unwrap();
    assert_eq!(
        remote::upload(&fake, &r, NAME, &small, MIN_PART, |_| {})
            .await
            .unwrap(),
        1
    );
    let r = Remote::new(&dav()).unwrap();
    assert_eq!(
        remote::upload(&fake, &r, NAME, &big(), MIN_PART, |_| {})
            .await
            .unwrap(),
        1
    );
    assert_eq!(fake.log(), ["upload", "upload"]);
}

#[wasm_bindgen_test]
fn a_cors_failure_carries_the_rule_for_this_origin() {
    let f = remote::app_error(NetError::Cors, &s3());
    assert_eq!(f.code(), ErrorCode::RemoteCors);
    let rule = f.0.subject.clone().unwrap();
    assert!(rule.contains("CORSRules") && rule.contains("ETag"));
    assert!(rule.contains(&remote::origin()) && !remote::origin().is_empty());
    let f = remote::app_error(NetError::Cors, &dav());
    assert!(f.0.subject.unwrap().contains("Access-Control-Allow-Origin"));
    let f = remote::app_error(
        NetError::Remote(RemoteError::from_answer(
            "list",
            403,
            b"<Error><Code>InvalidAccessKeyId</Code></Error>",
        )),
        &s3(),
    );
    assert_eq!(f.code(), ErrorCode::RemoteDenied);
}
