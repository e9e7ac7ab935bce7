//! Bounded file reading and the small parsers every collector shares.

use std::io::Read;
use std::path::Path;

use crate::error::CollectorError;

/// The most a collector reads from one file. Kernel files are far smaller;
/// the bound keeps a hostile or broken tree from costing unbounded memory.
pub(crate) const MAX_FILE_BYTES: u64 = 8 << 20;

/// Reads a whole file as UTF-8 (invalid bytes replaced), at most
/// [`MAX_FILE_BYTES`].
pub(crate) fn read_string(path: &Path) -> Result<String, CollectorError> {
    read_string_limit(path, MAX_FILE_BYTES)
}

/// Reads a whole file as UTF-8 (invalid bytes replaced), failing with
/// [`CollectorError::TooLarge`] past `limit` bytes.
pub(crate) fn read_string_limit(path: &Path, limit: u64) -> Result<String, CollectorError> {
    let f = std::fs::File::open(path).map_err(|e| CollectorError::io(path, e))?;
    let mut buf = Vec::with_capacity(4096);
    f.take(limit + 1)
        .read_to_end(&mut buf)
        .map_err(|e| CollectorError::io(path, e))?;
    if buf.len() as u64 > limit {
        return Err(CollectorError::TooLarge {
            path: path.to_path_buf(),
            limit,
        });
    }
    match String::from_utf8(buf) {
        Ok(s) => Ok(s),
        Err(e) => Ok(String::from_utf8_lossy(e.as_bytes()).into_owned()),
    }
}

/// Reads a small sysfs-style file and trims the trailing newline and
/// spaces; `None` if it cannot be read (sysfs answers `EINVAL` for
/// attributes that do not apply, which is not an error for us).
pub(crate) fn read_trimmed(path: &Path) -> Option<String> {
    read_string_limit(path, 64 << 10)
        .ok()
        .map(|s| s.trim().to_string())
}

/// Reads a small file holding one number (decimal, or hexadecimal with a
/// `0x` prefix); `None` if it cannot be read or parsed.
pub(crate) fn read_number(path: &Path) -> Option<f64> {
    read_trimmed(path).and_then(|s| parse_number(&s))
}

/// Parses a decimal or `0x` hexadecimal number as node_exporter does.
pub(crate) fn parse_number(s: &str) -> Option<f64> {
    let s = s.trim();
    if let Some(hex) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        return u64::from_str_radix(hex, 16).ok().map(|v| v as f64);
    }
    if let Ok(v) = s.parse::<i64>() {
        return Some(v as f64);
    }
    if let Ok(v) = s.parse::<u64>() {
        return Some(v as f64);
    }
    s.parse::<f64>().ok()
}

/// Parses a field that must be a number, with the file and line for the
/// error.
pub(crate) fn field(path: &Path, line: usize, s: &str) -> Result<f64, CollectorError> {
    parse_number(s).ok_or_else(|| CollectorError::parse(path, line, format!("not a number: {s:?}")))
}

/// The names of the entries of a directory, sorted; entries whose names
/// are not UTF-8 are skipped. At most `limit` names are returned.
pub(crate) fn dir_names(path: &Path, limit: usize) -> Result<Vec<String>, CollectorError> {
    let rd = std::fs::read_dir(path).map_err(|e| CollectorError::io(path, e))?;
    let mut names = Vec::new();
    for entry in rd {
        let entry = entry.map_err(|e| CollectorError::io(path, e))?;
        if let Ok(name) = entry.file_name().into_string() {
            names.push(name);
            if names.len() >= limit {
                break;
            }
        }
    }
    names.sort();
    Ok(names)
}

/// Undoes the octal escapes the kernel writes in `/proc/*/mounts`
/// (`\040` for a space, `\011` for a tab, `\012` newline, `\134` backslash).
pub(crate) fn unescape_octal(s: &str) -> String {
    if !s.contains('\\') {
        return s.to_string();
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\'
            && i + 4 <= b.len()
            && b[i + 1..i + 4].iter().all(|c| (b'0'..=b'7').contains(c))
        {
            let v = (b[i + 1] - b'0') as u32 * 64
                + (b[i + 2] - b'0') as u32 * 8
                + (b[i + 3] - b'0') as u32;
            if let Ok(byte) = u8::try_from(v) {
                out.push(byte);
                i += 4;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_in_every_kernel_spelling() {
        assert_eq!(parse_number("0x1003"), Some(4099.0));
        assert_eq!(parse_number("-1"), Some(-1.0));
        assert_eq!(parse_number("18446744073709551615"), Some(u64::MAX as f64));
        assert_eq!(parse_number("0.73"), Some(0.73));
        assert_eq!(parse_number("x"), None);
    }

    #[test]
    fn octal_escapes_become_characters() {
        assert_eq!(unescape_octal(r"/mnt/my\040disk"), "/mnt/my disk");
        assert_eq!(unescape_octal(r"a\011b\134c"), "a\tb\\c");
        assert_eq!(unescape_octal(r"trailing\04"), r"trailing\04");
        assert_eq!(unescape_octal(r"\777"), r"\777");
    }

    #[test]
    fn oversized_files_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("big");
        std::fs::write(&p, vec![b'x'; 100]).unwrap();
        assert!(matches!(
            read_string_limit(&p, 10),
            Err(CollectorError::TooLarge { .. })
        ));
        assert_eq!(read_string_limit(&p, 100).unwrap().len(), 100);
    }
}
