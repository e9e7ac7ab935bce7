//! OTLP/JSON number forms: protobuf's JSON mapping writes 64-bit integers
//! as strings (SDKs also send plain numbers), floats as numbers or as
//! `"NaN"`, `"Infinity"`, `"-Infinity"`, enums as integers or names.

use serde::de::{self, Deserializer, SeqAccess, Visitor};
use std::fmt;

/// A number that may arrive as a JSON number or a string.
struct Num;

/// What [`Num`] read.
enum N {
    U(u64),
    I(i64),
    F(f64),
    S(String),
}

impl<'de> Visitor<'de> for Num {
    type Value = N;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a number or a string holding one")
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<N, E> {
        Ok(N::U(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<N, E> {
        Ok(N::I(v))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<N, E> {
        Ok(N::F(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<N, E> {
        Ok(N::S(v.to_string()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<N, E> {
        Ok(N::S(v))
    }
}

fn bad<E: de::Error>(what: &str, got: impl fmt::Display) -> E {
    E::custom(format!("expected {what}, got {got}"))
}

fn to_u64<E: de::Error>(n: N) -> Result<u64, E> {
    match n {
        N::U(v) => Ok(v),
        N::I(v) => u64::try_from(v).map_err(|_| bad("an unsigned integer", v)),
        N::F(v) if v >= 0.0 && v.fract() == 0.0 && v < 1.8e19 => Ok(v as u64),
        N::F(v) => Err(bad("an unsigned integer", v)),
        N::S(s) => s
            .trim()
            .parse()
            .map_err(|_| bad("an unsigned integer", format!("{s:?}"))),
    }
}

fn to_i64<E: de::Error>(n: N) -> Result<i64, E> {
    match n {
        N::U(v) => i64::try_from(v).map_err(|_| bad("a 64-bit integer", v)),
        N::I(v) => Ok(v),
        N::F(v) if v.fract() == 0.0 && v.abs() < 9.2e18 => Ok(v as i64),
        N::F(v) => Err(bad("an integer", v)),
        N::S(s) => s
            .trim()
            .parse()
            .map_err(|_| bad("an integer", format!("{s:?}"))),
    }
}

fn to_f64<E: de::Error>(n: N) -> Result<f64, E> {
    match n {
        N::U(v) => Ok(v as f64),
        N::I(v) => Ok(v as f64),
        N::F(v) => Ok(v),
        N::S(s) => match s.trim() {
            "NaN" => Ok(f64::NAN),
            "Infinity" => Ok(f64::INFINITY),
            "-Infinity" => Ok(f64::NEG_INFINITY),
            t => t.parse().map_err(|_| bad("a number", format!("{s:?}"))),
        },
    }
}

/// A `uint64`/`fixed64` field.
pub(crate) fn de_u64<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    to_u64(d.deserialize_any(Num)?)
}

/// An `int64`/`sfixed64` field.
pub(crate) fn de_i64<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    to_i64(d.deserialize_any(Num)?)
}

/// A `double` field.
pub(crate) fn de_f64<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    to_f64(d.deserialize_any(Num)?)
}

/// An `optional double` field (`null` is absent).
pub(crate) fn de_opt_f64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = Option<f64>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a number, a string holding one, or null")
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            de_f64(d).map(Some)
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            Ok(Some(v as f64))
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            Ok(Some(v as f64))
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
            Ok(Some(v))
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            to_f64(N::S(v.to_string())).map(Some)
        }
    }
    d.deserialize_any(V)
}

/// A `repeated fixed64` field.
pub(crate) fn de_u64_vec<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u64>, D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = Vec<u64>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a list of unsigned integers")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<u64>, A::Error> {
            let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
            while let Some(n) = seq.next_element_seed(NumSeed)? {
                out.push(to_u64(n)?);
            }
            Ok(out)
        }
    }
    d.deserialize_seq(V)
}

struct NumSeed;

impl<'de> de::DeserializeSeed<'de> for NumSeed {
    type Value = N;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<N, D::Error> {
        d.deserialize_any(Num)
    }
}

/// An enum field: its number, or its name
/// (`AGGREGATION_TEMPORALITY_CUMULATIVE`).
pub(crate) fn de_i32_enum<'de, D: Deserializer<'de>>(d: D) -> Result<i32, D::Error> {
    match d.deserialize_any(Num)? {
        N::S(s) => match s.as_str() {
            "AGGREGATION_TEMPORALITY_UNSPECIFIED" => Ok(0),
            "AGGREGATION_TEMPORALITY_DELTA" => Ok(1),
            "AGGREGATION_TEMPORALITY_CUMULATIVE" => Ok(2),
            _ => s
                .parse()
                .map_err(|_| bad("an aggregation temporality", format!("{s:?}"))),
        },
        n => to_i64(n).and_then(|v| i32::try_from(v).map_err(|_| bad("an enum number", v))),
    }
}
