//! HMAC-MD5 (RFC 2104, over `argus_model::md5`), only for SMTP's CRAM-MD5
//! (RFC 2195), which Alertmanager 0.25 supports. Not used for anything that
//! needs a secure hash; ring deliberately has no MD5.

use argus_model::md5::md5;

/// HMAC-MD5 of `data` under `key`.
pub(crate) fn hmac_md5(key: &[u8], data: &[u8]) -> [u8; 16] {
    let hashed;
    let key = if key.len() > 64 {
        hashed = md5(key);
        &hashed[..]
    } else {
        key
    };
    let mut k = [0u8; 64];
    for (d, s) in k.iter_mut().zip(key) {
        *d = *s;
    }
    let mut inner: Vec<u8> = k.iter().map(|b| b ^ 0x36).collect();
    inner.extend_from_slice(data);
    let mut outer: Vec<u8> = k.iter().map(|b| b ^ 0x5c).collect();
    outer.extend_from_slice(&md5(&inner));
    md5(&outer)
}

/// The CRAM-MD5 reply to `challenge`: `user hex(hmac_md5(secret, challenge))`.
pub(crate) fn cram_md5_reply(user: &str, secret: &str, challenge: &[u8]) -> String {
    let mac: String = hmac_md5(secret.as_bytes(), challenge).iter().map(|b| format!("{b:02x}")).collect();
    format!("{user} {mac}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(b: &[u8]) -> String {
        b.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn rfc_vectors() {
        // RFC 1321 test suite.
        assert_eq!(hex(&md5(b"")), "d41d8cd98f00b204e9800998ecf8427e");
        assert_eq!(hex(&md5(b"abc")), "900150983cd24fb0d6963f7d28e17f72");
        assert_eq!(
            hex(&md5(b"12345678901234567890123456789012345678901234567890123456789012345678901234567890")),
            "57edf4a22be3c955ac49da2e2107b67a"
        );
        // RFC 2104 / RFC 2202 HMAC-MD5 test case 2.
        assert_eq!(hex(&hmac_md5(b"Jefe", b"what do ya want for nothing?")), "750c783e6ab0b503eaa86e310a5db738");
        // RFC 2195's CRAM-MD5 example.
        assert_eq!(
            cram_md5_reply("tim", "tanstaaftanstaaf", b"<1896.697170952@postoffice.reston.mci.net>"),
            "tim b913a602c7eda7a495b4e6e7334d3890"
        );
    }
}
