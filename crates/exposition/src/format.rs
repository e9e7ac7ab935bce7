//! The two text formats and content negotiation.

/// `Content-Type` of text format 0.0.4, as Prometheus client libraries send it.
pub const TEXT_CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// `Content-Type` of OpenMetrics 1.0.
pub const OPENMETRICS_CONTENT_TYPE: &str =
    "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The `Accept` header a scraper sends, as Prometheus 3 does: OpenMetrics
/// preferred, then text (both allowing quoted UTF-8 names, which this
/// parser reads), then anything (parsed as text).
pub const SCRAPE_ACCEPT: &str = "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.3,text/plain;version=0.0.4;q=0.2,*/*;q=0.1";

/// An exposition format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Format {
    /// Prometheus text format 0.0.4: integer millisecond timestamps,
    /// comments, blanks around tokens, no `# EOF`.
    #[default]
    Text,
    /// OpenMetrics 1.0: float second timestamps, exemplars, `# UNIT`,
    /// exactly one space between fields, mandatory `# EOF`.
    OpenMetrics,
}

impl Format {
    /// The `Content-Type` to send with a body in this format.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Text => TEXT_CONTENT_TYPE,
            Format::OpenMetrics => OPENMETRICS_CONTENT_TYPE,
        }
    }
}

/// Picks the parser for a response's `Content-Type`:
/// `application/openmetrics-text` (any version) is OpenMetrics; everything
/// else, including a missing or unknown type, is text 0.0.4, Prometheus's
/// fallback. Media types compare case-insensitively.
pub fn format_from_content_type(content_type: &str) -> Format {
    let media = content_type.split(';').next().unwrap_or("").trim();
    if media.eq_ignore_ascii_case("application/openmetrics-text") {
        Format::OpenMetrics
    } else {
        Format::Text
    }
}

/// Whether a `Content-Type` is the delimited protobuf format
/// (`application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily`),
/// which this crate does not parse.
pub fn is_protobuf_content_type(content_type: &str) -> bool {
    let media = content_type.split(';').next().unwrap_or("").trim();
    media.eq_ignore_ascii_case("application/vnd.google.protobuf")
}

/// Picks the format to answer a request's `Accept` header with: OpenMetrics
/// when it is accepted with a quality at least that of text, else text.
pub fn format_from_accept(accept: &str) -> Format {
    let mut om_q: f32 = -1.0;
    let mut text_q: f32 = -1.0;
    for part in accept.split(',') {
        let mut fields = part.split(';');
        let media = fields.next().unwrap_or("").trim().to_ascii_lowercase();
        let mut q = 1.0f32;
        for f in fields {
            if let Some(v) = f.trim().strip_prefix("q=") {
                q = v.trim().parse().unwrap_or(0.0);
            }
        }
        match media.as_str() {
            "application/openmetrics-text" => om_q = om_q.max(q),
            "text/plain" | "*/*" | "text/*" => text_q = text_q.max(q),
            _ => {}
        }
    }
    if om_q > 0.0 && om_q >= text_q {
        Format::OpenMetrics
    } else {
        Format::Text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_type_picks_openmetrics_only_when_named() {
        assert_eq!(
            format_from_content_type("application/openmetrics-text; version=1.0.0; charset=utf-8"),
            Format::OpenMetrics
        );
        assert_eq!(
            format_from_content_type("Application/OpenMetrics-Text;version=0.0.1"),
            Format::OpenMetrics
        );
        assert_eq!(format_from_content_type(TEXT_CONTENT_TYPE), Format::Text);
        assert_eq!(
            format_from_content_type("text/plain; version=1.0.0; escaping=allow-utf-8"),
            Format::Text
        );
        assert_eq!(format_from_content_type(""), Format::Text);
        assert_eq!(format_from_content_type("application/json"), Format::Text);
        assert!(is_protobuf_content_type(
            "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited"
        ));
    }

    #[test]
    fn accept_prefers_openmetrics_by_quality() {
        assert_eq!(format_from_accept(SCRAPE_ACCEPT), Format::OpenMetrics);
        assert_eq!(format_from_accept("text/plain"), Format::Text);
        assert_eq!(format_from_accept(""), Format::Text);
        assert_eq!(
            format_from_accept("application/openmetrics-text;q=0.1,text/plain;q=0.9"),
            Format::Text
        );
    }
}
