//! The text format 0.0.4 parser must never panic, and every label set it
//! yields must decode (or fail with an error, not a panic).
#![no_main]

use argus_model::exposition::{Entry, Format, Parser};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for e in Parser::new(data, Format::PromText).take(100_000) {
        match e {
            Ok(Entry::Series(s)) => {
                let _ = s.labels();
            }
            Ok(_) => {}
            Err(e) => {
                let _ = e.to_string();
                break;
            }
        }
    }
});
