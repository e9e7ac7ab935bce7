//! Small durable JSON files: written to a temporary file, synced, renamed
//! over the old one, so a crash leaves either the old or the new contents.

use std::io::Write;
use std::path::Path;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{NotifyError, Result};

/// Writes `value` as JSON to `path` atomically.
///
/// # Errors
///
/// [`NotifyError::Io`] when the file cannot be written.
pub fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<()> {
    let bytes = serde_json::to_vec(value).map_err(|e| NotifyError::Corrupt {
        path: path.to_path_buf(),
        line: 0,
        reason: e.to_string(),
    })?;
    let tmp = path.with_extension("tmp");
    let mut f = std::fs::File::create(&tmp).map_err(|e| NotifyError::io("creating", &tmp, e))?;
    f.write_all(&bytes)
        .and_then(|_| f.sync_all())
        .map_err(|e| NotifyError::io("writing", &tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| NotifyError::io("renaming to", path, e))
}

/// Reads a JSON file written by [`write_json`]; `None` when it does not
/// exist.
///
/// # Errors
///
/// [`NotifyError::Corrupt`] when it does not decode, [`NotifyError::Io`]
/// when it cannot be read.
pub fn read_json<T: DeserializeOwned>(path: &Path) -> Result<Option<T>> {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| NotifyError::Corrupt {
                path: path.to_path_buf(),
                line: e.line(),
                reason: e.to_string(),
            }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(NotifyError::io("reading", path, e)),
    }
}

/// `t + d`, saturating at the ends of the representable range instead of
/// panicking (times and durations come from users and peers).
pub fn add_sat(t: jiff::Timestamp, d: jiff::SignedDuration) -> jiff::Timestamp {
    t.checked_add(d).unwrap_or(if d.is_negative() {
        jiff::Timestamp::MIN
    } else {
        jiff::Timestamp::MAX
    })
}

/// Serde for `jiff::Timestamp` as an RFC 3339 string.
pub mod ts {
    use jiff::Timestamp;
    use serde::{Deserialize, Deserializer, Serializer};

    /// Serialises as RFC 3339.
    pub fn serialize<S: Serializer>(t: &Timestamp, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(t)
    }

    /// Parses RFC 3339.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Timestamp, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_reports_corruption() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.json");
        assert!(read_json::<Vec<u32>>(&p).unwrap().is_none());
        write_json(&p, &vec![1u32, 2]).unwrap();
        assert_eq!(read_json::<Vec<u32>>(&p).unwrap(), Some(vec![1, 2]));
        std::fs::write(&p, b"[1,").unwrap();
        assert!(matches!(
            read_json::<Vec<u32>>(&p),
            Err(NotifyError::Corrupt { .. })
        ));
    }
}
