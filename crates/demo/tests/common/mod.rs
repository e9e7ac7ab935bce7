//! Shared by the black-box tests: start a demo on 127.0.0.1:0 and talk
//! HTTP/1.1 to it over a plain socket.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::Duration;

use telltale_demo::{DemoConfig, DemoHandle};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// An answer: status code and body.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub content_type: String,
    pub body: String,
}

/// A demo on a free loopback port, quiet (no log lines), seeded.
pub async fn start_demo(tweak: impl FnOnce(&mut DemoConfig)) -> DemoHandle {
    let mut cfg = DemoConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        log_interval: None,
        seed: Some(1),
        ..DemoConfig::default()
    };
    tweak(&mut cfg);
    telltale_demo::start(cfg).await.unwrap()
}

fn decode_chunked(mut body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(eol) = body.windows(2).position(|w| w == b"\r\n") else {
            return out;
        };
        let size_str = std::str::from_utf8(&body[..eol]).unwrap();
        let size = usize::from_str_radix(size_str.split(';').next().unwrap().trim(), 16).unwrap();
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&body[eol + 2..eol + 2 + size]);
        body = &body[eol + 2 + size + 2..];
    }
}

/// `GET path` with `Connection: close`, within 60 s.
pub async fn get(addr: SocketAddr, path: &str) -> Answer {
    request(addr, "GET", path).await
}

/// Any method.
pub async fn request(addr: SocketAddr, method: &str, path: &str) -> Answer {
    tokio::time::timeout(Duration::from_secs(60), async {
        let mut s = TcpStream::connect(addr).await.unwrap();
        let req = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
        s.write_all(req.as_bytes()).await.unwrap();
        let mut raw = Vec::new();
        s.read_to_end(&mut raw).await.unwrap();
        let split = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
        let head = String::from_utf8(raw[..split].to_vec()).unwrap();
        let mut body = raw[split + 4..].to_vec();
        let status: u16 = head.split(' ').nth(1).unwrap().parse().unwrap();
        let mut content_type = String::new();
        for line in head.lines().skip(1) {
            let (k, v) = line.split_once(':').unwrap();
            let k = k.to_ascii_lowercase();
            if k == "transfer-encoding" && v.trim().eq_ignore_ascii_case("chunked") {
                body = decode_chunked(&body);
            }
            if k == "content-type" {
                content_type = v.trim().to_string();
            }
        }
        Answer {
            status,
            content_type,
            body: String::from_utf8(body).unwrap(),
        }
    })
    .await
    .expect("request timed out")
}

/// The value of the sample with exactly these `name{labels}` in OpenMetrics
/// text, parsed with Telltale's own parser.
pub fn sample(text: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    let families = telltale_exposition::parse_families(
        text.as_bytes(),
        telltale_exposition::Format::OpenMetrics,
    )
    .unwrap();
    families
        .iter()
        .flat_map(|f| &f.samples)
        .find(|s| {
            s.labels.get("__name__") == name
                && labels.iter().all(|(k, v)| s.labels.get(k) == *v)
                && s.labels.len() == labels.len() + 1
        })
        .map(|s| s.value)
}

/// Scrapes and returns one sample's value.
pub async fn metric(addr: SocketAddr, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    let m = get(addr, "/metrics").await;
    assert_eq!(m.status, 200);
    sample(&m.body, name, labels)
}

/// Polls `metric` every 50 ms (at most `tries` times) until `ok` holds.
pub async fn wait_for_metric(
    addr: SocketAddr,
    name: &str,
    labels: &[(&str, &str)],
    tries: usize,
    ok: impl Fn(f64) -> bool,
) -> bool {
    for _ in 0..tries {
        if metric(addr, name, labels).await.is_some_and(&ok) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}
