//! `netstat`: protocol counters from `/proc/net/netstat`, `/proc/net/snmp`
//! and `/proc/net/snmp6`, and `sockstat`: socket counts from
//! `/proc/net/sockstat` and `/proc/net/sockstat6`.

use std::path::{Path, PathBuf};

use regex::Regex;

use crate::emit::Emitter;
use crate::error::CollectorError;
use crate::read::{field, read_string};
use crate::registry::Collector;

pub(crate) struct Netstat {
    net: PathBuf,
    fields: Regex,
}

impl Netstat {
    pub(crate) fn new(procfs: &Path, fields: Regex) -> Self {
        Netstat {
            net: procfs.join("net"),
            fields,
        }
    }

    fn emit(&self, out: &mut Emitter, proto: &str, key: &str, v: f64) {
        let name = format!("{proto}_{key}");
        if !self.fields.is_match(&name) {
            return;
        }
        out.untyped(
            &format!("node_netstat_{name}"),
            &format!("Statistic {proto}{key}."),
            &[],
            v,
        );
    }

    /// `netstat` and `snmp` come as pairs of lines: `Proto: Name Name...`
    /// then `Proto: value value...`.
    fn read_pairs(&self, out: &mut Emitter, path: &Path) -> Result<(), CollectorError> {
        let text = read_string(path)?;
        let lines: Vec<&str> = text.lines().collect();
        for (i, pair) in lines.chunks(2).enumerate() {
            let [names, values] = pair else {
                return Err(CollectorError::parse(
                    path,
                    i * 2 + 1,
                    "odd number of lines",
                ));
            };
            let (Some((proto, names)), Some((proto2, values))) =
                (names.split_once(':'), values.split_once(':'))
            else {
                return Err(CollectorError::parse(path, i * 2 + 1, "no protocol prefix"));
            };
            if proto != proto2 {
                return Err(CollectorError::parse(path, i * 2 + 2, "protocol mismatch"));
            }
            for (key, v) in names
                .split_ascii_whitespace()
                .zip(values.split_ascii_whitespace())
            {
                let v = field(path, i * 2 + 2, v)?;
                self.emit(out, proto, key, v);
            }
        }
        Ok(())
    }

    /// `snmp6` has one `Ip6InReceives 123` pair a line; the protocol is the
    /// name up to its first `6`.
    fn read_snmp6(&self, out: &mut Emitter, path: &Path) -> Result<(), CollectorError> {
        let text = read_string(path)?;
        for (i, line) in text.lines().enumerate() {
            let mut parts = line.split_ascii_whitespace();
            let (Some(name), Some(v)) = (parts.next(), parts.next()) else {
                continue;
            };
            let Some(six) = name.find('6') else { continue };
            let (proto, key) = name.split_at(six + 1);
            let v = field(path, i + 1, v)?;
            self.emit(out, proto, key, v);
        }
        Ok(())
    }
}

impl Collector for Netstat {
    fn update(&self, out: &mut Emitter) -> Result<(), CollectorError> {
        self.read_pairs(out, &self.net.join("netstat"))?;
        self.read_pairs(out, &self.net.join("snmp"))?;
        // IPv6 may be disabled: then there is no snmp6 and that is fine.
        let snmp6 = self.net.join("snmp6");
        if snmp6.exists() {
            self.read_snmp6(out, &snmp6)?;
        }
        Ok(())
    }
}

pub(crate) struct Sockstat {
    net: PathBuf,
    page_size: f64,
}

impl Sockstat {
    pub(crate) fn new(procfs: &Path) -> Self {
        Sockstat {
            net: procfs.join("net"),
            page_size: rustix::param::page_size() as f64,
        }
    }

    fn read(&self, out: &mut Emitter, path: &Path) -> Result<(), CollectorError> {
        let text = read_string(path)?;
        for (i, line) in text.lines().enumerate() {
            let Some((proto, rest)) = line.split_once(':') else {
                continue;
            };
            let parts: Vec<&str> = rest.split_ascii_whitespace().collect();
            for kv in parts.chunks(2) {
                let [key, v] = kv else {
                    return Err(CollectorError::parse(path, i + 1, "odd number of fields"));
                };
                let v = field(path, i + 1, v)?;
                if proto == "sockets" && *key == "used" {
                    out.gauge(
                        "node_sockstat_sockets_used",
                        "Number of IPv4 sockets in use.",
                        &[],
                        v,
                    );
                    continue;
                }
                out.gauge(
                    &format!("node_sockstat_{proto}_{key}"),
                    &format!("Number of {proto} sockets in state {key}."),
                    &[],
                    v,
                );
                if *key == "mem" {
                    out.gauge(
                        &format!("node_sockstat_{proto}_mem_bytes"),
                        &format!("Number of {proto} sockets in state mem_bytes."),
                        &[],
                        v * self.page_size,
                    );
                }
            }
        }
        Ok(())
    }
}

impl Collector for Sockstat {
    fn update(&self, out: &mut Emitter) -> Result<(), CollectorError> {
        self.read(out, &self.net.join("sockstat"))?;
        let v6 = self.net.join("sockstat6");
        if v6.exists() {
            self.read(out, &v6)?;
        }
        Ok(())
    }
}
