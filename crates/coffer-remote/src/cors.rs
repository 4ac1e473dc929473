//! What a destination must allow so that a page can use it from the
//! browser: the CORS rule to paste, shown by "Test connection" when the
//! browser blocks a request.

/// The S3 bucket CORS configuration (JSON, as the AWS console and
/// `aws s3api put-bucket-cors --cors-configuration` take it) that lets the
/// page at `origin` list, upload (multipart: `POST`, `ETag` exposed),
/// download and delete.
pub fn s3_rule(origin: &str) -> String {
    format!(
        r#"{{
  "CORSRules": [
    {{
      "AllowedOrigins": ["{origin}"],
      "AllowedMethods": ["GET", "PUT", "POST", "DELETE", "HEAD"],
      "AllowedHeaders": ["*"],
      "ExposeHeaders": ["ETag"],
      "MaxAgeSeconds": 3000
    }}
  ]
}}"#,
        origin = json_escape(origin)
    )
}

/// The response headers a WebDAV server must send (to preflight `OPTIONS`
/// without asking for credentials, and to every answer) for `origin`.
pub fn webdav_headers(origin: &str) -> String {
    format!(
        "Access-Control-Allow-Origin: {origin}\n\
         Access-Control-Allow-Methods: GET, PUT, DELETE, PROPFIND, OPTIONS\n\
         Access-Control-Allow-Headers: Authorization, Content-Type, Depth\n\
         Access-Control-Expose-Headers: ETag, Content-Length"
    )
}

fn json_escape(s: &str) -> String {
    s.chars()
        .flat_map(|c| match c {
            '"' => "\\\"".chars().collect::<Vec<_>>(),
            '\\' => "\\\\".chars().collect(),
            c if c.is_control() => Vec::new(),
            c => vec![c],
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_s3_rule_is_json_for_the_origin() {
        let rule = s3_rule("http://127.0.0.1:8080");
        assert!(rule.contains(r#""AllowedOrigins": ["http://127.0.0.1:8080"]"#));
        assert!(rule.contains(r#""ExposeHeaders": ["ETag"]"#));
        assert!(s3_rule("a\"b").contains(r#"a\"b"#));
    }
}
