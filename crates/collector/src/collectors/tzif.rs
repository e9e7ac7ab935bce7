//! The offset and abbreviation of the local time zone from a TZif file
//! (RFC 8536), for `node_time_zone_offset_seconds`.
//!
//! Layout used here: a 44-byte header (`TZif`, version, 15 reserved bytes,
//! six big-endian u32 counts: isutcnt, isstdcnt, leapcnt, timecnt,
//! typecnt, charcnt), then the data block: timecnt transition times
//! (4 bytes in v1, 8 in the v2+ second block), timecnt type indices,
//! typecnt 6-byte ttinfo records (i32 utoff, u8 isdst, u8 abbrev index),
//! charcnt abbreviation bytes, then leap records and indicators we skip.

/// The `(utoff, abbreviation)` in force at Unix time `now`, or `None` for
/// a malformed file.
pub(crate) fn zone_at(b: &[u8], now: i64) -> Option<(i64, String)> {
    let h1 = header(b)?;
    let (block, time_size) = if b.get(4).copied().unwrap_or(0) >= b'2' {
        // Skip the v1 block; the v2 header and block follow it.
        let v1_len = h1.data_len(4)?;
        let rest = b.get(44usize.checked_add(v1_len)?..)?;
        (rest, 8)
    } else {
        (b, 4)
    };
    let h = header(block)?;
    let data = block.get(44..)?;
    let times_len = h.timecnt.checked_mul(time_size)?;
    let times = data.get(..times_len)?;
    let idx = data.get(times_len..times_len.checked_add(h.timecnt)?)?;
    let info_start = times_len + h.timecnt;
    let infos = data.get(info_start..info_start.checked_add(h.typecnt.checked_mul(6)?)?)?;
    let chars_start = info_start + h.typecnt * 6;
    let chars = data.get(chars_start..chars_start.checked_add(h.charcnt)?)?;
    let mut ty = 0usize;
    for i in 0..h.timecnt {
        let t = if time_size == 8 {
            i64::from_be_bytes(times.get(i * 8..i * 8 + 8)?.try_into().ok()?)
        } else {
            i64::from(i32::from_be_bytes(
                times.get(i * 4..i * 4 + 4)?.try_into().ok()?,
            ))
        };
        if t > now {
            break;
        }
        ty = usize::from(*idx.get(i)?);
    }
    let info = infos.get(ty * 6..ty * 6 + 6)?;
    let utoff = i64::from(i32::from_be_bytes(info[..4].try_into().ok()?));
    let ai = usize::from(info[5]);
    let abbr = chars.get(ai..)?;
    let end = abbr.iter().position(|&c| c == 0).unwrap_or(abbr.len());
    Some((utoff, String::from_utf8_lossy(&abbr[..end]).into_owned()))
}

struct Header {
    isutcnt: usize,
    isstdcnt: usize,
    leapcnt: usize,
    timecnt: usize,
    typecnt: usize,
    charcnt: usize,
}

impl Header {
    /// The length of the data block after this header, for `time_size`
    /// byte transition times.
    fn data_len(&self, time_size: usize) -> Option<usize> {
        let leap = self.leapcnt.checked_mul(time_size + 4)?;
        self.timecnt
            .checked_mul(time_size + 1)?
            .checked_add(self.typecnt.checked_mul(6)?)?
            .checked_add(self.charcnt)?
            .checked_add(leap)?
            .checked_add(self.isstdcnt)?
            .checked_add(self.isutcnt)
    }
}

fn header(b: &[u8]) -> Option<Header> {
    if b.get(..4)? != b"TZif" {
        return None;
    }
    let n = |i: usize| -> Option<usize> {
        let off = 20 + i * 4;
        Some(u32::from_be_bytes(b.get(off..off + 4)?.try_into().ok()?) as usize)
    };
    Some(Header {
        isutcnt: n(0)?,
        isstdcnt: n(1)?,
        leapcnt: n(2)?,
        timecnt: n(3)?,
        typecnt: n(4)?,
        charcnt: n(5)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A v1 TZif with one transition at t=1000 from type 0 (+0 "AAA") to
    /// type 1 (+3600 "BBB").
    fn sample() -> Vec<u8> {
        let mut b = b"TZif".to_vec();
        b.push(0);
        b.extend([0u8; 15]);
        for n in [0u32, 0, 0, 1, 2, 8] {
            b.extend(n.to_be_bytes());
        }
        b.extend(1000i32.to_be_bytes());
        b.push(1);
        b.extend(0i32.to_be_bytes());
        b.extend([0, 0]);
        b.extend(3600i32.to_be_bytes());
        b.extend([0, 4]);
        b.extend(b"AAA\0BBB\0");
        b
    }

    #[test]
    fn picks_the_type_in_force() {
        assert_eq!(zone_at(&sample(), 10), Some((0, "AAA".into())));
        assert_eq!(zone_at(&sample(), 5000), Some((3600, "BBB".into())));
    }

    #[test]
    fn real_utc_zone_if_present() {
        if let Ok(b) = std::fs::read("/usr/share/zoneinfo/Etc/UTC") {
            assert_eq!(zone_at(&b, 1_700_000_000), Some((0, "UTC".into())));
        }
    }

    #[test]
    fn truncated_files_give_none() {
        let s = sample();
        for n in 0..s.len() - 1 {
            let _ = zone_at(&s[..n], 5000);
        }
        assert_eq!(zone_at(b"nope", 0), None);
    }
}
