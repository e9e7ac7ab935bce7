//! Byte-level helpers shared by the WAL records and the block index:
//! little-endian fixed integers, LEB128 varints and length-prefixed strings.

/// Appends encoded values to a byte vector.
pub(crate) trait Enc {
    fn put_u8(&mut self, v: u8);
    fn put_u32(&mut self, v: u32);
    fn put_u64(&mut self, v: u64);
    fn put_uvarint(&mut self, v: u64);
    fn put_varint(&mut self, v: i64);
    fn put_str(&mut self, s: &str);
}

impl Enc for Vec<u8> {
    #[inline]
    fn put_u8(&mut self, v: u8) {
        self.push(v);
    }
    #[inline]
    fn put_u32(&mut self, v: u32) {
        self.extend_from_slice(&v.to_le_bytes());
    }
    #[inline]
    fn put_u64(&mut self, v: u64) {
        self.extend_from_slice(&v.to_le_bytes());
    }
    #[inline]
    fn put_uvarint(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.push((v as u8) | 0x80);
            v >>= 7;
        }
        self.push(v as u8);
    }
    #[inline]
    fn put_varint(&mut self, v: i64) {
        self.put_uvarint(((v << 1) ^ (v >> 63)) as u64);
    }
    fn put_str(&mut self, s: &str) {
        self.put_uvarint(s.len() as u64);
        self.extend_from_slice(s.as_bytes());
    }
}

/// Why decoding stopped: the offset (relative to the decoded slice) and
/// what was expected there.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DecodeError {
    pub offset: usize,
    pub what: &'static str,
}

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "cannot decode {} at offset {}", self.what, self.offset)
    }
}

pub(crate) type DecResult<T> = Result<T, DecodeError>;

/// Reads encoded values from a byte slice.
#[derive(Debug, Clone)]
pub(crate) struct Dec<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Dec<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Dec { data, pos: 0 }
    }

    pub fn pos(&self) -> usize {
        self.pos
    }

    pub fn remaining(&self) -> usize {
        self.data.len() - self.pos
    }

    #[cfg(test)]
    pub fn is_empty(&self) -> bool {
        self.pos >= self.data.len()
    }

    fn err(&self, what: &'static str) -> DecodeError {
        DecodeError {
            offset: self.pos,
            what,
        }
    }

    pub fn bytes(&mut self, n: usize, what: &'static str) -> DecResult<&'a [u8]> {
        if self.remaining() < n {
            return Err(self.err(what));
        }
        let b = &self.data[self.pos..self.pos + n];
        self.pos += n;
        Ok(b)
    }

    #[inline]
    pub fn u8(&mut self, what: &'static str) -> DecResult<u8> {
        let b = *self.data.get(self.pos).ok_or_else(|| self.err(what))?;
        self.pos += 1;
        Ok(b)
    }

    pub fn u64(&mut self, what: &'static str) -> DecResult<u64> {
        let b = self.bytes(8, what)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }

    #[inline]
    pub fn uvarint(&mut self, what: &'static str) -> DecResult<u64> {
        let mut x = 0u64;
        let mut s = 0u32;
        for _ in 0..10 {
            let b = self.u8(what)?;
            if b < 0x80 {
                return Ok(x | (u64::from(b) << s));
            }
            x |= u64::from(b & 0x7f) << s;
            s += 7;
        }
        Err(self.err(what))
    }

    #[inline]
    pub fn varint(&mut self, what: &'static str) -> DecResult<i64> {
        let u = self.uvarint(what)?;
        Ok(((u >> 1) as i64) ^ -((u & 1) as i64))
    }

    /// A length, checked against the bytes left so a corrupt length cannot
    /// make the caller allocate more than the input.
    pub fn len(&mut self, what: &'static str) -> DecResult<usize> {
        let n = self.uvarint(what)?;
        if n > self.remaining() as u64 {
            return Err(self.err(what));
        }
        Ok(n as usize)
    }

    pub fn str(&mut self, what: &'static str) -> DecResult<&'a str> {
        let n = self.len(what)?;
        let start = self.pos;
        let b = self.bytes(n, what)?;
        std::str::from_utf8(b).map_err(|_| DecodeError {
            offset: start,
            what,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_bounds_lengths() {
        let mut b = Vec::new();
        b.put_uvarint(300);
        b.put_varint(-5);
        b.put_u64(u64::MAX);
        b.put_str("héllo");
        let mut d = Dec::new(&b);
        assert_eq!(d.uvarint("a").unwrap(), 300);
        assert_eq!(d.varint("b").unwrap(), -5);
        assert_eq!(d.u64("d").unwrap(), u64::MAX);
        assert_eq!(d.str("e").unwrap(), "héllo");
        assert!(d.is_empty());
        let mut d = Dec::new(&[0xff, 0xff, 0x7f]);
        assert_eq!(d.len("huge").unwrap_err().what, "huge");
    }
}
