//! MSTL, the multiple seasonal-trend decomposition by loess (Bandara, Hyndman &
//! Bergmeir 2021), and forecasting through it, as R's `forecast::mstl`, `stlf` and
//! `forecast(mstl(...))`.
//!
//! **Decomposition** ([`Mstl`]). The seasonal periods are sorted, shortest first;
//! periods of at least half the series' length are dropped (R warns and drops them).
//! Then, `iterate` times (default 2), for each period in turn: its previous seasonal
//! component is added back to the seasonally adjusted series, an [`Stl`] with that
//! period and its seasonal window (default `7 + 4 i` for the `i`-th period, 11, 15, 19,
//! …) decomposes it, and the new seasonal component is taken out again. The trend is
//! the last STL's trend, and the remainder is the adjusted series minus the trend, so
//! that `values = trend + Σ seasonal + remainder`.
//!
//! A fractional period (365.25 days in a year, 52.18 weeks) is handled as R's `stl`
//! handles `ts(x, frequency = 365.25)`: the seasonal cycle has the integer part (365)
//! of positions, while the default trend window (`nextodd(ceiling(1.5 p / (1 - 1.5 /
//! s.window)))`) and low-pass window (`nextodd(round(p))`) use the period itself.
//!
//! **Forecasting** ([`Stlf`]). Each seasonal component is forecast by seasonal naive
//! (its last `floor(p)` values, repeated), the seasonally adjusted series
//! `values - Σ seasonal` by a non-seasonal model (by default [`AutoEts`] restricted to
//! non-seasonal models, R's `etsmodel = "ZZN"`), and the forecast and its interval
//! bounds are the model's plus the seasonal forecasts (R's `forecast.stl`: the seasonal
//! parts are taken as known, so the intervals are the model's, shifted). Fitted values
//! are the model's fitted values plus the seasonal components. A long single season,
//! such as weekly data with `m = 52` that [`AutoEts`] cannot model, is forecast this
//! way (R's `stlf`).
//!
//! ```
//! use patronage::prelude::*;
//! use patronage::forecast::mstl::{Mstl, Stlf};
//! use patronage::forecast::Series;
//! // Two years of daily values with a weekly and a (shortened, 30-day) monthly cycle.
//! let y: Vec<f64> = (0..730)
//!     .map(|t| {
//!         let t = t as f64;
//!         100.0 + 0.05 * t
//!             + 8.0 * (t * std::f64::consts::TAU / 7.0).sin()
//!             + 5.0 * (t * std::f64::consts::TAU / 30.5).cos()
//!             + ((t * 7.3) % 3.0)
//!     })
//!     .collect();
//! let parts = Mstl::params(&[7.0, 30.5]).fit(&y)?;
//! assert_eq!(parts.seasonal.len(), 2);
//! let model = Stlf::ets(Mstl::params(&[7.0, 30.5])).fit(&Series::new(&y, 7)?)?;
//! let f = model.forecast(14, &[0.8, 0.95])?;
//! assert_eq!(f.mean.len(), 14);
//! assert!(f.intervals[1].lower[0] < f.intervals[0].lower[0]);
//! # Ok::<(), patronage::Error>(())
//! ```

use crate::error::{Error, Result};
use crate::forecast::decompose::{SeasonalWindow, Stl};
use crate::forecast::ets::AutoEts;
use crate::forecast::{Forecast, Forecaster, Interval, Series, check_finite_forecast};
use crate::model::{Fit, FitReport, FittedModel};

const MODEL: &str = "MSTL";

/// Most seasonal periods an [`Mstl`] takes.
pub const MAX_SEASONAL_PERIODS: usize = 16;

/// Most decomposition passes ([`Mstl::iterate`]).
pub const MAX_ITERATE: usize = 100;

/// Parameters of an MSTL decomposition (R's `mstl()` arguments), from
/// [`Mstl::params`]; see the [module documentation](self).
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Mstl {
    periods: Vec<f64>,
    iterate: usize,
    seasonal_windows: Option<Vec<usize>>,
    trend_window: Option<usize>,
    robust: bool,
}

/// The result of [`Mstl::fit`]: `values = trend + Σ seasonal + remainder`.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct MstlDecomposition {
    /// The seasonal periods kept, shortest first (periods of at least half the
    /// series' length are dropped).
    pub periods: Vec<f64>,
    /// The trend-cycle component (the last STL's trend).
    pub trend: Vec<f64>,
    /// One seasonal component per period, in the order of [`periods`](Self::periods).
    pub seasonal: Vec<Vec<f64>>,
    /// What is left: `values - trend - Σ seasonal`.
    pub remainder: Vec<f64>,
}

impl MstlDecomposition {
    /// The seasonally adjusted series, `trend + remainder` (R's `seasadj`).
    pub fn seasonally_adjusted(&self) -> Vec<f64> {
        self.trend
            .iter()
            .zip(&self.remainder)
            .map(|(t, r)| t + r)
            .collect()
    }

    /// The sum of the seasonal components at each time.
    pub fn seasonal_total(&self) -> Vec<f64> {
        let mut total = vec![0.0; self.trend.len()];
        for s in &self.seasonal {
            for (t, v) in total.iter_mut().zip(s) {
                *t += v;
            }
        }
        total
    }
}

impl Mstl {
    /// MSTL with the given seasonal periods (7 and 365.25 for daily data; 48 and 336
    /// for half-hourly data); R's defaults for the rest: two passes, seasonal windows
    /// `7 + 4 i`, STL's default trend window, not robust.
    pub fn params(periods: &[f64]) -> Self {
        Self {
            periods: periods.to_vec(),
            iterate: 2,
            seasonal_windows: None,
            trend_window: None,
            robust: false,
        }
    }

    /// Passes over the periods, at least 1 (R's `iterate`; default 2). With one
    /// period a single pass is run (another would decompose the same series again).
    #[must_use]
    pub fn iterate(mut self, passes: usize) -> Self {
        self.iterate = passes;
        self
    }

    /// The seasonal window of each period, in the order of the periods once sorted
    /// (R's `s.window`): one value for all, or one per period. Odd, at least 3.
    #[must_use]
    pub fn seasonal_windows(mut self, windows: &[usize]) -> Self {
        self.seasonal_windows = Some(windows.to_vec());
        self
    }

    /// The trend window of every STL (R's `t.window`; default STL's).
    #[must_use]
    pub fn trend_window(mut self, window: usize) -> Self {
        self.trend_window = Some(window);
        self
    }

    /// Robust STL fits (R's `robust`; default false).
    #[must_use]
    pub fn robust(mut self, robust: bool) -> Self {
        self.robust = robust;
        self
    }

    /// The given periods; an empty list means the series' season length (for
    /// [`Stlf`]).
    fn periods_or(&self, season_length: usize) -> Vec<f64> {
        if self.periods.is_empty() {
            vec![season_length as f64]
        } else {
            self.periods.clone()
        }
    }

    fn decompose(&self, values: &[f64], periods: &[f64]) -> Result<MstlDecomposition> {
        Error::check_count("iterate", self.iterate, 1, "MAX_ITERATE", MAX_ITERATE)?;
        Error::check_count(
            "periods",
            periods.len(),
            1,
            "MAX_SEASONAL_PERIODS",
            MAX_SEASONAL_PERIODS,
        )?;
        for &p in periods {
            if !(p.is_finite() && p >= 2.0) {
                return Err(crate::forecast::invalid(
                    "periods",
                    p,
                    "seasonal periods are finite and at least 2",
                ));
            }
        }
        let n = values.len();
        if let Some(row) = values.iter().position(|v| !v.is_finite()) {
            return Err(Error::NonFinite {
                field: "values",
                row,
                value: values[row],
            });
        }
        let mut kept: Vec<f64> = periods
            .iter()
            .copied()
            .filter(|p| *p < n as f64 / 2.0)
            .collect();
        if kept.is_empty() {
            return Err(Error::InsufficientData {
                model: MODEL,
                reason: format!(
                    "{n} values are fewer than two cycles of every seasonal period; MSTL \
                     needs more than two cycles of at least one"
                ),
            });
        }
        kept.sort_by(f64::total_cmp);
        let windows: Vec<usize> = match &self.seasonal_windows {
            None => (1..=kept.len()).map(|i| 7 + 4 * i).collect(),
            Some(w) if w.len() == 1 => vec![w[0]; kept.len()],
            // Windows for dropped periods are dropped with them, as R indexes
            // `s.window[i]` over the periods kept (the first ones).
            Some(w) if w.len() >= kept.len() => w[..kept.len()].to_vec(),
            Some(w) => {
                return Err(crate::forecast::invalid(
                    "seasonal_windows",
                    w.len(),
                    "give one window, or one per seasonal period",
                ));
            }
        };
        let mut seasonal: Vec<Vec<f64>> = vec![vec![0.0; n]; kept.len()];
        let mut deseas = values.to_vec();
        let mut trend = Vec::new();
        // One period: a second pass would decompose the same series again (R's `stlf`
        // and `mstl` of a `ts` run one).
        let passes = if kept.len() == 1 { 1 } else { self.iterate };
        for _ in 0..passes {
            for (i, &p) in kept.iter().enumerate() {
                for (d, s) in deseas.iter_mut().zip(&seasonal[i]) {
                    *d += s;
                }
                let mut stl =
                    Stl::params(p as usize, SeasonalWindow::Span(windows[i])).robust(self.robust);
                if let Some(t) = self.trend_window {
                    stl = stl.trend_window(t);
                }
                let fit = stl.fit_frequency(&deseas, p)?;
                for (d, s) in deseas.iter_mut().zip(&fit.seasonal) {
                    *d -= s;
                }
                seasonal[i] = fit.seasonal;
                trend = fit.trend;
            }
        }
        let remainder = deseas.iter().zip(&trend).map(|(d, t)| d - t).collect();
        Ok(MstlDecomposition {
            periods: kept,
            trend,
            seasonal,
            remainder,
        })
    }
}

/// Decomposes `values`, observations one time unit apart.
///
/// # Errors
/// - [`Error::InvalidParameter`]: no periods or more than [`MAX_SEASONAL_PERIODS`], a period
///   below 2 or not finite, `iterate` 0 or above [`MAX_ITERATE`], a number of seasonal
///   windows other than 1 or one per period, and the [`Stl`] parameter errors (even
///   windows, windows below 3).
/// - [`Error::InsufficientData`] when no period has more than two cycles in the
///   series.
/// - [`Error::NonFinite`] (field `values`) naming the first NaN or infinite value.
impl<V: AsRef<[f64]> + ?Sized> Fit<&V> for Mstl {
    type Fitted = MstlDecomposition;

    fn fit(&self, values: &V) -> Result<MstlDecomposition> {
        self.decompose(values.as_ref(), &self.periods)
    }
}

/// Forecasting through an MSTL decomposition, as R's `stlf` and
/// `forecast(mstl(x), method = ...)`: seasonal naive on each seasonal component, the
/// wrapped model on the seasonally adjusted series (see the [module docs](self)).
///
/// The seasonally adjusted series handed to the model keeps the series' season length,
/// as R's does; [`Stlf::ets`] restricts ETS to non-seasonal models as R's
/// `etsmodel = "ZZN"`.
#[derive(Debug, Clone, PartialEq)]
pub struct Stlf<P> {
    decomposition: Mstl,
    model: P,
}

impl Stlf<AutoEts> {
    /// R's default: automatic non-seasonal ETS (`ets(x.sa, model = "ZZN")`; multiplicative
    /// trends are not considered, as R's `allow.multiplicative.trend = FALSE`) on the
    /// seasonally adjusted series. `Mstl::params(&[])` takes the series' season length
    /// as the one period (R's `stlf(y)`).
    pub fn ets(decomposition: Mstl) -> Self {
        Self::new(decomposition, AutoEts::default().season_length(1))
    }
}

impl<P> Stlf<P> {
    /// `model` forecasting the seasonally adjusted series of `decomposition` (an
    /// empty list of periods means the series' season length).
    pub fn new(decomposition: Mstl, model: P) -> Self {
        Self {
            decomposition,
            model,
        }
    }
}

impl<'a, P, F> Fit<&'a Series> for Stlf<P>
where
    P: for<'s> Fit<&'s Series, Fitted = F>,
    F: Forecaster,
{
    type Fitted = FittedStlf<F>;

    /// Decomposes the series, fits the model on the seasonally adjusted series.
    ///
    /// # Errors
    /// Those of [`Mstl::fit`] (a series season length of 1 with no periods given is
    /// [`Error::InvalidParameter`] naming `periods`), and those of the model's fit.
    fn fit(&self, series: &'a Series) -> Result<FittedStlf<F>> {
        let periods = self.decomposition.periods_or(series.season_length());
        let decomposition = self.decomposition.decompose(series.values(), &periods)?;
        let adjusted = decomposition.seasonally_adjusted();
        let inner = self
            .model
            .fit(&Series::new(&adjusted, series.season_length())?)?;
        let seasonal = decomposition.seasonal_total();
        let fitted: Vec<f64> = inner
            .fitted()
            .iter()
            .zip(&seasonal)
            .map(|(f, s)| f + s)
            .collect();
        let residuals = series
            .values()
            .iter()
            .zip(&fitted)
            .map(|(y, f)| y - f)
            .collect();
        let last_seasons = decomposition
            .periods
            .iter()
            .zip(&decomposition.seasonal)
            .map(|(p, s)| s[s.len() - *p as usize..].to_vec())
            .collect();
        Ok(FittedStlf {
            inner,
            decomposition,
            last_seasons,
            fitted,
            residuals,
        })
    }
}

/// A model fitted by [`Stlf`]: the decomposition, the model of the seasonally adjusted
/// series, and the last cycle of each seasonal component.
///
/// With serde, a model is checked as it is read: the wrapped model by its own checks,
/// periods of at least 2, a last cycle of `floor(period)` finite values per period,
/// components and fitted values as long as the wrapped model's and finite.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(
        try_from = "RawStlf<F>",
        bound(deserialize = "F: serde::Deserialize<'de> + Forecaster")
    )
)]
pub struct FittedStlf<F> {
    inner: F,
    decomposition: MstlDecomposition,
    last_seasons: Vec<Vec<f64>>,
    fitted: Vec<f64>,
    residuals: Vec<f64>,
}

/// [`FittedStlf`] as written to a file, before its checks.
#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
struct RawStlf<F> {
    inner: F,
    decomposition: MstlDecomposition,
    last_seasons: Vec<Vec<f64>>,
    fitted: Vec<f64>,
    residuals: Vec<f64>,
}

#[cfg(feature = "serde")]
impl<F: Forecaster> TryFrom<RawStlf<F>> for FittedStlf<F> {
    type Error = Error;

    fn try_from(raw: RawStlf<F>) -> Result<Self> {
        use crate::validate::{all_finite, same_len};
        let n = raw.inner.fitted().len();
        let d = &raw.decomposition;
        same_len("fitted", n, raw.fitted.len())?;
        same_len("residuals", n, raw.residuals.len())?;
        same_len("trend", n, d.trend.len())?;
        same_len("remainder", n, d.remainder.len())?;
        same_len("seasonal", d.periods.len(), d.seasonal.len())?;
        same_len("last_seasons", d.periods.len(), raw.last_seasons.len())?;
        if d.periods.is_empty() || d.periods.len() > MAX_SEASONAL_PERIODS {
            return Err(crate::forecast::invalid(
                "periods",
                d.periods.len(),
                "a fitted MSTL has 1 to MAX_SEASONAL_PERIODS seasonal periods",
            ));
        }
        for ((p, s), last) in d.periods.iter().zip(&d.seasonal).zip(&raw.last_seasons) {
            if !(p.is_finite() && *p >= 2.0 && *p < n as f64 / 2.0) {
                return Err(crate::forecast::invalid(
                    "periods",
                    p,
                    "periods are at least 2 and below half the series' length",
                ));
            }
            same_len("seasonal", n, s.len())?;
            same_len("last_seasons", *p as usize, last.len())?;
            all_finite("seasonal", s)?;
            all_finite("last_seasons", last)?;
        }
        all_finite("trend", &d.trend)?;
        all_finite("remainder", &d.remainder)?;
        all_finite("fitted", &raw.fitted)?;
        all_finite("residuals", &raw.residuals)?;
        Ok(FittedStlf {
            inner: raw.inner,
            decomposition: raw.decomposition,
            last_seasons: raw.last_seasons,
            fitted: raw.fitted,
            residuals: raw.residuals,
        })
    }
}

impl<F> FittedStlf<F> {
    /// The model of the seasonally adjusted series.
    pub fn inner(&self) -> &F {
        &self.inner
    }

    /// The decomposition of the series.
    pub fn decomposition(&self) -> &MstlDecomposition {
        &self.decomposition
    }

    /// The seasonal naive forecast of the seasonal components, summed, `h` steps ahead
    /// (R's `lastseas`): each component's last `floor(period)` values, repeated.
    pub fn seasonal_forecast(&self, h: usize) -> Vec<f64> {
        (0..h)
            .map(|j| {
                self.last_seasons
                    .iter()
                    .map(|last| last[j % last.len()])
                    .sum()
            })
            .collect()
    }
}

impl<F: Forecaster> Forecaster for FittedStlf<F> {
    /// The model's forecast of the seasonally adjusted series plus the seasonal naive
    /// forecast of each seasonal component; interval bounds shifted alike.
    ///
    /// # Errors
    /// Those of the model's forecast; [`Error::NonFinite`] when a value overflows.
    fn forecast(&self, h: usize, levels: &[f64]) -> Result<Forecast> {
        crate::forecast::check_request(h, levels)?;
        let f = self.inner.forecast(h, levels)?;
        let s = self.seasonal_forecast(h);
        let add = |v: &[f64]| -> Vec<f64> { v.iter().zip(&s).map(|(a, b)| a + b).collect() };
        let out = Forecast {
            mean: add(&f.mean),
            intervals: f
                .intervals
                .iter()
                .map(|i| Interval {
                    level: i.level,
                    lower: add(&i.lower),
                    upper: add(&i.upper),
                })
                .collect(),
        };
        check_finite_forecast(&out)?;
        Ok(out)
    }

    /// The model's fitted values plus the seasonal components.
    fn fitted(&self) -> &[f64] {
        &self.fitted
    }

    /// The series minus the fitted values.
    fn residuals(&self) -> &[f64] {
        &self.residuals
    }
}

impl<F: FittedModel> FittedModel for FittedStlf<F> {
    /// The report of the model of the seasonally adjusted series (as R's).
    fn report(&self) -> &FitReport {
        self.inner.report()
    }

    fn parameter_names(&self) -> Vec<String> {
        self.inner.parameter_names()
    }

    fn parameter_values(&self) -> Vec<f64> {
        self.inner.parameter_values()
    }
}
