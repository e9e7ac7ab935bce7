//! Hostile input on every decoder of this crate: arbitrary bytes and
//! strings give an error or a value, never a panic, and relabelling with
//! arbitrary templates stays within its input.

use proptest::prelude::*;
use telltale_model::{Appendable, Labels, MemStorage};
use telltale_scrape::discovery::file::parse_target_file;
use telltale_scrape::discovery::http::parse_http_sd;
use telltale_scrape::duration::{format_duration, parse_byte_size, parse_duration};
use telltale_scrape::push::path::parse_grouping_key;
use telltale_scrape::push::persist::decode_groups;
use telltale_scrape::push::proto::parse_delimited;
use telltale_scrape::scrape::append::{AppendSettings, ScrapeCache, append_scrape};
use telltale_scrape::{RelabelConfig, parse_config, relabel};

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn decoders_never_panic(data in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = parse_target_file("f.json", &data);
        let _ = parse_target_file("f.yml", &data);
        let _ = parse_http_sd("u", &data);
        let _ = decode_groups("g", &data);
        let _ = parse_delimited(&data);
        let _ = telltale_scrape::remote_write::write_body(
            &MemStorage::new(), &data, &Default::default());
        let text = String::from_utf8_lossy(&data);
        let _ = parse_config(&text, "p.yml");
        let _ = parse_grouping_key(&text);
    }

    #[test]
    fn scrape_bodies_never_panic_and_fail_cleanly(data in proptest::collection::vec(any::<u8>(), 0..512)) {
        let db = MemStorage::new();
        let mut app = db.appender();
        let mut cache = ScrapeCache::default();
        let target = Labels::from_pairs(&[("job", "j")]);
        let settings = AppendSettings { honor_timestamps: true, ..Default::default() };
        for format in [telltale_exposition::Format::Text, telltale_exposition::Format::OpenMetrics] {
            let _ = append_scrape(app.as_mut(), &data, format, 0, &target, &settings, &mut cache);
        }
        app.rollback();
    }

    #[test]
    fn durations_round_trip(ms in 0u64..(100 * 365 * 24 * 3_600_000)) {
        let d = std::time::Duration::from_millis(ms);
        prop_assert_eq!(parse_duration(&format_duration(d)), Ok(d));
    }

    #[test]
    fn duration_and_size_strings_never_panic(s in "[0-9a-zA-Z]{0,24}") {
        let _ = parse_duration(&s);
        let _ = parse_byte_size(&s);
    }

    #[test]
    fn relabel_templates_never_panic(
        template in "[$a-z0-9{}_]{0,16}",
        target in "[$a-z0-9{}_]{1,8}",
        value in ".{0,16}",
        regex in "(\\(\\.\\*\\)|[a-z]\\(\\.\\*\\)|\\(\\?P<n>\\.\\+\\))",
    ) {
        let yaml = format!(
            "source_labels: [a]\nregex: '{regex}'\ntarget_label: '{target}'\nreplacement: '{template}'\n"
        );
        if let Ok(c) = serde_saphyr::from_str::<RelabelConfig>(&yaml) {
            let l = Labels::from_pairs(&[("a", &value)]);
            let _ = relabel(&l, &[c]);
        }
    }
}
