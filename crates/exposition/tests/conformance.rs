//! Conformance with Prometheus's parser tests, read from the shared test
//! data (`$TELLTALE_TESTDATA`, default `../shared/testdata` beside the
//! repository): every corpus parses to the end, and every case of
//! `extracted/parse_error_cases.json` fails or succeeds as listed.

use std::path::PathBuf;

use telltale_exposition::{Entry, Error, Format, Parser};

fn textparse_dir() -> Option<PathBuf> {
    let base = match std::env::var_os("TELLTALE_TESTDATA") {
        Some(p) => PathBuf::from(p),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata"),
    };
    let dir = base.join("textparse");
    if dir.is_dir() {
        Some(dir)
    } else {
        println!(
            "skipping: {} not found (set TELLTALE_TESTDATA)",
            dir.display()
        );
        None
    }
}

/// Parses to the end; returns (entries, samples) or the first error.
fn parse_all(body: &[u8], format: Format) -> Result<(usize, usize), Error> {
    let (mut entries, mut samples) = (0, 0);
    for e in Parser::new(body, format) {
        if let Entry::Series(_) = e? {
            samples += 1;
        }
        entries += 1;
    }
    Ok((entries, samples))
}

#[test]
fn every_corpus_parses_to_the_end() {
    let Some(dir) = textparse_dir() else { return };
    let corpora = [
        ("alltypes.237mfs.prom.txt", Format::Text),
        ("alltypes.237mfs.nometa.prom.txt", Format::Text),
        ("alltypes.5mfs.om.txt", Format::OpenMetrics),
        ("1histogram.om.txt", Format::OpenMetrics),
        ("extracted/TestPromParse.input.prom.txt", Format::Text),
        ("extracted/TestUTF8PromParse.input.prom.txt", Format::Text),
        (
            "extracted/TestOpenMetricsParse.input.om.txt",
            Format::OpenMetrics,
        ),
        (
            "extracted/TestOpenMetricsParse_UTF8.input.om.txt",
            Format::OpenMetrics,
        ),
    ];
    for (file, format) in corpora {
        let body = std::fs::read(dir.join(file)).unwrap();
        match parse_all(&body, format) {
            Ok((entries, samples)) => {
                println!("{file}: {entries} entries, {samples} samples");
                assert!(samples > 0, "{file}: no samples");
            }
            Err(e) => panic!("{file}: {e}"),
        }
    }
}

fn b64(s: &str) -> Vec<u8> {
    let val = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        _ => 63,
    };
    let clean: Vec<u8> = s.bytes().filter(|&c| c != b'=').collect();
    let mut out = Vec::new();
    for chunk in clean.chunks(4) {
        let mut n = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            n |= u32::from(val(c)) << (18 - 6 * i);
        }
        for i in 0..chunk.len().saturating_sub(1) {
            out.push((n >> (16 - 8 * i)) as u8);
        }
    }
    out
}

#[test]
fn parse_error_cases_fail_or_succeed_as_listed() {
    let Some(dir) = textparse_dir() else { return };
    let json = std::fs::read_to_string(dir.join("extracted/parse_error_cases.json")).unwrap();
    let doc: serde_json::Value = serde_json::from_str(&json).unwrap();
    let (mut total, mut passed) = (0, 0);
    let mut failures = Vec::new();
    for (group, spec) in doc.as_object().unwrap() {
        let format = if spec["parser"]
            .as_str()
            .unwrap_or("")
            .contains("OpenMetrics")
        {
            Format::OpenMetrics
        } else {
            Format::Text
        };
        for case in spec["cases"].as_array().unwrap() {
            let input = match case["input"]["text"].as_str() {
                Some(t) => t.as_bytes().to_vec(),
                None => b64(case["input"]["base64"].as_str().unwrap()),
            };
            let expected = case["expected_error"]["text"].as_str().unwrap_or("");
            // "" and "EOF" (Go's io.EOF) mean the input is valid.
            let should_fail = !(expected.is_empty() || expected == "EOF");
            let got = parse_all(&input, format);
            total += 1;
            if got.is_err() == should_fail {
                passed += 1;
            } else {
                failures.push(format!(
                    "{group}: {:?}: expected {}, got {:?}",
                    String::from_utf8_lossy(&input),
                    if should_fail { expected } else { "success" },
                    got
                ));
            }
        }
    }
    println!("parse_error_cases.json: {passed}/{total} cases behave as listed");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
