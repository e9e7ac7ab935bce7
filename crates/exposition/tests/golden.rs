//! Golden tests: exact parse output for inputs that exercise every feature.

use std::fmt::Write as _;

use telltale_exposition::{Entry, Error, Format, Parser};

/// Renders every entry on one line, with labels unescaped and values
/// printed with Rust's `{:?}` (so `NaN` and `inf` are visible).
fn render(body: &[u8], format: Format) -> Result<String, Error> {
    let mut out = String::new();
    for e in Parser::new(body, format) {
        match e? {
            Entry::Help { name, text } => writeln!(out, "HELP {name:?} {text:?}"),
            Entry::Type { name, metric_type } => writeln!(out, "TYPE {name:?} {metric_type}"),
            Entry::Unit { name, unit } => writeln!(out, "UNIT {name:?} {unit:?}"),
            Entry::Comment(c) => writeln!(out, "COMMENT {c:?}"),
            Entry::Series(s) => {
                let labels: Vec<String> = s.labels().map(|(n, v)| format!("{n}={v:?}")).collect();
                write!(
                    out,
                    "SERIES {:?} [{}] {:?} ts={:?} type={}",
                    s.name(),
                    labels.join(","),
                    s.value,
                    s.timestamp,
                    s.metric_type
                )
                .unwrap();
                if s.is_created() {
                    out.push_str(" created");
                }
                if let Some(ex) = &s.exemplar {
                    let l: Vec<String> = ex.labels().map(|(n, v)| format!("{n}={v:?}")).collect();
                    write!(
                        out,
                        " exemplar [{}] {:?} ts={:?}",
                        l.join(","),
                        ex.value,
                        ex.timestamp
                    )
                    .unwrap();
                }
                out.push('\n');
                Ok(())
            }
        }
        .unwrap();
    }
    Ok(out)
}

#[test]
fn text_format_golden() {
    let body = br#"# HELP http_requests_total Total requests.\nSecond line \\ "quoted"
# TYPE http_requests_total counter
http_requests_total{method="post",code="200"} 1027 1395066363000
http_requests_total { method = "post" , code="400" , } 3	1395066363000
  # A comment with trailing blanks  

# TYPE h histogram
h_bucket{le="0.5"} 1
h_bucket{le="+Inf"} 2
h_sum -Inf
h_count 2
msdos_file_access_time_seconds{path="C:\\DIR\\FILE.TXT",error="Cannot find file:\n\"FILE.TXT\""} 1.458255915e9
{"my.metric","a.b"="c\"d"} NaN
#HELP not metadata
untyped_no_labels +Inf -1
"#;
    let want = r#"HELP "http_requests_total" "Total requests.\nSecond line \\ \"quoted\""
TYPE "http_requests_total" counter
SERIES "http_requests_total" [method="post",code="200"] 1027.0 ts=Some(1395066363000) type=counter
SERIES "http_requests_total" [method="post",code="400"] 3.0 ts=Some(1395066363000) type=counter
COMMENT "A comment with trailing blanks  "
TYPE "h" histogram
SERIES "h_bucket" [le="0.5"] 1.0 ts=None type=histogram
SERIES "h_bucket" [le="+Inf"] 2.0 ts=None type=histogram
SERIES "h_sum" [] -inf ts=None type=histogram
SERIES "h_count" [] 2.0 ts=None type=histogram
SERIES "msdos_file_access_time_seconds" [path="C:\\DIR\\FILE.TXT",error="Cannot find file:\n\"FILE.TXT\""] 1458255915.0 ts=None type=unknown
SERIES "my.metric" [a.b="c\"d"] NaN ts=None type=unknown
COMMENT "HELP not metadata"
SERIES "untyped_no_labels" [] inf ts=Some(-1) type=unknown
"#;
    assert_eq!(render(body, Format::Text).unwrap(), want);
}

#[test]
fn openmetrics_golden() {
    let body = br#"# TYPE acme_http_router_request_seconds summary
# UNIT acme_http_router_request_seconds seconds
# HELP acme_http_router_request_seconds Latency though all of ACME's HTTP request router.
acme_http_router_request_seconds_sum{path="/api/v1",method="GET"} 9036.32
acme_http_router_request_seconds_count{path="/api/v1",method="GET"} 807283.0
acme_http_router_request_seconds_created{path="/api/v1",method="GET"} 1605281325.0
# TYPE foo counter
foo_total 17.0 1520879607.789 # {id="counter-test"} 5
foo_created 1520872607.123
# TYPE hist histogram
hist_bucket{le="1"} 0 # {trace_id="KOO5S4vxi0o"} 0.67 1.601
hist_bucket{le="+Inf"} 2
hist_count 2
hist_sum 1.5
# TYPE state stateset
state{state="a"} 1
# TYPE build info
build_info{version="1.2"} 1
{"my.metric","a.b"="c"} 1
# EOF
"#;
    let want = r#"TYPE "acme_http_router_request_seconds" summary
UNIT "acme_http_router_request_seconds" "seconds"
HELP "acme_http_router_request_seconds" "Latency though all of ACME's HTTP request router."
SERIES "acme_http_router_request_seconds_sum" [path="/api/v1",method="GET"] 9036.32 ts=None type=summary
SERIES "acme_http_router_request_seconds_count" [path="/api/v1",method="GET"] 807283.0 ts=None type=summary
SERIES "acme_http_router_request_seconds_created" [path="/api/v1",method="GET"] 1605281325.0 ts=None type=summary created
TYPE "foo" counter
SERIES "foo_total" [] 17.0 ts=Some(1520879607789) type=counter exemplar [id="counter-test"] 5.0 ts=None
SERIES "foo_created" [] 1520872607.123 ts=None type=counter created
TYPE "hist" histogram
SERIES "hist_bucket" [le="1"] 0.0 ts=None type=histogram exemplar [trace_id="KOO5S4vxi0o"] 0.67 ts=Some(1601)
SERIES "hist_bucket" [le="+Inf"] 2.0 ts=None type=histogram
SERIES "hist_count" [] 2.0 ts=None type=histogram
SERIES "hist_sum" [] 1.5 ts=None type=histogram
TYPE "state" stateset
SERIES "state" [state="a"] 1.0 ts=None type=stateset
TYPE "build" info
SERIES "build_info" [version="1.2"] 1.0 ts=None type=info
SERIES "my.metric" [a.b="c"] 1.0 ts=None type=unknown
"#;
    assert_eq!(render(body, Format::OpenMetrics).unwrap(), want);
}

fn err(body: &[u8], format: Format) -> Error {
    match render(body, format) {
        Err(e) => e,
        Ok(out) => panic!("expected an error, parsed:\n{out}"),
    }
}

#[test]
fn errors_give_line_column_and_expectation() {
    let e = err(b"ok 1\nok 2\nbad{a=1} 3\n", Format::Text);
    assert_eq!(e.position().line, 3);
    assert_eq!(e.position().column, 7);
    assert_eq!(
        e.to_string(),
        "line 3, column 7: expected label value, got \"1} 3\""
    );

    let e = err(b"a 1\n", Format::OpenMetrics);
    assert_eq!(
        e.to_string(),
        "line 2, column 1: data does not end with # EOF"
    );

    let e = err(b"# TYPE x counter\nx 1\n# EOF\n", Format::OpenMetrics);
    assert!(e.to_string().contains("_total"), "{e}");

    let e = err(
        b"# TYPE x histogram\nx_bucket 1\n# EOF\n",
        Format::OpenMetrics,
    );
    assert!(e.to_string().contains("le"), "{e}");

    let e = err(
        b"# TYPE x histogram\nx_bucket{le=\"big\"} 1\n",
        Format::Text,
    );
    assert!(e.to_string().contains("invalid le"), "{e}");

    let e = err(b"a{b=\"1\",b=\"2\"} 1\n", Format::Text);
    assert!(e.to_string().contains("duplicate label name \"b\""), "{e}");

    let e = err(b"a{\"b\"=\"1\",b=\"2\"} 1\n", Format::Text);
    assert!(e.to_string().contains("duplicate"), "{e}");

    // Escaped quoted names are compared after unescaping.
    let e = err(br#"a{"x\"y"="1",c="2","x\"y"="3"} 1"#, Format::Text);
    assert!(
        e.to_string().contains(r#"duplicate label name "x\"y""#),
        "{e}"
    );

    let e = err(b"a{__name__=\"b\"} 1\n", Format::Text);
    assert!(e.to_string().contains("duplicate"), "{e}");

    let e = err(b"a{\"\"=\"b\"} 1\n", Format::Text);
    assert!(e.to_string().contains("empty label name"), "{e}");

    let e = err(b"{\"x\",\"y\"} 1\n", Format::Text);
    assert!(e.to_string().contains("already set"), "{e}");

    let e = err(b"a 1 99999999999999999999\n", Format::Text);
    assert!(e.to_string().contains("out of range"), "{e}");
}

#[test]
fn many_labels_are_checked_for_duplicates_too() {
    let mut body = String::from("m{");
    for i in 0..40 {
        write!(body, "l{i}=\"v\",").unwrap();
    }
    body.push_str("\"l7\"=\"again\"} 1\n");
    let e = err(body.as_bytes(), Format::Text);
    assert!(e.to_string().contains("duplicate label name \"l7\""), "{e}");
}

#[test]
fn exemplar_label_set_length_is_measured_in_characters() {
    let body = "x_total 1 # {trace_id=\"é€\",a=\"b\"} 2\n# EOF\n";
    let Some(Ok(Entry::Series(s))) = Parser::new(body.as_bytes(), Format::OpenMetrics).next()
    else {
        panic!("no series");
    };
    let ex = s.exemplar.unwrap();
    assert_eq!(ex.label_set_chars(), "trace_id".len() + 2 + 2);
    assert!(ex.label_set_chars() <= telltale_exposition::EXEMPLAR_MAX_LABEL_SET_CHARS);
    assert_eq!(ex.to_labels().get("trace_id"), "é€");
}

#[test]
fn text_may_end_without_newline_and_openmetrics_eof_without_newline() {
    assert!(render(b"a 1", Format::Text).is_ok());
    assert!(render(b"a 1 5", Format::Text).is_ok());
    assert!(render(b"a_total 1\n# EOF", Format::OpenMetrics).is_ok());
    assert_eq!(render(b"", Format::Text).unwrap(), "");
}
