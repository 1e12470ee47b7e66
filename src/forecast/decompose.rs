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

    /// Decomposes `values`, observations one period apart (e.g. a
    /// [`Series`](crate::forecast::Series)' [`values()`](crate::forecast::Series::values)).
    ///
    /// # Errors
    /// - [`Error::InvalidParameter`]: a period below 2; a window that is even or below
    ///   3; a degree other than 0 or 1; a jump or `inner` of 0; more than
    ///   [`MAX_PASSES`] inner or outer passes.
    /// - [`Error::InsufficientData`]: not more than two full periods of values (R's
    ///   `stl` needs `n > 2 period`).
    /// - [`Error::NonFinite`] (field `values`) naming the first NaN or infinite value.
    pub fn fit(&self, values: &[f64]) -> Result<StlDecomposition> {
        let np = self.period;
        if np < 2 {
            return Err(Error::InvalidParameter {
                name: "period",
                value: np.to_string(),
                reason: "a seasonal decomposition needs a period of at least 2".into(),
            });
        }
        let n = values.len();
        if np.checked_mul(2).is_none_or(|two| n <= two) {
            return Err(Error::InsufficientData {
                model: MODEL,
                reason: format!(
                    "{n} values are not more than two periods of {np}; STL needs more than \
                     two periods"
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
                let v = (1.5 * np as f64 / (1.0 - 1.5 / ns as f64)).ceil();
                // ns >= 3 makes the denominator at least 0.5: v is at most 3 np.
                next_odd(v as usize)
            }
        };
        let nl = match self.low_pass_window {
            Some(w) => {
                odd_window("low_pass_window", w)?;
                w
            }
            None => next_odd(np),
        };
        let jump = |w: usize| w.div_ceil(10);
        let nsjump = self.seasonal_jump.unwrap_or(jump(ns));
        let ntjump = self.trend_jump.unwrap_or(jump(nt));
        let nljump = self.low_pass_jump.unwrap_or(jump(nl));
        positive("seasonal_jump", nsjump)?;
        positive("trend_jump", ntjump)?;
        positive("low_pass_jump", nljump)?;
        let ni = self.inner.unwrap_or(if self.robust { 1 } else { 2 });
        Error::check_count("inner", ni, 1, "MAX_PASSES", MAX_PASSES)?;
        let no = self.outer.unwrap_or(if self.robust { 15 } else { 0 });
        Error::check_count("outer", no, 0, "MAX_PASSES", MAX_PASSES)?;

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
            // R: the seasonal replaced by its mean at each position of the season.
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
        let mut remainder: Vec<f64> = values_in
            .iter()
            .zip(&seasonal)
            .zip(&trend)
            .map(|((y, s), t)| y - s - t)
            .collect();
        if scale != 1.0 {
            for v in seasonal.iter_mut().chain(&mut trend).chain(&mut remainder) {
                *v /= scale;
            }
            for (field, component) in [
                ("seasonal", &seasonal),
                ("trend", &trend),
                ("remainder", &remainder),
            ] {
                if let Some(row) = component.iter().position(|v| !v.is_finite()) {
                    return Err(Error::InvalidValue {
                        field: "values",
                        row,
                        value: values[row],
                        reason: format!(
                            "the {field} component here is beyond the range of f64; rescale \
                             the values"
                        ),
                    });
                }
            }
        }
        Ok(StlDecomposition {
            trend,
            seasonal,
            remainder,
            weights,
        })
    }
}

/// Values whose largest `|value|` is outside `[2^-500, 2^500]` are decomposed scaled by
/// a power of two.
const RESCALE_ABOVE: f64 = 3.273_390_607_896_142e150; // 2^500
const RESCALE_BELOW: f64 = 3.054_936_363_499_605e-151; // 2^-500

/// The spans, degrees and jumps of the three smoothers (validated).
struct Spans {
    np: usize,
    ns: usize,
    nt: usize,
    nl: usize,
    isdeg: usize,
    itdeg: usize,
    ildeg: usize,
    nsjump: usize,
    ntjump: usize,
    nljump: usize,
}

/// Scratch space for the inner loop (R's `work(n + 2 np, 5)`).
struct Work {
    w1: Vec<f64>,
    w2: Vec<f64>,
    w3: Vec<f64>,
    w4: Vec<f64>,
    w5: Vec<f64>,
}

/// R's `stl` Fortran routine: the outer loop around the inner loop. Returns the
/// seasonal, the trend and the robustness weights.
fn run(y: &[f64], spec: &Spans, ni: usize, no: usize) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let n = y.len();
    let len = n + 2 * spec.np;
    let mut work = Work {
        w1: vec![0.0; len],
        w2: vec![0.0; len],
        w3: vec![0.0; len],
        w4: vec![0.0; len],
        w5: vec![0.0; len],
    };
    let mut trend = vec![0.0; n];
    let mut season = vec![0.0; n];
    let mut rw = vec![1.0; n];
    let mut userw = false;
    let mut k = 0;
    loop {
        inner_loop(
            y,
            spec,
            ni,
            userw.then_some(&rw[..]),
            &mut season,
            &mut trend,
            &mut work,
        );
        k += 1;
        if k > no {
            break;
        }
        for i in 0..n {
            work.w1[i] = trend[i] + season[i];
        }
        robustness_weights(y, &work.w1[..n], &mut rw);
        userw = true;
    }
    if no == 0 {
        rw.fill(1.0);
    }
    (season, trend, rw)
}

/// R's `stlstp`: `ni` passes of the inner loop.
fn inner_loop(
    y: &[f64],
    spec: &Spans,
    ni: usize,
    rw: Option<&[f64]>,
    season: &mut [f64],
    trend: &mut [f64],
    work: &mut Work,
) {
    let n = y.len();
    let np = spec.np;
    for _ in 0..ni {
        for i in 0..n {
            work.w1[i] = y[i] - trend[i];
        }
        cycle_subseries(
            &work.w1[..n],
            spec,
            rw,
            &mut work.w2,
            &mut work.w3,
            &mut work.w4,
            &mut work.w5,
        );
        low_pass_means(&work.w2, np, &mut work.w3, &mut work.w1);
        loess(
            &work.w3[..n],
            spec.nl,
            spec.ildeg,
            spec.nljump,
            None,
            &mut work.w1[..n],
            &mut work.w5,
        );
        for ((s, a), b) in season.iter_mut().zip(&work.w2[np..]).zip(&work.w1) {
            *s = a - b;
        }
        for i in 0..n {
            work.w1[i] = y[i] - season[i];
        }
        loess(
            &work.w1[..n],
            spec.nt,
            spec.itdeg,
            spec.ntjump,
            rw,
            trend,
            &mut work.w3,
        );
    }
}

/// R's `stlss`: smooths each cycle-subseries and extends it by one value at each end;
/// `season` (length `n + 2 np`) receives the smoothed, extended subseries interleaved.
fn cycle_subseries(
    y: &[f64],
    spec: &Spans,
    rw: Option<&[f64]>,
    season: &mut [f64],
    sub: &mut [f64],
    smooth: &mut [f64],
    scratch: &mut [f64],
) {
    let n = y.len();
    let np = spec.np;
    let ns = spec.ns;
    // Subseries weights go after the subseries values in `sub` (at most n/2 + 1 each).
    for j in 0..np {
        let k = (n - 1 - j) / np + 1;
        let (vals, rest) = sub.split_at_mut(k);
        for (i, v) in vals.iter_mut().enumerate() {
            *v = y[i * np + j];
        }
        let sub_rw = rw.map(|rw| {
            let w = &mut rest[..k];
            for (i, v) in w.iter_mut().enumerate() {
                *v = rw[i * np + j];
            }
            &*w
        });
        let vals = &*vals;
        loess(
            vals,
            ns,
            spec.isdeg,
            spec.nsjump,
            sub_rw,
            &mut smooth[1..=k],
            scratch,
        );
        let right = ns.min(k);
        smooth[0] =
            local_fit(vals, ns, spec.isdeg, 0.0, 1, right, scratch, sub_rw).unwrap_or(smooth[1]);
        let left = if k >= ns { k - ns + 1 } else { 1 };
        smooth[k + 1] = local_fit(
            vals,
            ns,
            spec.isdeg,
            (k + 1) as f64,
            left,
            k,
            scratch,
            sub_rw,
        )
        .unwrap_or(smooth[k]);
        for m in 0..k + 2 {
            season[m * np + j] = smooth[m];
        }
    }
}

/// R's `stlfts`: moving averages of lengths `np`, `np` and 3 of `x` (length `n + 2 np`)
/// into `out` (length `n`), `scratch` holding the middle step.
fn low_pass_means(x: &[f64], np: usize, out: &mut [f64], scratch: &mut [f64]) {
    let len = x.len();
    moving_average(x, np, out);
    moving_average(&out[..len - np + 1], np, scratch);
    moving_average(&scratch[..len - 2 * np + 2], 3, out);
}

/// R's `stlma`: running means of `span` consecutive values, `x.len() - span + 1` of them,
/// by a running sum.
fn moving_average(x: &[f64], span: usize, ave: &mut [f64]) {
    let newn = x.len() - span + 1;
    let flen = span as f64;
    let mut v: f64 = x[..span].iter().sum();
    ave[0] = v / flen;
    for j in 1..newn {
        v = v - x[j - 1] + x[j + span - 1];
        ave[j] = v / flen;
    }
}

/// R's `stless`: loess of span `len` and degree `ideg` of `y` at positions 1..=n, fitted
/// at every `njump`-th position (and the last) and interpolated linearly in between.
fn loess(
    y: &[f64],
    len: usize,
    ideg: usize,
    njump: usize,
    rw: Option<&[f64]>,
    ys: &mut [f64],
    res: &mut [f64],
) {
    let n = y.len();
    if n < 2 {
        ys[0] = y[0];
        return;
    }
    // 1-based positions as in the Fortran; ys[i - 1] holds position i.
    let newnj = njump.min(n - 1);
    let (mut nleft, mut nright) = (1, n);
    let mut fit = |i: usize, nleft: usize, nright: usize, ys: &mut [f64]| {
        ys[i - 1] = local_fit(y, len, ideg, i as f64, nleft, nright, res, rw).unwrap_or(y[i - 1]);
    };
    if len >= n {
        for i in (1..=n).step_by(newnj) {
            fit(i, nleft, nright, ys);
        }
    } else if newnj == 1 {
        let nsh = len.div_ceil(2);
        nright = len;
        for i in 1..=n {
            if i > nsh && nright != n {
                nleft += 1;
                nright += 1;
            }
            fit(i, nleft, nright, ys);
        }
    } else {
        let nsh = len.div_ceil(2);
        for i in (1..=n).step_by(newnj) {
            if i < nsh {
                nleft = 1;
                nright = len;
            } else if i > n - nsh {
                nleft = n - len + 1;
                nright = n;
            } else {
                nleft = i - nsh + 1;
                nright = len + i - nsh;
            }
            fit(i, nleft, nright, ys);
        }
    }
    if newnj != 1 {
        let step = newnj as f64;
        let mut i = 1;
        while i <= n - newnj {
            let delta = (ys[i + newnj - 1] - ys[i - 1]) / step;
            for j in i + 1..i + newnj {
                ys[j - 1] = ys[i - 1] + delta * (j - i) as f64;
            }
            i += newnj;
        }
        let k = ((n - 1) / newnj) * newnj + 1;
        if k != n {
            // The window of the last fitted position, as the Fortran.
            fit(n, nleft, nright, ys);
            if k != n - 1 {
                let delta = (ys[n - 1] - ys[k - 1]) / (n - k) as f64;
                for j in k + 1..n {
                    ys[j - 1] = ys[k - 1] + delta * (j - k) as f64;
                }
            }
        }
    }
}

/// R's `stlest`: the loess value at position `xs` (1-based, may lie outside 1..=n) from
/// the points `nleft..=nright`, tricube-weighted (times `rw` when given); `None` when
/// every weight is zero. `w` is scratch of length at least n.
#[allow(clippy::too_many_arguments)]
fn local_fit(
    y: &[f64],
    len: usize,
    ideg: usize,
    xs: f64,
    nleft: usize,
    nright: usize,
    w: &mut [f64],
    rw: Option<&[f64]>,
) -> Option<f64> {
    let n = y.len();
    let range = n as f64 - 1.0;
    let mut h = (xs - nleft as f64).max(nright as f64 - xs);
    if len > n {
        h += ((len - n) / 2) as f64;
    }
    let h9 = 0.999 * h;
    let h1 = 0.001 * h;
    // The window's slices: position j (1-based) is element j - nleft.
    let y = &y[nleft - 1..nright];
    let w = &mut w[nleft - 1..nright];
    let rw = rw.map(|rw| &rw[nleft - 1..nright]);
    // The same operations in the same order as the Fortran, in fewer passes; positions
    // counted in floating point (exact).
    let first = nleft as f64;
    let mut a = 0.0;
    let mut p = first;
    for (k, wk) in w.iter_mut().enumerate() {
        let r = (p - xs).abs();
        *wk = if r <= h9 {
            let mut v = if r <= h1 {
                1.0
            } else {
                let u = r / h;
                let c = 1.0 - u * u * u;
                c * c * c
            };
            if let Some(rw) = rw {
                v *= rw[k];
            }
            a += v;
            v
        } else {
            0.0
        };
        p += 1.0;
    }
    if a <= 0.0 {
        return None;
    }
    let mut ys = 0.0;
    if !(h > 0.0 && ideg > 0) {
        for (wk, yk) in w.iter().zip(y) {
            ys += (wk / a) * yk;
        }
        return Some(ys);
    }
    // Local line: weighted mean position, spread, then the weights tilted towards xs.
    let mut mean = 0.0;
    p = first;
    for wk in w.iter_mut() {
        *wk /= a;
        mean += *wk * p;
        p += 1.0;
    }
    let mut c = 0.0;
    p = first;
    for wk in w.iter() {
        let d = p - mean;
        c += wk * (d * d);
        p += 1.0;
    }
    if c.sqrt() > 0.001 * range {
        let b = (xs - mean) / c;
        p = first;
        for (wk, yk) in w.iter().zip(y) {
            ys += (wk * (b * (p - mean) + 1.0)) * yk;
            p += 1.0;
        }
    } else {
        for (wk, yk) in w.iter().zip(y) {
            ys += wk * yk;
        }
    }
    Some(ys)
}

/// R's `stlrwt`: bisquare robustness weights of the residuals `y - fit` over six times
/// their "median" absolute value, `3 (a[n/2 + 1] + a[n - n/2])` (1-based) after R's
/// partial sort [`psort`], which is what R computes, not always the median.
fn robustness_weights(y: &[f64], fit: &[f64], rw: &mut [f64]) {
    let n = y.len();
    let mut r: Vec<f64> = y.iter().zip(fit).map(|(a, b)| (a - b).abs()).collect();
    let mid1 = n / 2 + 1;
    let mid2 = n - mid1 + 1;
    psort(&mut r, &[mid1, mid2]);
    let cmad = 3.0 * (r[mid1 - 1] + r[mid2 - 1]);
    let c9 = 0.999 * cmad;
    let c1 = 0.001 * cmad;
    for i in 0..n {
        let r = (y[i] - fit[i]).abs();
        rw[i] = if r <= c1 {
            1.0
        } else if r <= c9 {
            let u = r / cmad;
            let b = 1.0 - u * u;
            b * b
        } else {
            0.0
        };
    }
}

/// R's `psort` (stl.f): a partial quicksort meant to put the elements at the 1-based
/// positions `ind` in their sorted places. R calls it with `ind = (n/2 + 1, n/2)` for
/// even `n`, out of the ascending order the routine assumes, so the second position is
/// not always the order statistic; reproduced step by step (Fortran labels in comments)
/// so that robust STL gives R's numbers.
fn psort(values: &mut [f64], ind: &[usize]) {
    #[derive(Clone, Copy)]
    enum Label {
        L161,
        L166,
        L173,
        L10,
        L174,
    }
    let n = values.len();
    let ni = ind.len();
    // The partition loops of R's routine never end on NaN (every comparison is false);
    // `Stl::fit` scales its input so none arises, and this guard keeps the routine
    // bounded whatever a future caller passes (the values are left unsorted).
    if n < 2 || ni == 0 || values.iter().any(|v| v.is_nan()) {
        return;
    }
    // 1-based copy; a[0] = -inf is a sentinel the insertion sort never needs in R but
    // that keeps it in bounds whatever the input.
    let mut a = Vec::with_capacity(n + 1);
    a.push(f64::NEG_INFINITY);
    a.extend_from_slice(values);
    let ind_at = |q: isize| ind[(q - 1) as usize] as isize;
    let (mut il, mut iu, mut indl, mut indu) = (
        vec![0isize; 17],
        vec![0isize; 17],
        vec![0isize; 17],
        vec![0isize; 17],
    );
    let (mut jl, mut ju) = (1isize, ni as isize);
    indl[1] = 1;
    indu[1] = ni as isize;
    let (mut i, mut j, mut m) = (1isize, n as isize, 1isize);
    let mut label = Label::L161;
    loop {
        match label {
            Label::L161 => label = if i < j { Label::L10 } else { Label::L166 },
            Label::L166 => {
                m -= 1;
                if m <= 0 {
                    break;
                }
                let mu = m as usize;
                i = il[mu];
                j = iu[mu];
                jl = indl[mu];
                ju = indu[mu];
                label = if jl <= ju { Label::L173 } else { Label::L166 };
            }
            Label::L173 => label = if j - i > 10 { Label::L10 } else { Label::L174 },
            Label::L10 => {
                let at = |q: isize| q as usize;
                let mut k = i;
                let ij = (i + j) / 2;
                let mut t = a[at(ij)];
                if a[at(i)] > t {
                    a[at(ij)] = a[at(i)];
                    a[at(i)] = t;
                    t = a[at(ij)];
                }
                let mut l = j;
                if a[at(j)] < t {
                    a[at(ij)] = a[at(j)];
                    a[at(j)] = t;
                    t = a[at(ij)];
                    if a[at(i)] > t {
                        a[at(ij)] = a[at(i)];
                        a[at(i)] = t;
                        t = a[at(ij)];
                    }
                }
                // 181
                loop {
                    l -= 1;
                    if l < 1 {
                        break;
                    }
                    if a[at(l)] <= t {
                        let tt = a[at(l)];
                        // 186
                        loop {
                            k += 1;
                            if k > n as isize || a[at(k)] >= t {
                                break;
                            }
                        }
                        if k > l {
                            break;
                        }
                        a[at(l)] = a[at(k)];
                        a[at(k)] = tt;
                    }
                }
                // 183
                let mu = m as usize;
                if mu + 1 >= il.len() {
                    for v in [&mut il, &mut iu, &mut indl, &mut indu] {
                        v.resize(mu + 2, 0);
                    }
                }
                indl[mu] = jl;
                indu[mu] = ju;
                let p = mu;
                m += 1;
                label = Label::L173;
                if l - i <= j - k {
                    il[p] = k;
                    iu[p] = j;
                    j = l;
                    // 193
                    loop {
                        if jl > ju {
                            label = Label::L166;
                            break;
                        }
                        if ind_at(ju) > j {
                            ju -= 1;
                            continue;
                        }
                        indl[p] = ju + 1;
                        break;
                    }
                } else {
                    il[p] = i;
                    iu[p] = l;
                    i = k;
                    // 200
                    loop {
                        if jl > ju {
                            label = Label::L166;
                            break;
                        }
                        if ind_at(jl) < i {
                            jl += 1;
                            continue;
                        }
                        indu[p] = jl - 1;
                        break;
                    }
                }
            }
            Label::L174 => {
                if i != 1 {
                    // Insertion sort of a[i..=j].
                    i -= 1;
                    loop {
                        i += 1;
                        if i >= j {
                            break;
                        }
                        let t = a[(i + 1) as usize];
                        if a[i as usize] > t {
                            let mut k = i as usize;
                            loop {
                                a[k + 1] = a[k];
                                k -= 1;
                                if t >= a[k] {
                                    break;
                                }
                            }
                            a[k + 1] = t;
                        }
                    }
                    label = Label::L166;
                } else {
                    label = Label::L161;
                }
            }
        }
    }
    values.copy_from_slice(&a[1..]);
}

// unwrap/expect in the tests act on fixtures the tests build, never on caller input.
#[cfg(test)]
mod tests {
    use super::*;

    fn quarterly() -> Vec<f64> {
        (0..20)
            .map(|t| 10.0 + 0.5 * t as f64 + [3.0, -1.0, -4.0, 2.0][t % 4] + ((t * 7) % 3) as f64)
            .collect()
    }

    #[test]
    fn components_add_up() {
        let y = quarterly();
        for sw in [SeasonalWindow::Periodic, SeasonalWindow::Span(7)] {
            for robust in [false, true] {
                let f = Stl::params(4, sw).robust(robust).fit(&y).unwrap();
                for (t, v) in y.iter().enumerate() {
                    let s = f.trend[t] + f.seasonal[t] + f.remainder[t];
                    assert!((s - v).abs() < 1e-12);
                }
                assert_eq!(f.weights.len(), y.len());
                if !robust {
                    assert!(f.weights.iter().all(|&w| w == 1.0));
                }
            }
        }
    }

    #[test]
    fn constant_series_is_all_trend() {
        let y = vec![7.25; 30];
        for sw in [SeasonalWindow::Periodic, SeasonalWindow::Span(7)] {
            let f = Stl::params(5, sw).robust(true).fit(&y).unwrap();
            for t in 0..30 {
                assert!(f.seasonal[t].abs() < 1e-12, "{t}: {}", f.seasonal[t]);
                assert!((f.trend[t] - 7.25).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn moving_average_is_the_running_mean() {
        let x = [1.0, 2.0, 3.0, 4.0, 5.0];
        let mut out = [0.0; 3];
        moving_average(&x, 3, &mut out);
        assert_eq!(out, [2.0, 3.0, 4.0]);
    }

    #[test]
    fn invalid_inputs_are_typed_errors() {
        let y = quarterly();
        let bad = |e: Error, want: &str| match e {
            Error::InvalidParameter { name, .. } => assert_eq!(name, want),
            other => panic!("{other:?}"),
        };
        bad(stl(&y, 1, SeasonalWindow::Periodic).unwrap_err(), "period");
        bad(
            stl(&y, 4, SeasonalWindow::Span(4)).unwrap_err(),
            "seasonal_window",
        );
        bad(
            stl(&y, 4, SeasonalWindow::Span(1)).unwrap_err(),
            "seasonal_window",
        );
        let p = Stl::params(4, SeasonalWindow::Span(7));
        bad(
            p.clone().trend_window(8).fit(&y).unwrap_err(),
            "trend_window",
        );
        bad(
            p.clone().low_pass_window(1).fit(&y).unwrap_err(),
            "low_pass_window",
        );
        bad(
            p.clone().trend_degree(2).fit(&y).unwrap_err(),
            "trend_degree",
        );
        bad(
            p.clone().seasonal_degree(3).fit(&y).unwrap_err(),
            "seasonal_degree",
        );
        bad(
            p.clone().low_pass_degree(2).fit(&y).unwrap_err(),
            "low_pass_degree",
        );
        bad(p.clone().jumps(1, 0, 1).fit(&y).unwrap_err(), "trend_jump");
        bad(p.clone().inner(0).fit(&y).unwrap_err(), "inner");
        // Extreme but type-valid arguments: typed errors at once, no overflow or hang.
        bad(p.clone().inner(usize::MAX).fit(&y).unwrap_err(), "inner");
        bad(
            p.clone().outer(MAX_PASSES + 1).fit(&y).unwrap_err(),
            "outer",
        );
        assert!(matches!(
            stl(&y, usize::MAX, SeasonalWindow::Periodic),
            Err(Error::InsufficientData { .. })
        ));
        let huge = Stl::params(4, SeasonalWindow::Span(usize::MAX))
            .trend_window(usize::MAX)
            .low_pass_window(usize::MAX)
            .jumps(usize::MAX, usize::MAX, usize::MAX)
            .fit(&y)
            .unwrap();
        assert!(
            huge.trend
                .iter()
                .chain(&huge.seasonal)
                .all(|v| v.is_finite())
        );
        assert!(matches!(
            stl(&y[..8], 4, SeasonalWindow::Periodic),
            Err(Error::InsufficientData { .. })
        ));
        let mut z = y.clone();
        z[5] = f64::INFINITY;
        assert!(matches!(
            stl(&z, 4, SeasonalWindow::Periodic),
            Err(Error::NonFinite {
                field: "values",
                row: 5,
                ..
            })
        ));
        // Nine values for period 4 are enough.
        assert!(stl(&y[..9], 4, SeasonalWindow::Span(7)).is_ok());
    }

    #[test]
    fn psort_returns_on_nan() {
        let mut v = [3.0, f64::NAN, 1.0, 2.0];
        psort(&mut v, &[2, 3]);
        assert_eq!(v[0], 3.0);
    }

    #[test]
    fn psort_places_ascending_positions_and_keeps_the_values() {
        // With positions in ascending order (as the routine assumes) they receive their
        // order statistics; R's robust STL passes (n/2 + 1, n/2), for which the two values
        // are not always the middle order statistics (about 5% of random inputs here).
        let mut state = 12345u64;
        let mut next = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        let mut off_median = 0;
        for n in [2usize, 3, 11, 12, 30, 84, 145] {
            for _ in 0..100 {
                let v: Vec<f64> = (0..n).map(|_| (next() * 20.0).floor()).collect();
                let mut sorted = v.clone();
                sorted.sort_by(f64::total_cmp);
                let (m1, m2) = (n / 2, n / 2 + 1);
                let mut a = v.clone();
                psort(&mut a, &[m1.max(1), m2]);
                assert_eq!(a[m1.max(1) - 1], sorted[m1.max(1) - 1], "n {n}");
                assert_eq!(a[m2 - 1], sorted[m2 - 1], "n {n}");
                let mut b = a.clone();
                b.sort_by(f64::total_cmp);
                assert_eq!(b, sorted);
                let mut r = v.clone();
                psort(&mut r, &[m2, n - m2 + 1]);
                if r[m2 - 1] != sorted[m2 - 1] || r[n - m2] != sorted[n - m2] {
                    off_median += 1;
                }
            }
        }
        assert!(off_median > 0);
    }
}
