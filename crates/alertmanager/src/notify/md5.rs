//! MD5 (RFC 1321) and HMAC-MD5 (RFC 2104), only for SMTP's CRAM-MD5
//! (RFC 2195), which Alertmanager 0.25 supports. Not used for anything that
//! needs a secure hash; ring deliberately has no MD5.

const S: [u32; 64] = [
    7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20,
    4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15,
    21,
];

/// MD5 of `data`.
pub(crate) fn md5(data: &[u8]) -> [u8; 16] {
    // K[i] = floor(abs(sin(i + 1)) * 2^32), as RFC 1321 defines the table.
    let k: Vec<u32> = (0..64).map(|i| (f64::from(i + 1).sin().abs() * 4_294_967_296.0) as u32).collect();
    let mut msg = data.to_vec();
    let bit_len = (data.len() as u64).wrapping_mul(8);
    msg.push(0x80);
    while msg.len() % 64 != 56 {
        msg.push(0);
    }
    msg.extend_from_slice(&bit_len.to_le_bytes());
    let (mut a0, mut b0, mut c0, mut d0) = (0x6745_2301u32, 0xefcd_ab89u32, 0x98ba_dcfeu32, 0x1032_5476u32);
    for chunk in msg.chunks_exact(64) {
        let mut m = [0u32; 16];
        for (w, b) in m.iter_mut().zip(chunk.chunks_exact(4)) {
            *w = u32::from_le_bytes(<[u8; 4]>::try_from(b).unwrap_or_default());
        }
        let (mut a, mut b, mut c, mut d) = (a0, b0, c0, d0);
        for (i, (&ki, &si)) in k.iter().zip(S.iter()).enumerate() {
            let (f, g) = match i / 16 {
                0 => ((b & c) | (!b & d), i),
                1 => ((d & b) | (!d & c), (5 * i + 1) % 16),
                2 => (b ^ c ^ d, (3 * i + 5) % 16),
                _ => (c ^ (b | !d), (7 * i) % 16),
            };
            let f = f.wrapping_add(a).wrapping_add(ki).wrapping_add(m.get(g).copied().unwrap_or_default());
            a = d;
            d = c;
            c = b;
            b = b.wrapping_add(f.rotate_left(si));
        }
        a0 = a0.wrapping_add(a);
        b0 = b0.wrapping_add(b);
        c0 = c0.wrapping_add(c);
        d0 = d0.wrapping_add(d);
    }
    let mut out = [0u8; 16];
    for (o, w) in out.chunks_exact_mut(4).zip([a0, b0, c0, d0]) {
        o.copy_from_slice(&w.to_le_bytes());
    }
    out
}

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
