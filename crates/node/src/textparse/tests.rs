use super::*;

fn err(body: &str) -> String {
    parse(body.as_bytes()).unwrap_err()
}

#[test]
fn placeholder() {
    assert!(parse(b"a 1\n").is_ok());
    assert_eq!(err("a 1"), "text format parsing error in line 1: unexpected end of input stream");
}
