//! Wire-level tests: golden bytes we derived by hand from the protobuf and
//! snappy specifications, bounds, malformed input and round trips.

use prost::Message;
use telltale_prompb::{
    Chunk, ChunkedReadResponse, ChunkedSeries, Error, FrameReader, Label, LabelMatcher, Query,
    QueryResult, ReadHints, ReadRequest, ReadResponse, Sample, TimeSeries, WriteRequest, chunk,
    compress, decode_read_request, decode_read_response, decode_write_request, encode_read_request,
    encode_read_response, encode_write_request, frame_len, label_matcher, read_request,
    write_frame,
};

fn up_request() -> WriteRequest {
    WriteRequest {
        timeseries: vec![TimeSeries {
            labels: vec![Label {
                name: "__name__".into(),
                value: "up".into(),
            }],
            samples: vec![Sample {
                value: 1.0,
                timestamp: 1000,
            }],
            ..Default::default()
        }],
        metadata: vec![],
    }
}

/// `WriteRequest{timeseries:[{labels:[{__name__,up}], samples:[{1.0, 1000}]}]}`
/// field by field: tag bytes are `(field << 3) | wire type`.
const UP_PROTO: &[u8] = &[
    0x0a, 0x1e, // WriteRequest.timeseries (1, LEN), 30 bytes
    0x0a, 0x0e, // TimeSeries.labels (1, LEN), 14 bytes
    0x0a, 0x08, b'_', b'_', b'n', b'a', b'm', b'e', b'_', b'_', // Label.name
    0x12, 0x02, b'u', b'p', // Label.value
    0x12, 0x0c, // TimeSeries.samples (2, LEN), 12 bytes
    0x09, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f, // Sample.value (1, I64) = 1.0
    0x10, 0xe8, 0x07, // Sample.timestamp (2, VARINT) = 1000
];

#[test]
fn write_request_encodes_to_golden_protobuf() {
    assert_eq!(up_request().encode_to_vec(), UP_PROTO);
}

#[test]
fn hand_made_snappy_literal_body_decodes() {
    // Snappy block: uvarint length 32, one literal element of 32 bytes
    // (tag byte (32-1) << 2 = 0x7c), then the bytes.
    let mut body = vec![0x20, 0x7c];
    body.extend_from_slice(UP_PROTO);
    assert_eq!(decode_write_request(&body, 1024).unwrap(), up_request());
    // Exactly at the bound is fine; one byte under is refused.
    assert!(decode_write_request(&body, 32).is_ok());
    assert!(matches!(
        decode_write_request(&body, 31),
        Err(Error::TooLarge {
            declared: 32,
            limit: 31
        })
    ));
}

#[test]
fn write_request_round_trips_with_metadata_and_exemplars() {
    let mut req = up_request();
    req.timeseries[0].exemplars.push(telltale_prompb::Exemplar {
        labels: vec![Label {
            name: "trace_id".into(),
            value: "abc".into(),
        }],
        value: 0.5,
        timestamp: 999,
    });
    req.metadata.push(telltale_prompb::MetricMetadata {
        r#type: telltale_prompb::metric_metadata::MetricType::Gauge as i32,
        metric_family_name: "up".into(),
        help: "Up.".into(),
        unit: String::new(),
    });
    let body = encode_write_request(&req);
    assert_eq!(decode_write_request(&body, 1 << 20).unwrap(), req);
    assert_eq!(
        (
            req.sample_count(),
            req.exemplar_count(),
            req.histogram_count()
        ),
        (1, 1, 0)
    );
}

#[test]
fn malformed_bodies_give_clear_errors() {
    // Truncated snappy data.
    let body = encode_write_request(&up_request());
    let e = decode_write_request(&body[..body.len() - 3], 1 << 20).unwrap_err();
    assert!(e.to_string().starts_with("snappy: corrupt block"), "{e}");
    // Valid snappy around a truncated protobuf message.
    let e = decode_write_request(&compress(&UP_PROTO[..20]), 1 << 20).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("protobuf: cannot decode WriteRequest"),
        "{e}"
    );
    // Framed snappy (stream identifier chunk) is not the block format.
    let framed = b"\xff\x06\x00\x00sNaPpY";
    assert!(decode_write_request(framed, 1 << 20).is_err());
}

#[test]
fn snappy_bomb_does_not_allocate() {
    // Declares 4 GiB - 1 in five bytes; the bound must refuse it at once.
    let e = decode_write_request(&[0xff, 0xff, 0xff, 0xff, 0x0f, 0x00], 10 << 20).unwrap_err();
    assert!(
        e.to_string()
            .contains("decompressed size 4294967295 bytes exceeds the limit of 10485760 bytes"),
        "{e}"
    );
}

#[test]
fn read_request_and_response_round_trip() {
    let req = ReadRequest {
        queries: vec![Query {
            start_timestamp_ms: 1,
            end_timestamp_ms: 2,
            matchers: vec![LabelMatcher {
                r#type: label_matcher::Type::Eq as i32,
                name: "__name__".into(),
                value: "up".into(),
            }],
            hints: Some(ReadHints {
                step_ms: 15_000,
                func: "rate".into(),
                grouping: vec!["job".into()],
                by: true,
                ..Default::default()
            }),
        }],
        accepted_response_types: vec![read_request::ResponseType::StreamedXorChunks as i32],
    };
    assert_eq!(
        decode_read_request(&encode_read_request(&req), 1 << 20).unwrap(),
        req
    );
    let resp = ReadResponse {
        results: vec![QueryResult {
            timeseries: up_request().timeseries,
        }],
    };
    assert_eq!(
        decode_read_response(&encode_read_response(&resp), 1 << 20).unwrap(),
        resp
    );
}

fn chunked(i: i64) -> ChunkedReadResponse {
    ChunkedReadResponse {
        chunked_series: vec![ChunkedSeries {
            labels: up_request().timeseries[0].labels.clone(),
            chunks: vec![Chunk {
                min_time_ms: 0,
                max_time_ms: 10,
                r#type: chunk::Encoding::Xor as i32,
                data: vec![0, 1, 2, 3],
            }],
        }],
        query_index: i,
    }
}

#[test]
fn chunked_frame_golden_bytes() {
    // Message {query_index: 1} = 0x10 0x01; CRC32C(10 01) = 0x3ccf0550
    // (computed bitwise with the Castagnoli polynomial 0x82f63b78).
    let mut out = Vec::new();
    write_frame(
        &mut out,
        &ChunkedReadResponse {
            chunked_series: vec![],
            query_index: 1,
        },
    );
    assert_eq!(out, [0x02, 0x3c, 0xcf, 0x05, 0x50, 0x10, 0x01]);
}

#[test]
fn chunked_frames_round_trip_and_detect_damage() {
    let mut out = Vec::new();
    write_frame(&mut out, &chunked(0));
    let first = out.len();
    write_frame(&mut out, &chunked(1));
    let got: Vec<_> = FrameReader::new(&out, 1 << 20)
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(got, vec![chunked(0), chunked(1)]);
    assert_eq!(frame_len(&out, 1 << 20).unwrap(), Some(first));
    assert_eq!(frame_len(&out[..0], 1 << 20).unwrap(), None);

    // A flipped byte in the second message: the first frame still reads.
    let mut bad = out.clone();
    let last = bad.len() - 1;
    bad[last] ^= 0x01;
    let mut r = FrameReader::new(&bad, 1 << 20);
    assert_eq!(r.next().unwrap().unwrap(), chunked(0));
    let e = r.next().unwrap().unwrap_err();
    assert!(
        matches!(e, Error::FrameChecksum { offset, .. } if offset == first),
        "{e}"
    );
    assert!(r.next().is_none());

    // Truncated.
    let e = FrameReader::new(&out[..out.len() - 1], 1 << 20)
        .nth(1)
        .unwrap()
        .unwrap_err();
    assert!(matches!(e, Error::FrameTruncated { .. }), "{e}");

    // Over the size bound.
    let e = FrameReader::new(&out, 4).next().unwrap().unwrap_err();
    assert!(matches!(e, Error::FrameTooLarge { limit: 4, .. }), "{e}");

    // An over-long varint prefix.
    let e = FrameReader::new(&[0xff; 11], usize::MAX)
        .next()
        .unwrap()
        .unwrap_err();
    assert!(matches!(e, Error::FrameLength { offset: 0 }), "{e}");
}

mod props {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        #[test]
        fn arbitrary_bodies_never_panic(body in prop::collection::vec(any::<u8>(), 0..300)) {
            let _ = decode_write_request(&body, 4096);
            let _ = decode_read_request(&body, 4096);
            let n = FrameReader::new(&body, 4096).count();
            prop_assert!(n <= body.len());
        }

        #[test]
        fn write_requests_round_trip(
            names in prop::collection::vec("[a-z_]{1,8}", 1..4),
            values in prop::collection::vec(any::<f64>(), 0..8),
            ts in any::<i64>(),
        ) {
            let req = WriteRequest {
                timeseries: vec![TimeSeries {
                    labels: names.iter().map(|n| Label { name: n.clone(), value: "v".into() }).collect(),
                    samples: values.iter().map(|&value| Sample { value, timestamp: ts }).collect(),
                    ..Default::default()
                }],
                metadata: vec![],
            };
            let back = decode_write_request(&encode_write_request(&req), 1 << 20).unwrap();
            prop_assert_eq!(back.encode_to_vec(), req.encode_to_vec());
        }
    }
}
