//! The crate's checks of caller values, in one place: the columns a model is fitted on
//! and the scalars a prediction takes (so a customer history passed to a prediction
//! obeys exactly the rules a summary's rows obey, and errors name the same fields), and
//! the fields of a saved model as it loads (a model read from a file, edited by hand
//! or written by a buggy writer, is checked for every invariant its prediction code
//! relies on, so a bad file is an [`Error`] at load time rather than a panic or garbage
//! at prediction time).

use crate::error::{Error, Result};

/// `value` finite and zero or more, else [`Error::NonFinite`] / [`Error::Negative`]
/// naming `field` and `row`.
pub(crate) fn non_negative(field: &'static str, row: usize, value: f64) -> Result<()> {
    if !value.is_finite() {
        return Err(Error::NonFinite { field, row, value });
    }
    if value < 0.0 {
        return Err(Error::Negative { field, row, value });
    }
    Ok(())
}

/// `value` finite, else [`Error::NonFinite`] naming `field` and `row`.
pub(crate) fn finite(field: &'static str, row: usize, value: f64) -> Result<()> {
    if value.is_finite() {
        Ok(())
    } else {
        Err(Error::NonFinite { field, row, value })
    }
}

fn invalid(field: &'static str, row: usize, value: f64, reason: &str) -> Error {
    Error::InvalidValue {
        field,
        row,
        value,
        reason: reason.into(),
    }
}

/// A continuous-time history (frequency `x`, recency `t_x`, age `T`): each finite and
/// `>= 0`, `x` whole, `t_x <= T`, and `t_x > 0` when `x > 0`.
pub(crate) fn history(row: usize, frequency: f64, recency: f64, age: f64) -> Result<()> {
    self::frequency(row, frequency)?;
    non_negative("recency", row, recency)?;
    non_negative("age", row, age)?;
    if recency > age {
        return Err(invalid(
            "recency",
            row,
            recency,
            "recency cannot exceed T (age)",
        ));
    }
    if frequency > 0.0 && recency == 0.0 {
        return Err(invalid(
            "recency",
            row,
            recency,
            "recency is 0 but frequency is positive: repeat purchases come after the first",
        ));
    }
    Ok(())
}

/// A frequency (repeat purchases): finite, `>= 0` and whole.
pub(crate) fn frequency(row: usize, frequency: f64) -> Result<()> {
    non_negative("frequency", row, frequency)?;
    if frequency.fract() != 0.0 {
        return Err(invalid(
            "frequency",
            row,
            frequency,
            "frequency counts repeat purchases and must be a whole number",
        ));
    }
    Ok(())
}

/// A frequency and age `T` without a recency (the expectation for a customer alive
/// at `T`): the frequency's rules, `T` finite and `>= 0`, and `T > 0` when `x > 0`.
pub(crate) fn frequency_and_age(row: usize, frequency: f64, age: f64) -> Result<()> {
    self::frequency(row, frequency)?;
    non_negative("age", row, age)?;
    if frequency > 0.0 && age == 0.0 {
        return Err(invalid(
            "age",
            row,
            age,
            "T is 0 but frequency is positive: repeat purchases come after the first",
        ));
    }
    Ok(())
}

/// A prediction horizon or elapsed time `t` (in the model's time unit): finite and
/// `>= 0`, else [`Error::InvalidParameter`] naming it.
pub(crate) fn horizon(name: &'static str, t: f64) -> Result<()> {
    argument(name, t, false)
}

/// A scalar argument (a rate, a penalty, a time span) finite and `>= 0`, or `> 0` when
/// `positive`, else [`Error::InvalidParameter`] naming it.
pub(crate) fn argument(name: &'static str, value: f64, positive: bool) -> Result<()> {
    if value.is_finite() && (value > 0.0 || (!positive && value == 0.0)) {
        return Ok(());
    }
    Err(Error::InvalidParameter {
        name,
        value: value.to_string(),
        reason: if positive {
            "must be finite and > 0"
        } else {
            "must be finite and >= 0"
        }
        .into(),
    })
}

/// `found == expected`, else [`Error::LengthMismatch`] naming `field`.
pub(crate) fn same_len(field: &'static str, expected: usize, found: usize) -> Result<()> {
    if found == expected {
        Ok(())
    } else {
        Err(Error::LengthMismatch {
            field,
            expected,
            found,
        })
    }
}

/// Model parameters `(name, value)` each finite and `> 0`, else
/// [`Error::InvalidParameter`] naming the first bad one.
pub(crate) fn positive_params(model: &'static str, params: &[(&'static str, f64)]) -> Result<()> {
    match params.iter().find(|(_, v)| !(v.is_finite() && *v > 0.0)) {
        Some(&(name, value)) => Err(Error::InvalidParameter {
            name,
            value: value.to_string(),
            reason: format!("{model} parameters must be finite and > 0"),
        }),
        None => Ok(()),
    }
}

/// Every value finite, else [`Error::NonFinite`] naming `field` and the row.
pub(crate) fn all_finite(field: &'static str, values: &[f64]) -> Result<()> {
    match values.iter().position(|v| !v.is_finite()) {
        Some(row) => Err(Error::NonFinite {
            field,
            row,
            value: values[row],
        }),
        None => Ok(()),
    }
}

/// Every value finite and zero or more, else an error naming `field` and the row.
pub(crate) fn all_non_negative(field: &'static str, values: &[f64]) -> Result<()> {
    values
        .iter()
        .enumerate()
        .try_for_each(|(row, &v)| non_negative(field, row, v))
}

/// A parameter outside its range: [`Error::InvalidParameter`].
pub(crate) fn invalid_parameter(
    name: &'static str,
    value: impl ToString,
    reason: impl Into<String>,
) -> Error {
    Error::InvalidParameter {
        name,
        value: value.to_string(),
        reason: reason.into(),
    }
}

/// `len > 0`, else [`Error::Empty`] naming `field`.
pub(crate) fn non_empty(field: &'static str, len: usize) -> Result<()> {
    if len == 0 {
        return Err(Error::Empty { field });
    }
    Ok(())
}

/// A value that breaks a rule other than finiteness or sign: [`Error::InvalidValue`]
/// naming `field` and `row`.
pub(crate) fn invalid_value(
    field: &'static str,
    row: usize,
    value: f64,
    reason: impl Into<String>,
) -> Error {
    invalid(field, row, value, &reason.into())
}

/// A count held as a float (orders, subjects at risk, events): finite, `>= 0` and
/// whole, else an error naming `field` and `row`.
#[cfg(feature = "serde")]
pub(crate) fn count(field: &'static str, row: usize, value: f64) -> Result<()> {
    non_negative(field, row, value)?;
    if value.fract() != 0.0 {
        return Err(invalid(field, row, value, "a count is a whole number"));
    }
    Ok(())
}

/// A probability: finite and in `[0, 1]`, else an error naming `field` and `row`.
pub(crate) fn probability(field: &'static str, row: usize, value: f64) -> Result<()> {
    non_negative(field, row, value)?;
    if value > 1.0 {
        return Err(invalid(field, row, value, "a probability is at most 1"));
    }
    Ok(())
}
