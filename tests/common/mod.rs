//! Shared helpers for black-box tests: start the real `telltale` binary on
//! `127.0.0.1:0` with a temporary data directory and talk HTTP to it.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// A running `telltale serve` process, killed on drop.
pub struct Server {
    pub child: Child,
    pub addr: String,
    pub data_dir: PathBuf,
    pub log: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    _tmp: Option<tempfile::TempDir>,
}

/// Where the binary under test is.
pub fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_telltale"))
}

impl Server {
    /// Starts `telltale serve` with `args` and a fresh data directory, and
    /// waits (at most 60 s) for the line that gives the address.
    pub fn start(args: &[&str]) -> Server {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().join("data");
        let mut s = Server::start_in(&dir, args);
        s._tmp = Some(tmp);
        s
    }

    /// Starts `telltale serve` on an existing data directory.
    pub fn start_in(data_dir: &Path, args: &[&str]) -> Server {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        Server::start_in_at(data_dir, "127.0.0.1:0", &args)
    }

    /// Starts `telltale serve` on a data directory and a given address.
    pub fn start_in_at(data_dir: &Path, listen: &str, args: &[String]) -> Server {
        let mut cmd = Command::new(binary());
        cmd.arg("serve")
            .arg("--listen")
            .arg(listen)
            .arg("--data-dir")
            .arg(data_dir)
            .args(args)
            .env("RUST_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .stdin(Stdio::null());
        let mut child = cmd.spawn().expect("start telltale");
        let (tx, rx) = mpsc::channel::<String>();
        let log = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        for stream in [
            Box::new(child.stderr.take().expect("stderr")) as Box<dyn Read + Send>,
            Box::new(child.stdout.take().expect("stdout")) as Box<dyn Read + Send>,
        ] {
            let tx = tx.clone();
            let log = log.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    if let Ok(mut l) = log.lock() {
                        l.push(line.clone());
                    }
                    let _ = tx.send(line);
                }
            });
        }
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut addr = None;
        while Instant::now() < deadline {
            match rx.recv_timeout(Duration::from_millis(200)) {
                Ok(line) => {
                    if let Some(i) = line.find("http://127.0.0.1:") {
                        let rest = &line[i + "http://".len()..];
                        let end = rest.find(['/', ' ']).unwrap_or(rest.len());
                        addr = Some(rest[..end].to_string());
                        break;
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    if let Ok(Some(st)) = child.try_wait() {
                        panic!(
                            "telltale exited early with {st}: {:?}",
                            log.lock().map(|l| l.clone())
                        );
                    }
                }
                Err(_) => break,
            }
        }
        let addr = addr.unwrap_or_else(|| {
            panic!(
                "no listen address logged: {:?}",
                log.lock().map(|l| l.clone())
            )
        });
        let s = Server {
            child,
            addr,
            data_dir: data_dir.to_path_buf(),
            log,
            _tmp: None,
        };
        s.wait_ready(Duration::from_secs(60));
        s
    }

    /// Waits until `/-/ready` answers 200.
    pub fn wait_ready(&self, max: Duration) {
        let deadline = Instant::now() + max;
        while Instant::now() < deadline {
            if let Ok((200, _)) = http(&self.addr, "GET", "/-/ready", &[], b"") {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("server not ready in {max:?}");
    }

    /// GET a path; returns status and body.
    pub fn get(&self, path: &str) -> (u16, String) {
        let (s, b) = http(&self.addr, "GET", path, &[], b"").expect("http");
        (s, String::from_utf8_lossy(&b).into_owned())
    }

    /// POST a form-encoded body.
    pub fn post_form(&self, path: &str, form: &str) -> (u16, String) {
        let (s, b) = http(
            &self.addr,
            "POST",
            path,
            &[("Content-Type", "application/x-www-form-urlencoded")],
            form.as_bytes(),
        )
        .expect("http");
        (s, String::from_utf8_lossy(&b).into_owned())
    }

    /// Sends SIGTERM and waits (at most 30 s) for a clean exit.
    pub fn stop(mut self) -> std::process::ExitStatus {
        let pid = self.child.id();
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(pid.to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(Some(st)) = self.child.try_wait() {
                return st;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("telltale did not stop after SIGTERM");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A minimal HTTP/1.1 client (Connection: close), enough for tests.
pub fn http(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<(u16, Vec<u8>)> {
    let mut s = TcpStream::connect(addr)?;
    s.set_read_timeout(Some(Duration::from_secs(60)))?;
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes())?;
    s.write_all(body)?;
    let mut buf = Vec::new();
    s.read_to_end(&mut buf)?;
    let head_end = buf
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| std::io::Error::other("no header end"))?;
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let status: u16 = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other("bad status line"))?;
    let mut body = buf[head_end + 4..].to_vec();
    if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        body = dechunk(&body);
    }
    Ok((status, body))
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(pos) = b.windows(2).position(|w| w == b"\r\n") {
        let size = usize::from_str_radix(
            String::from_utf8_lossy(&b[..pos])
                .split(';')
                .next()
                .unwrap_or("0")
                .trim(),
            16,
        )
        .unwrap_or(0);
        if size == 0 {
            break;
        }
        let start = pos + 2;
        if b.len() < start + size {
            break;
        }
        out.extend_from_slice(&b[start..start + size]);
        b = &b[(start + size + 2).min(b.len())..];
    }
    out
}

/// URL-encodes a query parameter value.
pub fn enc(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// The current Unix time in seconds.
pub fn now_secs() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}
