//! AWS Signature Version 4 for the SNS integration: the canonical request,
//! the string to sign and the derived signing key, as AWS documents them
//! ("Create a signed AWS API request"), with ring's SHA-256 and HMAC.
//! Only what SNS needs: headers are given already lower-cased and trimmed.

use ring::{digest, hmac};

/// AWS credentials for one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Credentials {
    pub access_key: String,
    pub secret_key: String,
    pub session_token: Option<String>,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub(crate) fn sha256_hex(data: &[u8]) -> String {
    hex(digest::digest(&digest::SHA256, data).as_ref())
}

fn hmac_sha256(key: &[u8], data: &[u8]) -> Vec<u8> {
    hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, key), data).as_ref().to_vec()
}

/// RFC 3986 encoding of a query component, as SigV4's canonical query wants.
fn uri_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(char::from(b)),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// What to sign: one HTTP request.
pub(crate) struct Request<'a> {
    pub method: &'a str,
    /// The URI path, as sent.
    pub path: &'a str,
    /// The decoded query pairs.
    pub query: &'a [(String, String)],
    /// Lower-case header names with their values; must include `host` and `x-amz-date`.
    pub headers: &'a [(String, String)],
    pub payload: &'a [u8],
}

/// The `Authorization` header value for `req`, signed at `amz_date`
/// (`20150830T123600Z`) for `region` and `service`.
pub(crate) fn authorization(
    req: &Request<'_>,
    creds: &Credentials,
    region: &str,
    service: &str,
    amz_date: &str,
) -> String {
    let mut headers: Vec<&(String, String)> = req.headers.iter().collect();
    headers.sort();
    let signed: Vec<&str> = headers.iter().map(|(k, _)| k.as_str()).collect();
    let signed = signed.join(";");
    let canonical_headers: String = headers.iter().map(|(k, v)| format!("{k}:{}\n", v.trim())).collect();
    let mut query: Vec<(String, String)> = req.query.iter().map(|(k, v)| (uri_encode(k), uri_encode(v))).collect();
    query.sort();
    let query: Vec<String> = query.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let path = if req.path.is_empty() { "/" } else { req.path };
    let canonical = format!(
        "{}\n{path}\n{}\n{canonical_headers}\n{signed}\n{}",
        req.method,
        query.join("&"),
        sha256_hex(req.payload)
    );
    let date = amz_date.get(..8).unwrap_or(amz_date);
    let scope = format!("{date}/{region}/{service}/aws4_request");
    let to_sign = format!("AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}", sha256_hex(canonical.as_bytes()));
    let k_date = hmac_sha256(format!("AWS4{}", creds.secret_key).as_bytes(), date.as_bytes());
    let k_region = hmac_sha256(&k_date, region.as_bytes());
    let k_service = hmac_sha256(&k_region, service.as_bytes());
    let k_signing = hmac_sha256(&k_service, b"aws4_request");
    let signature = hex(&hmac_sha256(&k_signing, to_sign.as_bytes()));
    format!("AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders={signed}, Signature={signature}", creds.access_key)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// AWS' SigV4 test suite: get-vanilla, post-vanilla and
    /// get-vanilla-query-order-key-case.
    #[test]
    fn aws_test_suite_vectors() {
        let creds = Credentials {
            access_key: "AKIDEXAMPLE".into(),
            secret_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".into(),
            session_token: None,
        };
        let headers = [
            ("host".to_string(), "example.amazonaws.com".to_string()),
            ("x-amz-date".to_string(), "20150830T123600Z".to_string()),
        ];
        let check = |method: &str, query: &[(String, String)], sig: &str| {
            let req = Request { method, path: "/", query, headers: &headers, payload: b"" };
            assert_eq!(
                authorization(&req, &creds, "us-east-1", "service", "20150830T123600Z"),
                format!(
                    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature={sig}"
                )
            );
        };
        check("GET", &[], "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
        check("POST", &[], "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b");
        let q = [("Param2".to_string(), "value2".to_string()), ("Param1".to_string(), "value1".to_string())];
        check("GET", &q, "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500");
    }
}
