//! Unit tests of the parent module.

use super::*;

fn rc(yaml: &str) -> RelabelConfig {
    serde_saphyr::from_str(yaml).unwrap()
}

fn ls(p: &[(&str, &str)]) -> Labels {
    Labels::from_pairs(p)
}

#[test]
fn defaults_match_prometheus() {
    let c = rc("target_label: foo\n");
    assert_eq!(c.separator, ";");
    assert_eq!(c.regex.as_str(), "(.*)");
    assert_eq!(c.replacement, "$1");
    assert_eq!(c.action, Action::Replace);
    assert!(c.validate("j").is_ok());
}

#[test]
fn replace_joins_sources_and_expands() {
    let c =
        rc("source_labels: [a, b]\nregex: '(.*);(.*)'\ntarget_label: c\nreplacement: '${2}-$1'\n");
    let out = relabel(&ls(&[("a", "x"), ("b", "y")]), &[c]).unwrap();
    assert_eq!(out.get("c"), "y-x");
}

#[test]
fn replace_is_anchored_and_skips_on_no_match() {
    let c = rc("source_labels: [a]\nregex: 'b'\ntarget_label: c\nreplacement: hit\n");
    let out = relabel(&ls(&[("a", "abc")]), &[c]).unwrap();
    assert_eq!(out.get("c"), "");
}

#[test]
fn replace_dollar_name_takes_longest_name() {
    // Go and Rust both read `$1x` as the group named `1x`, which is empty.
    let c = rc("source_labels: [a]\nregex: '(.*)'\ntarget_label: c\nreplacement: '$1x'\n");
    let out = relabel(&ls(&[("a", "v"), ("c", "old")]), &[c]).unwrap();
    assert_eq!(out.get("c"), "");
}

#[test]
fn replace_with_empty_result_deletes_and_target_may_be_templated() {
    let c = rc("source_labels: [a]\nregex: '(.*)'\ntarget_label: 'x_$1'\nreplacement: v\n");
    let out = relabel(&ls(&[("a", "n")]), &[c]).unwrap();
    assert_eq!(out.get("x_n"), "v");
    let d = rc("source_labels: [a]\ntarget_label: b\nreplacement: ''\n");
    let out = relabel(&ls(&[("a", "n"), ("b", "z")]), &[d]).unwrap();
    assert!(!out.has("b"));
}

#[test]
fn expansion_follows_go_semantics() {
    // Expected values are what Go's regexp.Expand gives for the match
    // of `(.*)` (and of `(?P<x>.*)` for names) on "v".
    let cases = [
        ("$1", "v"),
        ("${1}", "v"),
        ("$0-$1", "v-v"),
        ("x$1y", "x"),
        ("$1x", ""),
        ("${1}x", "vx"),
        ("$$1", "$1"),
        ("$", "$"),
        ("a$", "a$"),
        ("$-", "$-"),
        ("${", "${"),
        ("${1", "${1"),
        ("${}", "${}"),
        ("$01", "v"),
        ("$2", ""),
        ("${x}", "v"),
        ("$x", "v"),
        ("$é", ""),
    ];
    let re = regex::Regex::new("^(?s:(?P<x>.*))$").unwrap();
    let caps = re.captures("v").unwrap();
    for (t, want) in cases {
        assert_eq!(expand_caps(t, &caps), want, "template {t:?}");
        if !t.contains('x') {
            assert_eq!(expand_whole(t, "v"), want, "template {t:?}");
        }
    }
}

#[test]
fn replace_fast_path_sets_constant() {
    let c = rc("target_label: env\nreplacement: prod\n");
    let out = relabel(&ls(&[("a", "1")]), &[c]).unwrap();
    assert_eq!(out.get("env"), "prod");
}

#[test]
fn regex_dot_matches_newline() {
    let c = rc("source_labels: [a]\nregex: 'x.y'\naction: keep\n");
    assert!(relabel(&ls(&[("a", "x\ny")]), &[c]).is_some());
}

#[test]
fn keep_and_drop() {
    let keep = rc("source_labels: [job]\nregex: 'node|api'\naction: keep\n");
    let drop = rc("source_labels: [job]\nregex: 'api'\naction: DROP\n");
    assert!(relabel(&ls(&[("job", "node")]), std::slice::from_ref(&keep)).is_some());
    assert!(relabel(&ls(&[("job", "db")]), std::slice::from_ref(&keep)).is_none());
    assert!(relabel(&ls(&[("job", "api")]), std::slice::from_ref(&drop)).is_none());
    assert!(relabel(&ls(&[("job", "node")]), &[drop]).is_some());
}

#[test]
fn keepequal_and_dropequal() {
    let ke = rc("source_labels: [a]\ntarget_label: b\naction: keepequal\n");
    let de = rc("source_labels: [a]\ntarget_label: b\naction: dropequal\n");
    let same = ls(&[("a", "1"), ("b", "1")]);
    let diff = ls(&[("a", "1"), ("b", "2")]);
    assert!(relabel(&same, std::slice::from_ref(&ke)).is_some());
    assert!(relabel(&diff, std::slice::from_ref(&ke)).is_none());
    assert!(relabel(&same, std::slice::from_ref(&de)).is_none());
    assert!(relabel(&diff, &[de]).is_some());
}

#[test]
fn hashmod_matches_prometheus() {
    // Values computed with Prometheus's algorithm: md5, last 8 bytes BE.
    // md5("foo") = acbd18db4cc2f85cedef654fccc4a4d8 → 0xedef654fccc4a4d8.
    assert_eq!(
        hashmod("foo", 1 << 63),
        0xedef_654f_ccc4_a4d8 & ((1 << 63) - 1)
    );
    assert_eq!(hashmod("foo", 1000), 0xedef_654f_ccc4_a4d8 % 1000);
    let c = rc("source_labels: [a]\ntarget_label: shard\nmodulus: 8\naction: hashmod\n");
    let out = relabel(&ls(&[("a", "foo")]), &[c]).unwrap();
    assert_eq!(out.get("shard"), (0xedef_654f_ccc4_a4d8u64 % 8).to_string());
}

#[test]
fn labelmap_copies_matching_names() {
    let c = rc("regex: '__meta_kubernetes_pod_label_(.+)'\naction: labelmap\n");
    let out = relabel(
        &ls(&[("__meta_kubernetes_pod_label_app", "web"), ("x", "1")]),
        &[c],
    )
    .unwrap();
    assert_eq!(out.get("app"), "web");
    assert_eq!(out.get("__meta_kubernetes_pod_label_app"), "web");
}

#[test]
fn labeldrop_and_labelkeep() {
    let d = rc("regex: 'tmp_.*'\naction: labeldrop\n");
    let k = rc("regex: '__name__|job'\naction: labelkeep\n");
    let l = ls(&[("__name__", "m"), ("job", "j"), ("tmp_a", "1"), ("z", "2")]);
    let out = relabel(&l, &[d]).unwrap();
    assert!(!out.has("tmp_a") && out.has("z"));
    let out = relabel(&l, &[k]).unwrap();
    assert_eq!(out, ls(&[("__name__", "m"), ("job", "j")]));
}

#[test]
fn lowercase_and_uppercase() {
    let lo = rc("source_labels: [a]\ntarget_label: lo\naction: lowercase\n");
    let up = rc("source_labels: [a]\ntarget_label: up\naction: uppercase\n");
    let out = relabel(&ls(&[("a", "MiXeD")]), &[lo, up]).unwrap();
    assert_eq!(out.get("lo"), "mixed");
    assert_eq!(out.get("up"), "MIXED");
}

#[test]
fn validation_errors() {
    let bad = [
        "action: hashmod\ntarget_label: a\n",
        "action: lowercase\n",
        "action: labeldrop\nregex: x\ntarget_label: y\n",
        "action: keepequal\ntarget_label: y\nregex: x\n",
        "action: replace\ntarget_label: ''\n",
    ];
    for y in bad {
        assert!(rc(y).validate("j").is_err(), "{y}");
    }
    assert!(serde_saphyr::from_str::<RelabelConfig>("action: bogus\n").is_err());
    assert!(serde_saphyr::from_str::<RelabelConfig>("regex: '('\n").is_err());
    assert!(serde_saphyr::from_str::<RelabelConfig>("unknown: 1\n").is_err());
}
