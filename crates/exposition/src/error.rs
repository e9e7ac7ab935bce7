//! The crate's error type: every parse error says where (line, column, byte
//! offset) and what was expected.

use std::fmt;

/// A place in the input. Lines and columns count from 1; the column counts
/// bytes, not characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Position {
    /// The line, from 1.
    pub line: usize,
    /// The byte column within the line, from 1.
    pub column: usize,
    /// The byte offset from the start of the input, from 0.
    pub offset: usize,
}

impl Position {
    /// Computes the line and column of byte `offset` in `buf`.
    ///
    /// This scans the input up to `offset`, so the parser calls it only when
    /// it reports an error: the hot path never counts lines.
    pub fn locate(buf: &[u8], offset: usize) -> Position {
        let offset = offset.min(buf.len());
        let before = &buf[..offset];
        let line = 1 + before.iter().filter(|&&b| b == b'\n').count();
        let line_start = before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1);
        Position {
            line,
            column: offset - line_start + 1,
            offset,
        }
    }
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}, column {}", self.line, self.column)
    }
}

/// Everything that can go wrong in this crate.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The lexer found something other than what the grammar allows here.
    #[error("{pos}: expected {expected}, got {got:?}")]
    Unexpected {
        /// Where.
        pos: Position,
        /// What the grammar allows at this point, e.g. `label value`.
        expected: &'static str,
        /// A short excerpt of what was found (at most a few bytes, lossily
        /// decoded).
        got: String,
    },
    /// A token had the right shape but an invalid content: a bad float, a
    /// bad timestamp, invalid UTF-8, an unknown metric type, a duplicate
    /// label, a semantic rule of the format.
    #[error("{pos}: {reason}")]
    Invalid {
        /// Where.
        pos: Position,
        /// What is wrong, e.g. `invalid metric type "untyped"`.
        reason: String,
    },
    /// OpenMetrics input ended without the mandatory `# EOF` line.
    #[error("{pos}: data does not end with # EOF")]
    MissingEof {
        /// Where the input ended.
        pos: Position,
    },
    /// OpenMetrics input has bytes after its `# EOF` line.
    #[error("{pos}: unexpected data after # EOF")]
    DataAfterEof {
        /// Where the extra data starts.
        pos: Position,
    },
}

impl Error {
    /// Where the error is.
    pub fn position(&self) -> Position {
        match self {
            Error::Unexpected { pos, .. }
            | Error::Invalid { pos, .. }
            | Error::MissingEof { pos }
            | Error::DataAfterEof { pos } => *pos,
        }
    }
}

/// A short printable excerpt of `buf` at `at`: up to the end of the line
/// and at most 16 bytes, or `end of input`.
pub(crate) fn excerpt(buf: &[u8], at: usize) -> String {
    if at >= buf.len() {
        return "end of input".to_string();
    }
    let rest = &buf[at..];
    let mut end = rest.len().min(16);
    if let Some(nl) = rest[..end].iter().position(|&b| b == b'\n') {
        // Show the newline itself when it is the first byte: it is what was
        // found.
        end = nl.max(1);
    }
    String::from_utf8_lossy(&rest[..end]).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locate_counts_lines_and_columns_from_one() {
        let buf = b"ab\ncd\nef";
        assert_eq!(
            Position::locate(buf, 0),
            Position {
                line: 1,
                column: 1,
                offset: 0
            }
        );
        assert_eq!(Position::locate(buf, 4).line, 2);
        assert_eq!(Position::locate(buf, 4).column, 2);
        assert_eq!(Position::locate(buf, 100).offset, buf.len());
    }

    #[test]
    fn excerpt_stops_at_newline_and_end() {
        assert_eq!(excerpt(b"abc\ndef", 1), "bc");
        assert_eq!(excerpt(b"abc\ndef", 3), "\n");
        assert_eq!(excerpt(b"abc", 3), "end of input");
    }
}
