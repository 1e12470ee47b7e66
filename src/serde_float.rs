//! Serde helpers for `f64` fields that may be non-finite (an infinite AICc, a NaN
//! standard error where the Hessian is singular).
//!
//! JSON has no NaN or infinity: `serde_json` writes them as `null` and then refuses to
//! read `null` back as a float, so a model holding one would not load. With these
//! helpers a finite value is written as a number, as before, and a non-finite one as a
//! string: `"inf"`, `"-inf"`, `"NaN"` (`f64::NAN`'s bits), `"-NaN"` (its negation,
//! what `0.0 / 0.0` gives on x86) or `"NaN:0x<16 hex digits>"` for any other payload,
//! so every value reads back bit for bit. `null` (written by earlier versions) reads as
//! `f64::NAN`.
//!
//! Binary formats carry NaN and infinity themselves and get the plain `f64`.
//!
//! Use as `#[serde(with = "crate::serde_float")]` on an `f64` field and
//! `#[serde(with = "crate::serde_float::vec")]` on a `Vec<f64>` field.

use serde::de::{self, Deserializer, Visitor};
use serde::ser::Serializer;
use std::fmt;

const NAN_BITS: u64 = 0x7ff8_0000_0000_0000;
const NEG_NAN_BITS: u64 = 0xfff8_0000_0000_0000;

/// Writes `v`: a number when finite, a string otherwise (in human-readable formats;
/// binary formats, which carry every `f64`, get the plain value).
pub(crate) fn serialize<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
    let v = *v;
    if v.is_finite() || !s.is_human_readable() {
        s.serialize_f64(v)
    } else if v == f64::INFINITY {
        s.serialize_str("inf")
    } else if v == f64::NEG_INFINITY {
        s.serialize_str("-inf")
    } else {
        match v.to_bits() {
            NAN_BITS => s.serialize_str("NaN"),
            NEG_NAN_BITS => s.serialize_str("-NaN"),
            bits => s.serialize_str(&format!("NaN:{bits:#018x}")),
        }
    }
}

/// Reads what [`serialize`] writes (and `null` as NaN).
pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    if d.is_human_readable() {
        d.deserialize_any(FloatVisitor)
    } else {
        d.deserialize_f64(FloatVisitor)
    }
}

fn parse(text: &str) -> Option<f64> {
    match text {
        "inf" => Some(f64::INFINITY),
        "-inf" => Some(f64::NEG_INFINITY),
        "NaN" => Some(f64::from_bits(NAN_BITS)),
        "-NaN" => Some(f64::from_bits(NEG_NAN_BITS)),
        _ => {
            let hex = text.strip_prefix("NaN:0x")?;
            let v = f64::from_bits(u64::from_str_radix(hex, 16).ok()?);
            v.is_nan().then_some(v)
        }
    }
}

struct FloatVisitor;

impl<'de> Visitor<'de> for FloatVisitor {
    type Value = f64;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a number, or \"inf\", \"-inf\", \"NaN\", \"-NaN\" or \"NaN:0x<bits>\"")
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<f64, E> {
        Ok(v)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<f64, E> {
        Ok(v as f64)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<f64, E> {
        Ok(v as f64)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<f64, E> {
        parse(v).ok_or_else(|| E::invalid_value(de::Unexpected::Str(v), &self))
    }
    fn visit_unit<E: de::Error>(self) -> Result<f64, E> {
        Ok(f64::from_bits(NAN_BITS))
    }
    fn visit_none<E: de::Error>(self) -> Result<f64, E> {
        Ok(f64::from_bits(NAN_BITS))
    }
}

/// The same for a `Vec<f64>`, element by element.
pub(crate) mod vec {
    use serde::de::{Deserialize, Deserializer};
    use serde::ser::{Serialize, Serializer};

    struct Out(f64);
    impl Serialize for Out {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            super::serialize(&self.0, s)
        }
    }
    struct In(f64);
    impl<'de> Deserialize<'de> for In {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            super::deserialize(d).map(In)
        }
    }

    /// Writes each element as [`super::serialize`] does.
    pub(crate) fn serialize<S: Serializer>(v: &[f64], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(v.iter().map(|&x| Out(x)))
    }

    /// Reads what [`serialize`] writes.
    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<f64>, D::Error> {
        Ok(Vec::<In>::deserialize(d)?
            .into_iter()
            .map(|x| x.0)
            .collect())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn text_forms_parse_back_bit_for_bit() {
        for v in [
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            -f64::NAN,
            f64::from_bits(0x7ff0_0000_0000_0001),
        ] {
            let bits = v.to_bits();
            let text = if v == f64::INFINITY {
                "inf".to_string()
            } else if v == f64::NEG_INFINITY {
                "-inf".to_string()
            } else if bits == super::NAN_BITS {
                "NaN".to_string()
            } else if bits == super::NEG_NAN_BITS {
                "-NaN".to_string()
            } else {
                format!("NaN:{bits:#018x}")
            };
            assert_eq!(super::parse(&text).map(f64::to_bits), Some(bits), "{text}");
        }
        assert_eq!(super::parse("NaN:0x3ff0000000000000"), None);
        assert_eq!(super::parse("nan"), None);
    }
}
