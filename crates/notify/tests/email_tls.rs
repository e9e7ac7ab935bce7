//! E-mail over STARTTLS with authentication, against an SMTP sink the test
//! starts on 127.0.0.1 with a freshly generated self-signed certificate.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use jiff::SignedDuration;
use telltale_model::Labels;
use telltale_notify::{Alert, Config, Notifier};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};

type Log = Arc<Mutex<Vec<String>>>;

/// Runs SMTP until QUIT; returns the stream when the client asks for
/// STARTTLS so the caller can upgrade it.
async fn session<S: AsyncRead + AsyncWrite + Unpin>(s: S, offer_tls: bool, log: &Log) -> Option<S> {
    let mut r = BufReader::new(s);
    let mut line = String::new();
    let mut in_data = false;
    let mut data = String::new();
    loop {
        line.clear();
        if r.read_line(&mut line).await.unwrap_or(0) == 0 {
            return None;
        }
        if in_data {
            if line == ".\r\n" {
                in_data = false;
                log.lock().unwrap().push(format!("MESSAGE {data}"));
                r.get_mut().write_all(b"250 queued\r\n").await.ok()?;
            } else {
                data.push_str(&line);
            }
            continue;
        }
        log.lock().unwrap().push(line.trim_end().to_string());
        let cmd = line.to_ascii_uppercase();
        let reply: &[u8] = if cmd.starts_with("EHLO") {
            if offer_tls {
                b"250-sink\r\n250 STARTTLS\r\n"
            } else {
                b"250-sink\r\n250 AUTH PLAIN LOGIN\r\n"
            }
        } else if cmd.starts_with("STARTTLS") {
            r.get_mut().write_all(b"220 go ahead\r\n").await.ok()?;
            return Some(r.into_inner());
        } else if cmd.starts_with("AUTH") {
            b"235 ok\r\n"
        } else if cmd.starts_with("DATA") {
            in_data = true;
            b"354 go\r\n"
        } else if cmd.starts_with("QUIT") {
            r.get_mut().write_all(b"221 bye\r\n").await.ok()?;
            return None;
        } else {
            b"250 ok\r\n"
        };
        r.get_mut().write_all(reply).await.ok()?;
    }
}

async fn starttls_sink() -> (Log, u16) {
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let key = rustls::pki_types::PrivatePkcs8KeyDer::from(cert.signing_key.serialize_der());
    let config = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(vec![cert.cert.der().clone()], key.into())
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let log: Log = Arc::default();
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    let log2 = log.clone();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = l.accept().await {
            let log = log2.clone();
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                if sock.write_all(b"220 sink ESMTP\r\n").await.is_err() {
                    return;
                }
                let Some(plain) = session(sock, true, &log).await else {
                    return;
                };
                let Ok(tls) = acceptor.accept(plain).await else {
                    log.lock().unwrap().push("TLS handshake failed".into());
                    return;
                };
                log.lock().unwrap().push("TLS established".into());
                session(tls, false, &log).await;
            });
        }
    });
    (log, port)
}

#[tokio::test]
async fn email_goes_over_starttls_with_auth() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let (log, port) = starttls_sink().await;
    let cfg = Config::load(&format!(
        "global:\n  smtp_smarthost: 'localhost:{port}'\n  smtp_from: 'telltale@example.org'\n  smtp_auth_username: bob\n  smtp_auth_password: hunter2\nroute:\n  receiver: m\n  group_wait: 0s\nreceivers:\n- name: m\n  email_configs:\n  - to: 'ops@example.org'\n    tls_config:\n      insecure_skip_verify: true\n"
    ))
    .unwrap();
    let n = Notifier::new(cfg, None).unwrap();
    let now = n.now();
    let mut a = Alert::firing(Labels::from_pairs(&[("alertname", "Tls")]), now);
    a.ends_at = Some(now + SignedDuration::from_hours(1));
    n.add_alerts(vec![a]).unwrap();
    for _ in 0..200 {
        if log.lock().unwrap().iter().any(|l| l.starts_with("MESSAGE")) || !n.history().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let log = log.lock().unwrap();
    let pos = |p: &str| log.iter().position(|l| l.starts_with(p));
    let tls = pos("TLS established").unwrap_or_else(|| panic!("{log:?} {:?}", n.history()));
    let auth = pos("AUTH PLAIN").expect("authenticated");
    assert!(auth > tls, "credentials only after TLS: {log:?}");
    assert!(pos("MESSAGE").is_some(), "{log:?}");
    assert_eq!(n.history()[0].outcome, "success");
}
