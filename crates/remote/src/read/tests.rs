use std::sync::Arc;

use axum::http::StatusCode;
use telltale_model::{Labels, MemStorage, Sample};
use telltale_prompb::{
    FrameReader, LabelMatcher, Query, ReadRequest, decode_read_response, encode_read_request,
    label_matcher, read_request::ResponseType,
};

use super::server::{ReadLimits, SAMPLES_PER_CHUNK, answer_for_test};

fn storage() -> Arc<MemStorage> {
    let db = MemStorage::new();
    for job in ["a", "b"] {
        db.insert(
            Labels::from_pairs(&[("__name__", "up"), ("job", job)]),
            (0..300).map(|i| Sample::new(i * 1000, i as f64)),
        );
    }
    db.insert(
        Labels::from_pairs(&[("__name__", "other")]),
        [Sample::new(5, 1.0)],
    );
    Arc::new(db)
}

fn request(types: &[ResponseType], start: i64, end: i64) -> Vec<u8> {
    encode_read_request(&ReadRequest {
        queries: vec![Query {
            start_timestamp_ms: start,
            end_timestamp_ms: end,
            matchers: vec![LabelMatcher {
                r#type: label_matcher::Type::Eq as i32,
                name: "__name__".into(),
                value: "up".into(),
            }],
            hints: None,
        }],
        accepted_response_types: types.iter().map(|t| *t as i32).collect(),
    })
}

async fn call(limits: ReadLimits, body: Vec<u8>) -> (StatusCode, String, Vec<u8>) {
    let resp = answer_for_test(storage(), limits, body);
    let status = resp.status();
    let ct = resp
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let b = axum::body::to_bytes(resp.into_body(), 1 << 30)
        .await
        .unwrap();
    (status, ct, b.to_vec())
}

#[tokio::test]
async fn sampled_answer_holds_selected_series_in_range() {
    let (st, ct, body) = call(ReadLimits::default(), request(&[], 10_000, 19_999)).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(ct, "application/x-protobuf");
    let resp = decode_read_response(&body, 1 << 30).unwrap();
    assert_eq!(resp.results.len(), 1);
    let ts = &resp.results[0].timeseries;
    assert_eq!(ts.len(), 2);
    assert_eq!(ts[0].samples.len(), 10);
    assert_eq!(ts[0].samples[0].timestamp, 10_000);
    assert_eq!(ts[1].labels[1].value, "b");
}

#[tokio::test]
async fn streamed_answer_is_xor_chunks_of_at_most_120_samples() {
    let req = request(
        &[ResponseType::StreamedXorChunks, ResponseType::Samples],
        0,
        1_000_000,
    );
    let (st, ct, body) = call(ReadLimits::default(), req).await;
    assert_eq!(st, StatusCode::OK);
    assert!(ct.starts_with("application/x-streamed-protobuf"), "{ct}");
    let frames: Vec<_> = FrameReader::new(&body, 1 << 20)
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(frames.len(), 2, "one frame per series");
    for f in &frames {
        assert_eq!(f.query_index, 0);
        let cs = &f.chunked_series[0];
        let sizes: Vec<usize> = cs
            .chunks
            .iter()
            .map(|c| telltale_tsdb::chunkenc::decode_all(&c.data).unwrap().len())
            .collect();
        assert_eq!(sizes, vec![SAMPLES_PER_CHUNK, SAMPLES_PER_CHUNK, 60]);
        let all: Vec<(i64, f64)> = cs
            .chunks
            .iter()
            .flat_map(|c| telltale_tsdb::chunkenc::decode_all(&c.data).unwrap())
            .collect();
        assert_eq!(all[299], (299_000, 299.0));
        assert_eq!(cs.chunks[1].min_time_ms, 120_000);
        assert_eq!(cs.chunks[1].max_time_ms, 239_000);
    }
}

#[tokio::test]
async fn small_frame_limit_splits_a_series_over_frames() {
    let limits = ReadLimits {
        max_bytes_in_frame: 1,
        ..Default::default()
    };
    let req = request(&[ResponseType::StreamedXorChunks], 0, 1_000_000);
    let (_, _, body) = call(limits, req).await;
    let frames: Vec<_> = FrameReader::new(&body, 1 << 20)
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(frames.len(), 6);
    assert!(frames.iter().all(|f| f.chunked_series[0].chunks.len() == 1));
}

#[tokio::test]
async fn sample_limit_gives_a_clear_400() {
    let limits = ReadLimits {
        max_samples: 100,
        ..Default::default()
    };
    let (st, _, body) = call(limits, request(&[], 0, 1_000_000)).await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    let msg = String::from_utf8(body).unwrap();
    assert!(msg.contains("more than 100 samples"), "{msg}");
}

#[tokio::test]
async fn garbage_and_bad_matchers_are_400() {
    let (st, _, body) = call(ReadLimits::default(), b"not snappy".to_vec()).await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert!(String::from_utf8(body).unwrap().contains("snappy"));

    let bad = encode_read_request(&ReadRequest {
        queries: vec![Query {
            start_timestamp_ms: 0,
            end_timestamp_ms: 1,
            matchers: vec![LabelMatcher {
                r#type: label_matcher::Type::Re as i32,
                name: "job".into(),
                value: "(".into(),
            }],
            hints: None,
        }],
        accepted_response_types: vec![],
    });
    let (st, _, _) = call(ReadLimits::default(), bad).await;
    assert_eq!(st, StatusCode::BAD_REQUEST);

    let empty = encode_read_request(&ReadRequest {
        queries: vec![Query {
            start_timestamp_ms: 0,
            end_timestamp_ms: 1,
            matchers: vec![],
            hints: None,
        }],
        accepted_response_types: vec![],
    });
    let (st, _, body) = call(ReadLimits::default(), empty).await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert!(
        String::from_utf8(body)
            .unwrap()
            .contains("at least one matcher")
    );
}
