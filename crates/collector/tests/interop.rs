//! Interop with the real tools, where installed: values agree with a
//! running `prometheus-node-exporter` scraped just before and just after
//! our collection, and `promtool check metrics` accepts our output. Each
//! test skips with a printed reason when its tool is missing.

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use telltale_collector::{CollectorConfig, Collectors};

fn which(tool: &str) -> Option<std::path::PathBuf> {
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .map(|d| std::path::Path::new(d).join(tool))
        .find(|p| p.is_file())
}

/// GET /metrics over plain HTTP/1.0, `None` if the exporter is not up.
fn scrape(port: u16) -> Option<String> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    s.write_all(b"GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
        .ok()?;
    let mut body = String::new();
    s.read_to_string(&mut body).ok()?;
    let (head, body) = body.split_once("\r\n\r\n")?;
    head.starts_with("HTTP/1.0 200")
        .then(|| body.to_string())
        .or_else(|| head.starts_with("HTTP/1.1 200").then(|| body.to_string()))
}

struct Exporter(Child);

impl Drop for Exporter {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Series whose values must be equal in both (they do not change while
/// the machine runs).
const EQUAL: [&str; 8] = [
    "node_memory_MemTotal_bytes",
    "node_filesystem_size_bytes",
    "node_filefd_maximum",
    "node_network_mtu_bytes",
    "node_network_iface_id",
    "node_entropy_pool_size_bits",
    "node_os_version",
    "node_uname_info",
];

/// Counters: node_exporter's first scrape <= ours <= its second.
const MONOTONIC: [&str; 8] = [
    "node_cpu_seconds_total",
    "node_context_switches_total",
    "node_forks_total",
    "node_intr_total",
    "node_disk_reads_completed_total",
    "node_disk_written_bytes_total",
    "node_network_transmit_packets_total",
    "node_vmstat_pgfault",
];

#[test]
fn values_agree_with_node_exporter() {
    let Some(bin) = which("prometheus-node-exporter").or_else(|| which("node_exporter")) else {
        println!("skipping: prometheus-node-exporter is not installed");
        return;
    };
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(bin)
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let _guard = Exporter(child);
    let mut before = None;
    for _ in 0..100 {
        before = scrape(port);
        if before.is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let Some(before) = before else {
        println!("skipping: node_exporter did not start on port {port}");
        return;
    };
    let ours = Collectors::new(&CollectorConfig::default())
        .unwrap()
        .collect();
    let after = scrape(port).expect("second scrape");
    let (before, after, ours) = (
        common::read_samples(&before),
        common::read_samples(&after),
        common::our_samples(&ours),
    );
    let mut problems = Vec::new();
    let mut compared = 0;
    for (key, v) in &ours {
        let name = &key[..key.find('{').unwrap_or(key.len())];
        let (Some(b), Some(a)) = (before.get(key), after.get(key)) else {
            continue;
        };
        if EQUAL.contains(&name) {
            compared += 1;
            if v != b || v != a {
                problems.push(format!("{key}: ours {v}, node_exporter {b} then {a}"));
            }
        } else if MONOTONIC.contains(&name) {
            compared += 1;
            if *v < *b || *v > *a {
                problems.push(format!(
                    "{key}: ours {v} outside node_exporter's [{b}, {a}]"
                ));
            }
        }
    }
    for name in EQUAL.iter().chain(MONOTONIC.iter()) {
        let prefix = format!("{name}{{");
        let theirs = before.keys().any(|k| k.starts_with(&prefix));
        let mine = ours.keys().any(|k| k.starts_with(&prefix));
        if theirs && !mine {
            problems.push(format!("{name}: node_exporter has it, we do not"));
        }
    }
    println!("compared {compared} series with node_exporter");
    assert!(compared > 20, "too few series in common: {compared}");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Runs `promtool check metrics` on `text`; its complaint lines.
fn promtool_complaints(promtool: &std::path::Path, text: &str) -> Vec<String> {
    let mut child = Command::new(promtool)
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .chain(String::from_utf8_lossy(&out.stderr).lines())
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect()
}

/// promtool may only complain about what it also complains about in
/// node_exporter's own output: names like `node_netstat_Tcp_InSegs` must
/// stay as they are for compatibility. Anything else (a parse error, a
/// lint on a family of ours) fails.
#[test]
fn promtool_check_metrics_is_clean() {
    let Some(promtool) = which("promtool") else {
        println!("skipping: promtool is not installed");
        return;
    };
    let reference = common::testdata_dir().join("node_exporter/metrics-1.5.0.txt");
    let Ok(reference) = std::fs::read_to_string(&reference) else {
        println!(
            "skipping: {} not found (set TELLTALE_TESTDATA)",
            reference.display()
        );
        return;
    };
    let allowed = promtool_complaints(&promtool, &reference);
    let mut cfg = CollectorConfig::default();
    cfg.apply_flags(&["--collector.cgroup", "--collector.processes_top"])
        .unwrap();
    let text = common::encode(&Collectors::new(&cfg).unwrap().collect());
    let ours = promtool_complaints(&promtool, &text);
    let new: Vec<&String> = ours.iter().filter(|c| !allowed.contains(c)).collect();
    println!(
        "promtool: {} complaints, all {} shared with node_exporter's own output",
        ours.len(),
        ours.len() - new.len()
    );
    assert!(new.is_empty(), "promtool complains:\n{new:#?}");
}
