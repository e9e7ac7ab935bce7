//! A tiny WebDriver client (raw JSON over HTTP) driving Debian's chromium
//! through chromedriver on 127.0.0.1.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// Why the browser tests cannot run here, if they cannot.
pub fn missing() -> Option<String> {
    let chromium = std::env::var("TELLTALE_CHROMIUM").unwrap_or_else(|_| CHROMIUM.into());
    let driver = std::env::var("TELLTALE_CHROMEDRIVER").unwrap_or_else(|_| CHROMEDRIVER.into());
    for p in [&chromium, &driver] {
        if !Path::new(p).exists() {
            return Some(format!(
                "{p} is missing (apt-get install chromium chromium-driver)"
            ));
        }
    }
    None
}

/// A chromedriver process and one browser session; both end on drop.
pub struct Browser {
    driver: Child,
    base: String,
    http: reqwest::Client,
    _profile: tempfile::TempDir,
}

impl Browser {
    pub async fn start(width: u32, height: u32) -> Browser {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let chromium = std::env::var("TELLTALE_CHROMIUM").unwrap_or_else(|_| CHROMIUM.into());
        let driver_bin =
            std::env::var("TELLTALE_CHROMEDRIVER").unwrap_or_else(|_| CHROMEDRIVER.into());
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let driver = Command::new(driver_bin)
            .arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting chromedriver");
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(120))
            .build()
            .unwrap();
        let base = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(r) = http.get(format!("{base}/status")).send().await
                && r.status().is_success()
            {
                break;
            }
            assert!(Instant::now() < deadline, "chromedriver did not start");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let profile = tempfile::tempdir().unwrap();
        let args = vec![
            "--headless=new".to_string(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-quic".into(),
            "--no-first-run".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            "--disable-dev-shm-usage".into(),
            "--hide-scrollbars".into(),
            format!("--window-size={width},{height}"),
            format!("--user-data-dir={}", profile.path().display()),
        ];
        let mut b = Browser {
            driver,
            base,
            http,
            _profile: profile,
        };
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": chromium, "args": args},
            "goog:loggingPrefs": {"browser": "ALL"},
        }}});
        let v = b.call("POST", "/session", caps).await;
        let id = v["sessionId"].as_str().expect("session id").to_string();
        b.base = format!("{}/session/{id}", b.base);
        // Collect page errors and console errors from the first script on.
        b.cdp(
            "Page.addScriptToEvaluateOnNewDocument",
            json!({"source": "window.__errors = [];\
                window.addEventListener('error', e => window.__errors.push('error: ' + e.message));\
                window.addEventListener('unhandledrejection', e => window.__errors.push('rejection: ' + (e.reason && e.reason.message || e.reason)));\
                const ce = console.error; console.error = function(...a) { window.__errors.push('console: ' + a.join(' ')); ce.apply(console, a); };"}),
        )
        .await;
        b
    }

    async fn call(&self, method: &str, path: &str, body: Value) -> Value {
        let url = format!("{}{path}", self.base);
        let req = match method {
            "GET" => self.http.get(url),
            "DELETE" => self.http.delete(url),
            _ => self.http.post(url).json(&body),
        };
        let resp = req.send().await.expect("webdriver request");
        let v: Value = resp.json().await.expect("webdriver JSON");
        if let Some(e) = v["value"].get("error") {
            panic!("webdriver {method} {path}: {e}: {}", v["value"]["message"]);
        }
        v["value"].clone()
    }

    pub async fn cdp(&self, cmd: &str, params: Value) -> Value {
        self.call(
            "POST",
            "/goog/cdp/execute",
            json!({"cmd": cmd, "params": params}),
        )
        .await
    }

    pub async fn goto(&self, url: &str) {
        self.call("POST", "/url", json!({"url": url})).await;
    }

    /// Runs `script` (a function body; may return a promise) with `args`.
    pub async fn js(&self, script: &str, args: Value) -> Value {
        self.call(
            "POST",
            "/execute/sync",
            json!({"script": script, "args": args}),
        )
        .await
    }

    /// Polls `cond` (a JS expression) until it is truthy; panics with
    /// `what` after `secs` seconds.
    pub async fn wait(&self, cond: &str, what: &str, secs: u64) -> Value {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let v = self
                .js(
                    &format!("try {{ return ({cond}); }} catch (e) {{ return null; }}"),
                    json!([]),
                )
                .await;
            if !v.is_null() && v != json!(false) && v != json!(0) && v != json!("") {
                return v;
            }
            if Instant::now() > deadline {
                let errors = self.js("return window.__errors || []", json!([])).await;
                let body = self
                    .js(
                        "return document.getElementById('main').innerText.slice(0, 2000)",
                        json!([]),
                    )
                    .await;
                panic!("timed out waiting for {what}: {cond}\nerrors: {errors}\npage: {body}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn find(&self, css: &str) -> String {
        let v = self
            .call(
                "POST",
                "/element",
                json!({"using": "css selector", "value": css}),
            )
            .await;
        v.as_object()
            .and_then(|o| o.values().next())
            .and_then(Value::as_str)
            .expect("element id")
            .to_string()
    }

    pub async fn click(&self, css: &str) {
        let id = self.find(css).await;
        self.call("POST", &format!("/element/{id}/click"), json!({}))
            .await;
    }

    pub async fn type_into(&self, css: &str, text: &str) {
        let id = self.find(css).await;
        self.call(
            "POST",
            &format!("/element/{id}/value"),
            json!({"text": text}),
        )
        .await;
    }

    pub async fn set_size(&self, width: u32, height: u32) {
        self.call(
            "POST",
            "/window/rect",
            json!({"width": width, "height": height}),
        )
        .await;
    }

    pub async fn screenshot(&self, path: &Path) {
        use base64::Engine as _;
        let v = self.call("GET", "/screenshot", Value::Null).await;
        let png = base64::engine::general_purpose::STANDARD
            .decode(v.as_str().expect("screenshot data"))
            .unwrap();
        std::fs::write(path, png).unwrap();
    }

    /// Errors seen by the page (collector) and severe browser log entries.
    pub async fn errors(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .js("return window.__errors || []", json!([]))
            .await
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .filter_map(|v| v.as_str().map(String::from))
            .collect();
        let url = format!("{}/se/log", self.base);
        if let Ok(r) = self
            .http
            .post(url)
            .json(&json!({"type": "browser"}))
            .send()
            .await
            && let Ok(v) = r.json::<Value>().await
        {
            for e in v["value"].as_array().into_iter().flatten() {
                if e["level"] == "SEVERE" {
                    out.push(format!("log: {}", e["message"]));
                }
            }
        }
        out
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // End the session (so chromium exits) with a plain blocking request,
        // then stop chromedriver.
        if let Some(rest) = self.base.strip_prefix("http://")
            && let Some((host, path)) = rest.split_once('/')
            && let Ok(mut s) = std::net::TcpStream::connect(host)
        {
            use std::io::{Read, Write};
            let _ = s.set_read_timeout(Some(Duration::from_secs(10)));
            let _ = write!(
                s,
                "DELETE /{path} HTTP/1.1\r\nHost: {host}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
            let mut buf = Vec::new();
            let _ = s.read_to_end(&mut buf);
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}
