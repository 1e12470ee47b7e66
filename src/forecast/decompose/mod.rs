//! Seasonal decomposition: STL, seasonal-trend decomposition by loess (Cleveland,
//! Cleveland, McRae & Terpenning 1990), as R's `stats::stl`.
//!
//! STL splits a series into `trend + seasonal + remainder` by alternating two smoothers
//! (the *inner loop*, run `inner` times):
//!
//! 1. Detrend: `y - trend` (the trend starts at zero).
//! 2. Cycle-subseries smoothing: the values at each position of the season (every
//!    January, every February, …) are smoothed by a loess of span `seasonal_window` and
//!    degree `seasonal_degree`, and extended by one period at each end.
//! 3. Low-pass filter of that result: moving averages of lengths `period`, `period` and
//!    3, then a loess of span `low_pass_window`; the seasonal component is step 2 minus
//!    this low-pass part, so that it carries no trend.
//! 4. Deseasonalize, `y - seasonal`, and smooth by a loess of span `trend_window` and
//!    degree `trend_degree`: the new trend.
//!
//! With [`robust`](Stl::robust) the *outer loop* runs `outer` times: each pass weights
//! every observation by Tukey's bisquare of its remainder over six times the median
//! absolute remainder, and reruns the inner loop with the loess fits weighted, so that
//! outliers land in the remainder instead of bending the trend and the seasonal.
//!
//! Loess here is R's: tricube weights over the `window` nearest points (the window
//! widened by half the excess when it is longer than the series), a local constant or
//! line, and evaluation at every `jump`-th point only, with linear interpolation in
//! between. A [`SeasonalWindow::Periodic`] seasonal is R's `s.window = "periodic"`: a
//! window of `10 n + 1` with degree 0, after which the seasonal component is replaced
//! by its mean at each position of the season, so it repeats exactly.
//!
//! The defaults are R's `stl()`: `t.window = nextodd(ceiling(1.5 period / (1 - 1.5 /
//! s.window)))`, `l.window = nextodd(period)`, `s.degree = 0`, `t.degree = l.degree = 1`,
//! jumps `ceiling(window / 10)`, `inner = 2` (1 when robust) and `outer = 0` (15 when
//! robust). The arithmetic is R's Fortran, operation for operation: on the crate's
//! reference cases the components equal R 4.2.2's to the last bit, but for a periodic
//! seasonal, whose means R accumulates in extended precision (within 1e-15 there).
//!
//! ```
//! use patronage::prelude::*;
//! use patronage::forecast::decompose::{SeasonalWindow, Stl};
//! // Four years of a quarterly pattern on a rising line.
//! let y: Vec<f64> = (0..16)
//!     .map(|t| 10.0 + 0.5 * t as f64 + [3.0, -1.0, -4.0, 2.0][t % 4])
//!     .collect();
//! let fit = Stl::params(4, SeasonalWindow::Periodic).fit(&y)?;
//! assert!((fit.seasonal[0] - fit.seasonal[4]).abs() < 1e-12); // periodic
//! assert!(fit.seasonal_strength() > 0.99);
//! # Ok::<(), patronage::Error>(())
//! ```

use crate::error::{Error, Result};
use crate::model::Fit;

mod loess;

use loess::*;

const MODEL: &str = "STL";

/// The seasonal smoothing window of [`Stl`] (R's `s.window`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum SeasonalWindow {
    /// A seasonal pattern that repeats exactly (R's `s.window = "periodic"`): the
    /// cycle-subseries are smoothed with a window longer than the series and degree 0,
    /// then averaged per position of the season.
    Periodic,
    /// The loess span, in seasons, of the cycle-subseries smoother: odd and at least 3.
    /// Smaller spans let the seasonal pattern change faster (R's `s.window = 7` is a
    /// common choice).
    Span(usize),
}

/// Parameters of an STL decomposition (R's `stl()` arguments), from [`Stl::params`].
///
/// Every setting not given takes R's default, computed from the period and the seasonal
/// window at [`fit`](Self::fit); see the [module documentation](self).
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Stl {
    period: usize,
    seasonal_window: SeasonalWindow,
    seasonal_degree: usize,
    trend_window: Option<usize>,
    trend_degree: usize,
    low_pass_window: Option<usize>,
    low_pass_degree: Option<usize>,
    seasonal_jump: Option<usize>,
    trend_jump: Option<usize>,
    low_pass_jump: Option<usize>,
    robust: bool,
    inner: Option<usize>,
    outer: Option<usize>,
}

/// The result of [`Stl::fit`]: `values = trend + seasonal + remainder`, element by
/// element, each as long as the series.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct StlDecomposition {
    /// The trend-cycle component.
    pub trend: Vec<f64>,
    /// The seasonal component.
    pub seasonal: Vec<f64>,
    /// What is left: `values - seasonal - trend`.
    pub remainder: Vec<f64>,
    /// The robustness weights of the last outer pass (bisquare of the remainder over six
    /// median absolute remainders); all 1 without robustness iterations.
    pub weights: Vec<f64>,
}

impl StlDecomposition {
    /// Strength of seasonality (Wang, Smith & Hyndman 2006):
    /// `max(0, 1 - var(remainder) / var(remainder + seasonal))` with sample variances;
    /// 0 when `remainder + seasonal` does not vary. R's `forecast::nsdiffs` takes a
    /// seasonal difference when this exceeds 0.64.
    ///
    /// The components are scaled by one power of two first (exact, and the ratio does
    /// not depend on it), so that the squares of large components do not overflow to
    /// an infinite variance and a NaN strength (nor tiny ones underflow to 0).
    pub fn seasonal_strength(&self) -> f64 {
        let max = self
            .remainder
            .iter()
            .chain(&self.seasonal)
            .fold(0.0f64, |m, v| m.max(v.abs()));
        // Both at most 1/2 after scaling, so their sums are below 1.
        let c = 0.5 * crate::segment::scale::pow2_scale(max);
        let r: Vec<f64> = self.remainder.iter().map(|v| v * c).collect();
        let rs: Vec<f64> = r
            .iter()
            .zip(&self.seasonal)
            .map(|(r, s)| r + s * c)
            .collect();
        let (vr, vrs) = (variance(&r), variance(&rs));
        let strength = 1.0 - vr / vrs;
        if strength.is_nan() {
            0.0
        } else {
            strength.clamp(0.0, 1.0)
        }
    }
}

/// Sample variance (divisor `n - 1`), as R's `var`.
fn variance(v: &[f64]) -> f64 {
    let n = v.len() as f64;
    let mu = v.iter().sum::<f64>() / n;
    v.iter().map(|a| (a - mu) * (a - mu)).sum::<f64>() / (n - 1.0)
}

/// STL decomposition of `values` with R's defaults for everything but the period and
/// the seasonal window: shorthand for
/// [`Stl::params(period, seasonal_window).fit(values)`](Stl::fit).
///
/// ```
/// use patronage::forecast::decompose::{stl, SeasonalWindow};
/// // Six years of monthly data: a seasonal wave whose amplitude grows, plus a trend.
/// let y: Vec<f64> = (0..72)
///     .map(|t| {
///         let t = t as f64;
///         100.0 + 0.8 * t + (5.0 + 0.1 * t) * (t * std::f64::consts::PI / 6.0).sin()
///     })
///     .collect();
/// let fit = stl(&y, 12, SeasonalWindow::Span(7))?;
/// for t in 0..y.len() {
///     let sum = fit.trend[t] + fit.seasonal[t] + fit.remainder[t];
///     assert!((sum - y[t]).abs() < 1e-9);
/// }
/// assert!(fit.seasonal_strength() > 0.9);
/// # Ok::<(), patronage::Error>(())
/// ```
///
/// # Errors
/// As [`Stl::fit`].
pub fn stl(
    values: &[f64],
    period: usize,
    seasonal_window: SeasonalWindow,
) -> Result<StlDecomposition> {
    Stl::params(period, seasonal_window).fit(values)
}

/// Most inner or outer passes [`Stl::fit`] runs: each pass costs a few loess fits over
/// the whole series, so the limit bounds the work by the input's size.
pub const MAX_PASSES: usize = 1_000;

/// R's `nextodd`: the value itself if odd, else the next odd number.
fn next_odd(x: usize) -> usize {
    if x.is_multiple_of(2) { x + 1 } else { x }
}

fn odd_window(name: &'static str, w: usize) -> Result<()> {
    if w < 3 || w.is_multiple_of(2) {
        return Err(Error::InvalidParameter {
            name,
            value: w.to_string(),
            reason: "loess windows are odd and at least 3".into(),
        });
    }
    Ok(())
}

fn degree(name: &'static str, d: usize) -> Result<()> {
    if d > 1 {
        return Err(Error::InvalidParameter {
            name,
            value: d.to_string(),
            reason: "loess degrees are 0 (local constant) or 1 (local line)".into(),
        });
    }
    Ok(())
}

fn positive(name: &'static str, v: usize) -> Result<()> {
    if v == 0 {
        return Err(Error::InvalidParameter {
            name,
            value: "0".into(),
            reason: "must be at least 1".into(),
        });
    }
    Ok(())
}

impl Stl {
    /// STL with seasonal period `period` (12 for months in a year, 4 for quarters) and
    /// the seasonal window (R's required `s.window`); everything else R's default.
    pub fn params(period: usize, seasonal_window: SeasonalWindow) -> Self {
        Stl {
            period,
            seasonal_window,
            seasonal_degree: 0,
            trend_window: None,
            trend_degree: 1,
            low_pass_window: None,
            low_pass_degree: None,
            seasonal_jump: None,
            trend_jump: None,
            low_pass_jump: None,
            robust: false,
            inner: None,
            outer: None,
        }
    }

    /// Degree of the cycle-subseries loess, 0 or 1 (default 0; R's `s.degree`). A
    /// [`Periodic`](SeasonalWindow::Periodic) seasonal always uses 0, as R.
    pub fn seasonal_degree(mut self, degree: usize) -> Self {
        self.seasonal_degree = degree;
        self
    }

    /// Span of the trend loess, odd and at least 3 (R's `t.window`; default
    /// `nextodd(ceiling(1.5 period / (1 - 1.5 / s.window)))`, with `s.window = 10 n + 1`
    /// for a periodic seasonal).
    pub fn trend_window(mut self, window: usize) -> Self {
        self.trend_window = Some(window);
        self
    }

    /// Degree of the trend loess, 0 or 1 (default 1; R's `t.degree`).
    pub fn trend_degree(mut self, degree: usize) -> Self {
        self.trend_degree = degree;
        self
    }

    /// Span of the low-pass loess, odd and at least 3 (R's `l.window`; default
    /// `nextodd(period)`).
    pub fn low_pass_window(mut self, window: usize) -> Self {
        self.low_pass_window = Some(window);
        self
    }

    /// Degree of the low-pass loess, 0 or 1 (R's `l.degree`; default the trend degree).
    pub fn low_pass_degree(mut self, degree: usize) -> Self {
        self.low_pass_degree = Some(degree);
        self
    }

    /// Evaluate the seasonal, trend and low-pass loess fits at every `jump`-th point
    /// and interpolate linearly in between (R's `s.jump`, `t.jump`, `l.jump`; defaults
    /// `ceiling(window / 10)` each, so `n + 1` for a periodic seasonal). All at least 1.
    pub fn jumps(mut self, seasonal: usize, trend: usize, low_pass: usize) -> Self {
        self.seasonal_jump = Some(seasonal);
        self.trend_jump = Some(trend);
        self.low_pass_jump = Some(low_pass);
        self
    }

    /// Robustness iterations (R's `robust`; default false): changes the defaults of
    /// [`inner`](Self::inner) to 1 and [`outer`](Self::outer) to 15.
    pub fn robust(mut self, robust: bool) -> Self {
        self.robust = robust;
        self
    }

    /// Passes of the inner loop per outer pass, at least 1 (R's `inner`; default 2, or
    /// 1 when robust).
    pub fn inner(mut self, passes: usize) -> Self {
        self.inner = Some(passes);
        self
    }

    /// Robustness (outer) passes, each reweighting the observations by their remainders
    /// (R's `outer`; default 0, or 15 when robust).
    pub fn outer(mut self, passes: usize) -> Self {
        self.outer = Some(passes);
        self
    }

    /// The smoothers' spans, degrees and jumps for `n` values, given or by R's
    /// defaults, checked; and whether the seasonal is periodic.
    ///
    /// `frequency` is the period as R's `frequency(x)`, which may be fractional (365.25
    /// days in a year): the Fortran gets its integer part, while the default trend and
    /// low-pass windows use the value itself (R's `nextodd` rounds it).
    fn spans(&self, n: usize, frequency: f64) -> Result<(Spans, bool)> {
        let np = self.period;
        let (ns, isdeg, periodic) = match self.seasonal_window {
            SeasonalWindow::Periodic => (10 * n + 1, 0, true),
            SeasonalWindow::Span(w) => {
                odd_window("seasonal_window", w)?;
                degree("seasonal_degree", self.seasonal_degree)?;
                (w, self.seasonal_degree, false)
            }
        };
        degree("trend_degree", self.trend_degree)?;
        let itdeg = self.trend_degree;
        let ildeg = self.low_pass_degree.unwrap_or(itdeg);
        degree("low_pass_degree", ildeg)?;
        let nt = match self.trend_window {
            Some(w) => {
                odd_window("trend_window", w)?;
                w
            }
            None => {
                let v = (1.5 * frequency / (1.0 - 1.5 / ns as f64)).ceil();
                // ns >= 3 makes the denominator at least 0.5: v is at most 3 np.
                next_odd(v as usize)
            }
        };
        let nl = match self.low_pass_window {
            Some(w) => {
                odd_window("low_pass_window", w)?;
                w
            }
            None => next_odd(frequency.round() as usize),
        };
        let jump = |w: usize| w.div_ceil(10);
        let nsjump = self.seasonal_jump.unwrap_or(jump(ns));
        let ntjump = self.trend_jump.unwrap_or(jump(nt));
        let nljump = self.low_pass_jump.unwrap_or(jump(nl));
        positive("seasonal_jump", nsjump)?;
        positive("trend_jump", ntjump)?;
        positive("low_pass_jump", nljump)?;
        let spec = Spans {
            np,
            ns,
            nt,
            nl,
            isdeg,
            itdeg,
            ildeg,
            nsjump,
            ntjump,
            nljump,
        };
        Ok((spec, periodic))
    }

    /// The inner and outer passes, given or by R's defaults, checked.
    fn passes(&self) -> Result<(usize, usize)> {
        let ni = self.inner.unwrap_or(if self.robust { 1 } else { 2 });
        Error::check_count("inner", ni, 1, "MAX_PASSES", MAX_PASSES)?;
        let no = self.outer.unwrap_or(if self.robust { 15 } else { 0 });
        Error::check_count("outer", no, 0, "MAX_PASSES", MAX_PASSES)?;
        Ok((ni, no))
    }
}

/// Decomposes `values` (a slice, a `Vec` or an array), observations one period apart (e.g. a
/// [`Series`](crate::forecast::Series)' [`values()`](crate::forecast::Series::values)).
///
/// # Errors
/// - [`Error::InvalidParameter`]: a period below 2; a window that is even or below
///   3; a degree other than 0 or 1; a jump or `inner` of 0; more than
///   [`MAX_PASSES`] inner or outer passes.
/// - [`Error::InsufficientData`]: not more than two full periods of values (R's
///   `stl` needs `n > 2 period`).
/// - [`Error::NonFinite`] (field `values`) naming the first NaN or infinite value.
impl<V: AsRef<[f64]> + ?Sized> Fit<&V> for Stl {
    type Fitted = StlDecomposition;

    fn fit(&self, values: &V) -> Result<StlDecomposition> {
        self.fit_frequency(values.as_ref(), self.period as f64)
    }
}

impl Stl {
    /// [`fit`](Fit::fit) for a series of (possibly fractional) frequency `frequency`,
    /// as R's `stl(ts(values, frequency = frequency))`: the seasonal cycle is the
    /// integer part (`self.period`, which the caller sets to it), the defaults of the
    /// trend and low-pass windows and the length check use `frequency` itself.
    pub(crate) fn fit_frequency(&self, values: &[f64], frequency: f64) -> Result<StlDecomposition> {
        check_values(self.period, frequency, values)?;
        let (spec, periodic) = self.spans(values.len(), frequency)?;
        let (ni, no) = self.passes()?;
        // Values far from 1 are decomposed scaled by a power of two (exact; the
        // smoothers are linear in the values and the robustness weights scale-free),
        // so that the smoothers' sums neither overflow (inf - inf is NaN, on which the
        // robustness pass's partial sort would not end) nor underflow.
        let max = values.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        let scale = if max > RESCALE_ABOVE || (max > 0.0 && max < RESCALE_BELOW) {
            crate::segment::scale::pow2_scale(max)
        } else {
            1.0
        };
        let scaled: Vec<f64>;
        let values_in = if scale == 1.0 {
            values
        } else {
            scaled = values.iter().map(|v| v * scale).collect();
            &scaled
        };
        let (mut seasonal, mut trend, weights) = run(values_in, &spec, ni, no);
        if periodic {
            seasonal_means(&mut seasonal, spec.np);
        }
        let mut remainder: Vec<f64> = values_in
            .iter()
            .zip(&seasonal)
            .zip(&trend)
            .map(|((y, s), t)| y - s - t)
            .collect();
        if scale != 1.0 {
            unscale(values, scale, [&mut seasonal, &mut trend, &mut remainder])?;
        }
        Ok(StlDecomposition {
            trend,
            seasonal,
            remainder,
            weights,
        })
    }
}

/// The period (at least 2), more than two periods (of the frequency) of values, all
/// finite.
fn check_values(np: usize, frequency: f64, values: &[f64]) -> Result<()> {
    if np < 2 {
        return Err(Error::InvalidParameter {
            name: "period",
            value: np.to_string(),
            reason: "a seasonal decomposition needs a period of at least 2".into(),
        });
    }
    let n = values.len();
    if np.checked_mul(2).is_none_or(|two| n <= two) || n as f64 <= 2.0 * frequency {
        return Err(Error::InsufficientData {
            model: MODEL,
            reason: format!(
                "{n} values are not more than two periods of {np}; STL needs more than two \
                 periods"
            ),
        });
    }
    if let Some(row) = values.iter().position(|v| !v.is_finite()) {
        return Err(Error::NonFinite {
            field: "values",
            row,
            value: values[row],
        });
    }
    Ok(())
}

/// R's periodic seasonal: the seasonal replaced by its mean at each position of the
/// season (period `np`).
fn seasonal_means(seasonal: &mut [f64], np: usize) {
    for c in 0..np {
        let (sum, count) = seasonal
            .iter()
            .skip(c)
            .step_by(np)
            .fold((0.0, 0usize), |(s, k), v| (s + v, k + 1));
        let mean = sum / count as f64;
        seasonal
            .iter_mut()
            .skip(c)
            .step_by(np)
            .for_each(|v| *v = mean);
    }
}

/// Undoes the scaling of the components (seasonal, trend, remainder) of `values`
/// decomposed scaled by `scale`; an error naming the first value whose component is
/// then beyond the range of f64.
fn unscale(values: &[f64], scale: f64, components: [&mut [f64]; 3]) -> Result<()> {
    let [seasonal, trend, remainder] = components;
    for v in seasonal
        .iter_mut()
        .chain(trend.iter_mut())
        .chain(remainder.iter_mut())
    {
        *v /= scale;
    }
    for (field, component) in [
        ("seasonal", &*seasonal),
        ("trend", &*trend),
        ("remainder", &*remainder),
    ] {
        if let Some(row) = component.iter().position(|v| !v.is_finite()) {
            return Err(Error::InvalidValue {
                field: "values",
                row,
                value: values[row],
                reason: format!(
                    "the {field} component here is beyond the range of f64; rescale the values"
                ),
            });
        }
    }
    Ok(())
}

/// Values whose largest `|value|` is outside `[2^-500, 2^500]` are decomposed scaled by
/// a power of two.
const RESCALE_ABOVE: f64 = 3.273_390_607_896_142e150; // 2^500
const RESCALE_BELOW: f64 = 3.054_936_363_499_605e-151; // 2^-500

// unwrap/expect in the tests act on fixtures the tests build, never on caller input.
#[cfg(test)]
mod tests;
