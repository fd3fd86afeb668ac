//! Lengths of time in settings, read once into [`Duration`] so no consumer converts units.
//!
//! A setting takes a plain number in its unit (seconds; days for `audit.retain_days`), as it
//! always has, or a number with a unit: `500ms`, `30s`, `15m`, `2h`, `7d`, or several together
//! (`1h30m`). Each field names its unit with `#[serde(with = "…")]`: [`seconds`], [`days`] or
//! [`fractional_seconds`].

use std::fmt;
use std::time::Duration;

use serde::de::{self, Deserializer, Visitor};
use serde::ser::Serializer;

/// What `latch config default` tells the operator about the syntax.
pub(super) const SYNTAX: &str = "Durations: a plain number in the setting's unit (seconds; days for \
     audit.retain_days), or a number with a unit: 500ms, 30s, 15m, 2h, 7d, or several together \
     such as 1h30m.";

/// The units a duration may carry, largest first, in milliseconds.
const UNITS: [(&str, u64); 5] = [
    ("d", 86_400_000),
    ("h", 3_600_000),
    ("m", 60_000),
    ("s", 1_000),
    ("ms", 1),
];

/// How a setting counts time: the unit of a plain number, and whether parts of a second mean
/// anything to it.
#[derive(Clone, Copy)]
struct Unit {
    name: &'static str,
    millis: u64,
    fractions: bool,
}

const SECONDS: Unit = Unit {
    name: "seconds",
    millis: 1_000,
    fractions: false,
};
const DAYS: Unit = Unit {
    name: "days",
    millis: 86_400_000,
    fractions: false,
};
const FRACTIONAL_SECONDS: Unit = Unit {
    name: "seconds",
    millis: 1_000,
    fractions: true,
};

/// Whole seconds; a plain number counts seconds.
pub(super) mod seconds {
    use super::*;

    pub fn serialize<S: Serializer>(value: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
        super::serialize(*value, SECONDS, serializer)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
        deserializer.deserialize_any(DurationVisitor(SECONDS))
    }
}

/// Whole seconds; a plain number counts days.
pub(super) mod days {
    use super::*;

    pub fn serialize<S: Serializer>(value: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
        super::serialize(*value, DAYS, serializer)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
        deserializer.deserialize_any(DurationVisitor(DAYS))
    }
}

/// Milliseconds; a plain number, fractions allowed, counts seconds.
pub(super) mod fractional_seconds {
    use super::*;

    pub fn serialize<S: Serializer>(value: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
        super::serialize(*value, FRACTIONAL_SECONDS, serializer)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
        deserializer.deserialize_any(DurationVisitor(FRACTIONAL_SECONDS))
    }
}

/// A plain number when the value is a whole number of the unit, so the defaults read as they
/// always have; otherwise the text form, which loads back to the same value.
fn serialize<S: Serializer>(value: Duration, unit: Unit, serializer: S) -> Result<S::Ok, S::Error> {
    let millis = u64::try_from(value.as_millis()).unwrap_or(u64::MAX);
    if millis.is_multiple_of(unit.millis) {
        serializer.serialize_u64(millis / unit.millis)
    } else {
        serializer.serialize_str(&format_millis(millis))
    }
}

/// `90_000` as `1m30s`.
fn format_millis(mut millis: u64) -> String {
    let mut text = String::new();
    for (name, size) in UNITS {
        if millis >= size {
            text.push_str(&format!("{}{name}", millis / size));
            millis %= size;
        }
    }
    if text.is_empty() {
        text.push_str("0s");
    }
    text
}

struct DurationVisitor(Unit);

impl DurationVisitor {
    /// `millis`, unless the setting counts whole seconds and `written` has a fraction.
    fn checked<E: de::Error>(&self, millis: u64, written: &str) -> Result<Duration, E> {
        if !self.0.fractions && !millis.is_multiple_of(1_000) {
            return Err(E::custom(format!(
                "{written} is not a whole number of seconds"
            )));
        }
        Ok(Duration::from_millis(millis))
    }

    fn number<E: de::Error>(&self, value: f64) -> Result<Duration, E> {
        // Rounded: 0.05 s is 50.000000000000004 ms in binary.
        let millis = (value * self.0.millis as f64).round();
        if !(millis.is_finite() && millis >= 0.0 && millis < u64::MAX as f64) {
            return Err(E::custom(format!(
                "{value} is not a length of time ({SHORT_SYNTAX})"
            )));
        }
        self.checked(millis as u64, &value.to_string())
    }
}

const SHORT_SYNTAX: &str = "a number, or a number with a unit such as 30s, 15m, 2h or 7d";

impl Visitor<'_> for DurationVisitor {
    type Value = Duration;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a number of {} or a length such as \"15m\"", self.0.name)
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<Duration, E> {
        let millis = value
            .checked_mul(self.0.millis)
            .ok_or_else(|| E::custom(format!("{value} {} is too long", self.0.name)))?;
        self.checked(millis, &value.to_string())
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<Duration, E> {
        match u64::try_from(value) {
            Ok(value) => self.visit_u64(value),
            Err(_) => Err(E::custom(format!(
                "{value} is negative; a length of time is at least 0"
            ))),
        }
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<Duration, E> {
        if !self.0.fractions && value.fract() != 0.0 {
            return Err(E::custom(format!(
                "{value} is not a whole number of {}; write it in smaller units, such as \"36h\"",
                self.0.name
            )));
        }
        self.number(value)
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Duration, E> {
        let trimmed = text.trim();
        if let Ok(value) = trimmed.parse::<u64>() {
            return self.visit_u64(value);
        }
        if let Ok(value) = trimmed.parse::<f64>() {
            return self.visit_f64(value);
        }
        let millis = parse_with_units(trimmed).ok_or_else(|| {
            E::custom(format!("{text:?} is not a length of time ({SHORT_SYNTAX})"))
        })?;
        self.checked(millis, &format!("{text:?}"))
    }
}

/// `1h30m`, `2d 12h`, `500ms` in milliseconds; `None` if it is not that form or too long.
fn parse_with_units(text: &str) -> Option<u64> {
    let mut rest = text;
    let mut total: u64 = 0;
    let mut parts = 0;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        let amount: u64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let letters = rest
            .find(|c: char| !c.is_ascii_alphabetic())
            .unwrap_or(rest.len());
        let size = UNITS.iter().find(|(name, _)| *name == &rest[..letters])?.1;
        rest = rest[letters..].trim_start();
        total = total.checked_add(amount.checked_mul(size)?)?;
        parts += 1;
    }
    (parts > 0).then_some(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_forms_add_up_and_others_are_refused() {
        assert_eq!(parse_with_units("30s"), Some(30_000));
        assert_eq!(parse_with_units("15m"), Some(900_000));
        assert_eq!(parse_with_units("2h"), Some(7_200_000));
        assert_eq!(parse_with_units("7d"), Some(604_800_000));
        assert_eq!(parse_with_units("500ms"), Some(500));
        assert_eq!(parse_with_units("1h30m"), Some(5_400_000));
        assert_eq!(parse_with_units("1d 2h"), Some(93_600_000));
        for bad in [
            "",
            "s",
            "10",
            "10 s",
            "1.5h",
            "3w",
            "soon",
            "-5s",
            "99999999999999999999d",
        ] {
            assert_eq!(parse_with_units(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn values_are_written_in_the_largest_units_that_fit() {
        assert_eq!(format_millis(90_000), "1m30s");
        assert_eq!(format_millis(50), "50ms");
        assert_eq!(format_millis(93_600_000), "1d2h");
        assert_eq!(
            parse_with_units(&format_millis(93_601_050)),
            Some(93_601_050)
        );
    }
}
