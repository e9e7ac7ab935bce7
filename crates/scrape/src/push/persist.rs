//! The push groups file: every group, so pushes survive a restart.
//!
//! Format (JSON, version 1), written to a temporary file, fsynced and
//! renamed over the old one so a crash leaves the old or the new file:
//!
//! ```json
//! {"version": 1, "groups": [{
//!   "key": {"job": "batch"}, "push_time_ms": 1700000000000,
//!   "push_failure_time_ms": 0, "expires_at_ms": null,
//!   "families": [{"name": "m", "type": "gauge", "help": "...", "unit": "",
//!                 "samples": [{"labels": {"__name__": "m", "job": "batch"}, "value": "1.5"}]}]
//! }]}
//! ```
//!
//! Values are strings so that `NaN` and `±Inf` survive (Rust's shortest
//! round-trip float formatting).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use serde::{Deserialize, Serialize};
use telltale_model::{FamilySample, Label, Labels, MetricFamily, MetricMetadata, MetricType};

use super::group::PushGroup;
use crate::error::ScrapeError;

/// The file name inside the data directory.
pub const GROUPS_FILE: &str = "push_groups.json";
/// The format version written.
pub const FORMAT_VERSION: u32 = 1;
/// The largest groups file read back, in bytes.
pub const MAX_FILE_BYTES: u64 = 1 << 30;

#[derive(Serialize, Deserialize)]
struct FileV1 {
    version: u32,
    groups: Vec<GroupV1>,
}

#[derive(Serialize, Deserialize)]
struct GroupV1 {
    key: BTreeMap<String, String>,
    push_time_ms: i64,
    push_failure_time_ms: i64,
    expires_at_ms: Option<i64>,
    families: Vec<FamilyV1>,
}

#[derive(Serialize, Deserialize)]
struct FamilyV1 {
    name: String,
    #[serde(rename = "type")]
    kind: String,
    help: String,
    unit: String,
    samples: Vec<SampleV1>,
}

#[derive(Serialize, Deserialize)]
struct SampleV1 {
    labels: BTreeMap<String, String>,
    value: String,
}

/// Serializes groups to the file format.
pub fn encode_groups<'a>(groups: impl Iterator<Item = &'a PushGroup>) -> Vec<u8> {
    let file = FileV1 {
        version: FORMAT_VERSION,
        groups: groups
            .map(|g| GroupV1 {
                key: g.key.clone(),
                push_time_ms: g.push_time_ms,
                push_failure_time_ms: g.push_failure_time_ms,
                expires_at_ms: g.expires_at_ms,
                families: g
                    .families
                    .values()
                    .map(|f| FamilyV1 {
                        name: f.name.clone(),
                        kind: f.metadata.metric_type.as_str().to_string(),
                        help: f.metadata.help.clone(),
                        unit: f.metadata.unit.clone(),
                        samples: f
                            .samples
                            .iter()
                            .map(|s| SampleV1 {
                                labels: s
                                    .labels
                                    .iter()
                                    .map(|l| (l.name.clone(), l.value.clone()))
                                    .collect(),
                                value: format!("{}", s.value),
                            })
                            .collect(),
                    })
                    .collect(),
            })
            .collect(),
    };
    serde_json::to_vec(&file).unwrap_or_default()
}

/// Parses the file format.
///
/// # Errors
///
/// [`ScrapeError::Io`] naming `name` for invalid JSON, an unknown version
/// or a bad value.
pub fn decode_groups(name: &str, data: &[u8]) -> Result<Vec<PushGroup>, ScrapeError> {
    let err = |message: String| ScrapeError::Io {
        file: name.to_string(),
        message,
    };
    let f: FileV1 =
        serde_json::from_slice(data).map_err(|e| err(format!("invalid groups file: {e}")))?;
    if f.version != FORMAT_VERSION {
        return Err(err(format!(
            "unsupported groups file version {}",
            f.version
        )));
    }
    let mut out = Vec::with_capacity(f.groups.len());
    for g in f.groups {
        let mut pg = PushGroup::new(g.key);
        pg.push_time_ms = g.push_time_ms;
        pg.push_failure_time_ms = g.push_failure_time_ms;
        pg.expires_at_ms = g.expires_at_ms;
        for fam in g.families {
            let mut mf = MetricFamily::new(
                fam.name.clone(),
                MetricMetadata {
                    metric_type: MetricType::parse(&fam.kind).unwrap_or_default(),
                    help: fam.help,
                    unit: fam.unit,
                },
            );
            for s in fam.samples {
                let value: f64 = s
                    .value
                    .parse()
                    .map_err(|_| err(format!("bad sample value {:?}", s.value)))?;
                mf.samples.push(FamilySample {
                    labels: Labels::new(
                        s.labels
                            .into_iter()
                            .map(|(k, v)| Label::new(k, v))
                            .collect(),
                    ),
                    value,
                    timestamp: None,
                });
            }
            pg.families.insert(fam.name, mf);
        }
        out.push(pg);
    }
    Ok(out)
}

/// Writes `data` to `dir/GROUPS_FILE` atomically.
///
/// # Errors
///
/// [`ScrapeError::Io`] naming the file.
pub fn write_atomic(dir: &Path, data: &[u8]) -> Result<(), ScrapeError> {
    let path = dir.join(GROUPS_FILE);
    let tmp = dir.join(format!("{GROUPS_FILE}.tmp"));
    let name = tmp.to_string_lossy().into_owned();
    let mut f = std::fs::File::create(&tmp).map_err(|e| ScrapeError::io(&name, &e))?;
    f.write_all(data).map_err(|e| ScrapeError::io(&name, &e))?;
    f.sync_all().map_err(|e| ScrapeError::io(&name, &e))?;
    drop(f);
    std::fs::rename(&tmp, &path)
        .map_err(|e| ScrapeError::io(path.to_string_lossy().as_ref(), &e))?;
    if let Ok(d) = std::fs::File::open(dir) {
        // Persist the rename; not every platform supports fsync on a dir.
        let _ = d.sync_all();
    }
    Ok(())
}

/// The name a corrupt groups file is moved to.
pub const CORRUPT_FILE: &str = "push_groups.json.corrupt";

/// Reads the groups file in `dir`; a missing file is no groups.
///
/// A file that reads but does not decode (torn by a disk fault, edited by
/// hand, from a newer version) is moved aside to [`CORRUPT_FILE`] and the
/// push API starts empty, with an error logged: losing pushed groups is
/// better than a whole server that cannot start. The Pushgateway, too,
/// starts empty when it cannot load its persistence file.
///
/// # Errors
///
/// [`ScrapeError::Io`] when the file exists but cannot be read or moved,
/// or is larger than [`MAX_FILE_BYTES`].
pub fn read_groups(dir: &Path) -> Result<Vec<PushGroup>, ScrapeError> {
    let path = dir.join(GROUPS_FILE);
    let name = path.to_string_lossy().into_owned();
    let meta = match std::fs::metadata(&path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(ScrapeError::io(&name, &e)),
    };
    if meta.len() > MAX_FILE_BYTES {
        return Err(ScrapeError::Io {
            file: name,
            message: format!("larger than {MAX_FILE_BYTES} bytes"),
        });
    }
    let data = std::fs::read(&path).map_err(|e| ScrapeError::io(&name, &e))?;
    match decode_groups(&name, &data) {
        Ok(g) => Ok(g),
        Err(e) => {
            let aside = dir.join(CORRUPT_FILE);
            std::fs::rename(&path, &aside)
                .map_err(|err| ScrapeError::io(aside.to_string_lossy().as_ref(), &err))?;
            tracing::error!(error = %e, moved_to = %aside.display(), "push groups file is corrupt; starting with no groups");
            Ok(Vec::new())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_special_values_and_metadata() {
        let mut g = PushGroup::new(BTreeMap::from([("job".into(), "j".into())]));
        g.push_time_ms = 42;
        g.expires_at_ms = Some(99);
        let mut f = MetricFamily::new(
            "m",
            MetricMetadata {
                metric_type: MetricType::Counter,
                help: "h\nx".into(),
                unit: String::new(),
            },
        );
        for v in [1.5, f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 0.1 + 0.2] {
            f.push(&[("v", &v.to_string()), ("job", "j")], v);
        }
        g.families.insert("m".into(), f);
        let back = decode_groups("t", &encode_groups([&g].into_iter())).unwrap();
        assert_eq!(back.len(), 1);
        assert_eq!(back[0].push_time_ms, 42);
        assert_eq!(back[0].expires_at_ms, Some(99));
        let fam = &back[0].families["m"];
        assert_eq!(fam.metadata, g.families["m"].metadata);
        for (a, b) in fam.samples.iter().zip(&g.families["m"].samples) {
            assert_eq!(a.labels, b.labels);
            assert_eq!(a.value.to_bits(), b.value.to_bits());
        }
    }

    #[test]
    fn corrupt_and_missing_files() {
        let dir = tempfile::tempdir().unwrap();
        assert!(read_groups(dir.path()).unwrap().is_empty());
        std::fs::write(dir.path().join(GROUPS_FILE), b"{\"version\":1,\"groups\":[").unwrap();
        assert!(read_groups(dir.path()).unwrap().is_empty());
        assert!(dir.path().join(CORRUPT_FILE).exists());
        assert!(!dir.path().join(GROUPS_FILE).exists());
        let v9 = b"{\"version\":9,\"groups\":[]}";
        std::fs::write(dir.path().join(GROUPS_FILE), v9).unwrap();
        assert!(read_groups(dir.path()).unwrap().is_empty());
        assert!(matches!(
            decode_groups("v", v9),
            Err(ScrapeError::Io { .. })
        ));
        write_atomic(dir.path(), &encode_groups(std::iter::empty())).unwrap();
        assert!(read_groups(dir.path()).unwrap().is_empty());
    }
}
