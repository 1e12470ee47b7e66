//! Checks shared by the fitted models' validating deserializers: a model read from a
//! file (edited by hand, or written by a buggy writer) is checked for every invariant
//! its prediction code relies on, so a bad file is an [`Error`] at load time rather
//! than a panic or garbage at prediction time.

use crate::error::{Error, Result};

/// `found == expected`, else [`Error::LengthMismatch`] naming `field`.
pub(crate) fn len(field: &'static str, expected: usize, found: usize) -> Result<()> {
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

/// Every value finite, else [`Error::NonFinite`] naming `field` and the row.
pub(crate) fn finite(field: &'static str, values: &[f64]) -> Result<()> {
    match values.iter().position(|v| !v.is_finite()) {
        Some(row) => Err(Error::NonFinite {
            field,
            row,
            value: values[row],
        }),
        None => Ok(()),
    }
}

/// Every value finite and zero or more.
pub(crate) fn non_negative(field: &'static str, values: &[f64]) -> Result<()> {
    finite(field, values)?;
    match values.iter().position(|v| *v < 0.0) {
        Some(row) => Err(Error::Negative {
            field,
            row,
            value: values[row],
        }),
        None => Ok(()),
    }
}

/// A parameter outside its range: [`Error::InvalidParameter`].
pub(crate) fn invalid(
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
