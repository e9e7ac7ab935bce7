//! Fuzzes the remote write and remote read decoders: they must never panic
//! or allocate past the bound, and what decodes must re-encode and decode
//! to the same message.

#![no_main]

use libfuzzer_sys::fuzz_target;
use telltale_prompb::{
    FrameReader, decode_read_request, decode_write_request, encode_write_request,
    labels_from_proto,
};

const LIMIT: usize = 1 << 20;

fuzz_target!(|data: &[u8]| {
    if let Ok(req) = decode_write_request(data, LIMIT) {
        for (i, ts) in req.timeseries.iter().enumerate() {
            let _ = labels_from_proto(&ts.labels, i);
        }
        let again = decode_write_request(&encode_write_request(&req), usize::MAX);
        assert!(again.is_ok_and(|r| r.timeseries.len() == req.timeseries.len()));
    }
    let _ = decode_read_request(data, LIMIT);
    for frame in FrameReader::new(data, LIMIT) {
        if frame.is_err() {
            break;
        }
    }
});
