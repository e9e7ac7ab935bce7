//! `meminfo`: every `/proc/meminfo` line as `node_memory_<Field>[_bytes]`.

use std::path::PathBuf;

use crate::emit::Emitter;
use crate::error::CollectorError;
use crate::read::{field, read_string};
use crate::registry::Collector;

pub(crate) struct Meminfo {
    path: PathBuf,
}

impl Meminfo {
    pub(crate) fn new(procfs: &std::path::Path) -> Self {
        Meminfo {
            path: procfs.join("meminfo"),
        }
    }
}

impl Collector for Meminfo {
    fn update(&self, out: &mut Emitter) -> Result<(), CollectorError> {
        let text = read_string(&self.path)?;
        let mut any = false;
        for (i, line) in text.lines().enumerate() {
            let Some((key, rest)) = line.split_once(':') else {
                continue;
            };
            let mut parts = rest.split_ascii_whitespace();
            let Some(num) = parts.next() else { continue };
            let mut v = field(&self.path, i + 1, num)?;
            // `Active(anon)` becomes `Active_anon`, as node_exporter names it.
            let mut name = key.replace('(', "_").replace(')', "");
            if parts.next() == Some("kB") {
                v *= 1024.0;
                name.push_str("_bytes");
            }
            let help = format!("Memory information field {name}.");
            out.gauge(&format!("node_memory_{name}"), &help, &[], v);
            any = true;
        }
        if !any {
            return Err(CollectorError::parse(&self.path, 0, "no fields"));
        }
        Ok(())
    }
}
