//! Fuzzes both exposition parsers: they must never panic, must stop after
//! an error, and what parses must survive an encode/parse round trip.

#![no_main]

use libfuzzer_sys::fuzz_target;
use telltale_exposition::{Format, Parser, encode_openmetrics, encode_text, parse_families};

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let format = if selector & 1 == 0 {
        Format::Text
    } else {
        Format::OpenMetrics
    };
    let mut errors = 0;
    for entry in Parser::new(body, format) {
        if entry.is_err() {
            errors += 1;
        }
    }
    assert!(errors <= 1, "the parser must stop after an error");
    if let Ok(families) = parse_families(body, format) {
        let mut out = Vec::new();
        match format {
            Format::Text => encode_text(&families, &mut out),
            Format::OpenMetrics => encode_openmetrics(&families, &mut out),
        }
        assert!(
            parse_families(&out, format).is_ok(),
            "encoder output must parse"
        );
    }
});
