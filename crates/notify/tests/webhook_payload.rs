//! The webhook body for the inputs in the shared `WEBHOOK.md` matches
//! `webhook-example.json` (Alertmanager's `TestWebhookDefaultPayload`).

use std::collections::BTreeMap;
use std::path::PathBuf;

use telltale_model::Labels;
use telltale_notify::Alert;
use telltale_notify::payload::{NotificationReason, WebhookMessage};
use telltale_notify::template::{TemplateAlert, TemplateData};

#[test]
fn webhook_body_matches_the_example() {
    let base = std::env::var_os("TELLTALE_TESTDATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata")
        });
    let path = base.join("alertmanager/webhook-example.json");
    let Ok(text) = std::fs::read_to_string(&path) else {
        println!("skipping: no {}", path.display());
        return;
    };
    let want: serde_json::Value = serde_json::from_str(&text).unwrap();
    let mut a = Alert::firing(
        Labels::from_pairs(&[("alertname", "TestAlert")]),
        "2020-01-01T00:00:00Z".parse().unwrap(),
    );
    a.annotations
        .insert("summary".into(), "Test summary".into());
    a.ends_at = Some("2020-01-01T01:00:00Z".parse().unwrap());
    a.generator_url = "http://generator.url".into();
    let now = "2026-01-01T00:00:00Z".parse().unwrap();
    let data = TemplateData::new(
        "test_receiver",
        "{}:{alertname=\"test1\"}",
        BTreeMap::new(),
        BTreeMap::new(),
        vec![TemplateAlert::from_alert(&a, now)],
        "http://am",
    );
    let body = WebhookMessage::new(&data, NotificationReason::Unknown, 0).to_body();
    assert_eq!(body.last(), Some(&b'\n'));
    let got: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(got, want);
}
