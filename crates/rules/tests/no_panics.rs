//! Bad input never panics: durations, series notation, rule files,
//! templates and humanize functions over arbitrary input.

use proptest::prelude::*;
use telltale_rules::duration::parse_duration_ms;
use telltale_rules::file::parse_rule_file;
use telltale_rules::humanize::{go_g, go_v, humanize, humanize_duration, humanize_timestamp};
use telltale_rules::template::{TemplateData, expand};
use telltale_rules::unittest::series::{expand_values, parse_series};

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn durations(s in "[0-9a-z.\\-+é]{0,12}") {
        let _ = parse_duration_ms(&s);
    }

    #[test]
    fn series_values(s in "[0-9_x+\\-e. a-zInf]{0,24}") {
        let _ = expand_values(&s);
        let _ = parse_series(&s);
    }

    #[test]
    fn rule_files(s in "(groups:|- name: a|  rules:|  - record: x|    expr: |up|\\{\\{|[ \\n:\\-'\"]){0,30}") {
        let _ = parse_rule_file("f.yml", &s);
    }

    #[test]
    fn templates(s in "(\\{\\{|\\}\\}|\\$value|\\$labels\\.a|humanize|printf \"%d\"|range|end|if|\\||[ a-z0-9\"])*") {
        let data = TemplateData::default();
        let _ = expand("t", &s, &data, None);
    }

    #[test]
    fn numbers(v in proptest::num::f64::ANY) {
        let _ = (go_g(v, 4), go_v(v), humanize(v), humanize_duration(v), humanize_timestamp(v));
    }
}
