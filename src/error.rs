//! The crate's one error type.
//!
//! Every fallible function returns [`Result<T>`]. Variants carry the context a caller
//! needs to find the bad input: the field (column or parameter name), the row, and the
//! offending value. Nothing the caller passed is modified when an error is returned.

/// The result type of every fallible function in the crate.
pub type Result<T> = std::result::Result<T, Error>;

/// Everything that can go wrong in `patronage`.
///
/// Messages are lowercase without a trailing period, and say what to do where that is
/// not obvious.
///
/// ```
/// use patronage::Error;
/// let e = Error::NonFinite { field: "amount", row: 17, value: f64::NAN };
/// assert_eq!(e.to_string(), "amount at row 17 is not finite (NaN)");
/// ```
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An input that needs at least one row (or element) had none.
    #[error("{field} is empty: at least one row is needed")]
    Empty {
        /// Which input was empty.
        field: &'static str,
    },

    /// A value was NaN or infinite.
    #[error("{field} at row {row} is not finite ({value})")]
    NonFinite {
        /// The column or input holding the value.
        field: &'static str,
        /// Zero-based row of the value.
        row: usize,
        /// The value itself.
        value: f64,
    },

    /// A value that must be zero or more was negative.
    #[error("{field} at row {row} is negative ({value})")]
    Negative {
        /// The column or input holding the value.
        field: &'static str,
        /// Zero-based row of the value.
        row: usize,
        /// The value itself.
        value: f64,
    },

    /// A negative amount (a refund) in a log built to reject refunds, the default.
    #[error(
        "amount at row {row} is negative ({value}): a refund; build the log with a returns \
         policy to accept refunds (LogParams::new().returns(Returns::Net) or Returns::Separate)"
    )]
    Refund {
        /// Zero-based row of the amount.
        row: usize,
        /// The amount.
        value: f64,
    },

    /// A value broke a rule of its input other than finiteness or sign
    /// (e.g. recency greater than T, a label other than 0 or 1).
    #[error("{field} at row {row} is invalid ({value}): {reason}")]
    InvalidValue {
        /// The column or input holding the value.
        field: &'static str,
        /// Zero-based row of the value.
        row: usize,
        /// The value itself.
        value: f64,
        /// The rule it breaks.
        reason: String,
    },

    /// Two inputs that must have one row per item had different lengths.
    #[error("{field} has {found} rows but {expected} were expected")]
    LengthMismatch {
        /// The input whose length is wrong.
        field: &'static str,
        /// The length it must have.
        expected: usize,
        /// The length it has.
        found: usize,
    },

    /// A parameter (of a builder or a function) is outside its allowed range.
    #[error("parameter {name} = {value} is invalid: {reason}")]
    InvalidParameter {
        /// The parameter's name.
        name: &'static str,
        /// Its value, formatted.
        value: String,
        /// The range or rule it breaks.
        reason: String,
    },

    /// The data cannot support the requested model (too few rows or distinct points,
    /// a single class, a constant series for a multiplicative model, ...).
    #[error("{model} cannot be fitted: {reason}")]
    InsufficientData {
        /// The model or procedure.
        model: &'static str,
        /// Why the data do not suffice.
        reason: String,
    },

    /// An iterative fit stopped before meeting its convergence criterion.
    ///
    /// `last_iterate` holds the parameters at the last iteration (on the optimizer's
    /// scale, documented by the model) so a caller can inspect or restart from them.
    #[error(
        "{model} did not converge after {iterations} iterations: {reason}; try more iterations, a looser tolerance or rescaled inputs"
    )]
    NotConverged {
        /// The model or procedure.
        model: &'static str,
        /// Iterations run.
        iterations: usize,
        /// What failed (gradient norm, non-finite objective, ...).
        reason: String,
        /// The last parameter vector.
        last_iterate: Vec<f64>,
    },

    /// An input whose size would pass a documented limit: the limit keeps time and
    /// memory bounded (see the crate docs' list of limits).
    #[error("{what} is {size}, more than the limit of {limit}: {hint}")]
    LimitExceeded {
        /// What was measured (for example "days spanned by the log").
        what: &'static str,
        /// Its size.
        size: u64,
        /// The limit.
        limit: u64,
        /// What to do about it.
        hint: &'static str,
    },

    /// A column of a table (an Arrow record batch) is missing, has a type the crate
    /// cannot read, or holds a value it cannot take (a null, a day beyond [`Day`]'s
    /// range); or a column the caller adds to an output table does not fit it.
    ///
    /// `row` is the zero-based row of the value, counted across all the batches read,
    /// or `None` for a problem with the whole column.
    ///
    /// [`Day`]: crate::Day
    #[error("column {column}{}: {reason}", .row.map_or_else(String::new, |r| format!(" at row {r}")))]
    Column {
        /// The column's name.
        column: String,
        /// Zero-based row of the value, when the problem is one value.
        row: Option<usize>,
        /// What is wrong and, where it is not obvious, what to do.
        reason: String,
    },

    /// A column of a design matrix is constant (with an intercept) or a linear
    /// combination of other columns, so its coefficient is not identified: least
    /// squares and the GLMs report this instead of a table of NaN.
    #[error("design column {column} {reason}")]
    Collinear {
        /// The column found dependent (the first, in design order, that is).
        column: String,
        /// The earlier columns it is a combination of (`intercept` for a constant
        /// column; empty for a column of zeros).
        with: Vec<String>,
        /// What is wrong and what to do.
        reason: String,
    },

    /// A calendar date that does not exist or is outside the supported range.
    #[error("invalid date {year:04}-{month:02}-{day:02}")]
    InvalidDate {
        /// Year.
        year: i32,
        /// Month, 1..=12.
        month: u32,
        /// Day of month.
        day: u32,
    },
}

impl Error {
    /// The same error about row `at`: for an error a check of one row raised as row 0,
    /// when the caller knows the row's place (a batch in an engine, say). Errors
    /// without a row are unchanged.
    ///
    /// ```
    /// use patronage::Error;
    /// let e = Error::NonFinite { field: "x", row: 0, value: f64::NAN }.at_row(7);
    /// assert!(matches!(e, Error::NonFinite { row: 7, .. }));
    /// ```
    pub fn at_row(mut self, at: usize) -> Self {
        if let Error::NonFinite { row, .. }
        | Error::Negative { row, .. }
        | Error::Refund { row, .. }
        | Error::InvalidValue { row, .. } = &mut self
        {
            *row = at;
        }
        if let Error::Column { row: Some(row), .. } = &mut self {
            *row = at;
        }
        self
    }

    /// `Err(InvalidParameter)` naming `name` unless `min <= value <= max`, for the
    /// arguments that set how much work a call does (`limit` is the constant's name).
    pub(crate) fn check_count(
        name: &'static str,
        value: usize,
        min: usize,
        limit: &'static str,
        max: usize,
    ) -> Result<()> {
        if value < min || value > max {
            return Err(Error::InvalidParameter {
                name,
                value: value.to_string(),
                reason: format!("use {min} to {limit} = {max}"),
            });
        }
        Ok(())
    }

    /// `Err(LimitExceeded)` when `size` passes `limit`.
    pub(crate) fn check_limit(
        what: &'static str,
        size: i64,
        limit: usize,
        hint: &'static str,
    ) -> Result<()> {
        if size > i64::try_from(limit).unwrap_or(i64::MAX) {
            return Err(Error::LimitExceeded {
                what,
                size: size as u64,
                limit: limit as u64,
                hint,
            });
        }
        Ok(())
    }
}
