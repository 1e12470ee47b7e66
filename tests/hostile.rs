//! Extreme but type-valid arguments (issue 15): each gets a typed error or a finite
//! answer at once; none panics, overflows or allocates without bound.

mod common;

use patronage::Error;
use patronage::forecast::arima::Arima;
use patronage::forecast::ets::Ets;
use patronage::forecast::{MAX_HORIZON, Series};

fn invalid(r: Result<impl std::fmt::Debug, Error>, want: &str) {
    match r {
        Err(Error::InvalidParameter { name, .. }) => assert_eq!(name, want),
        other => panic!("expected InvalidParameter {{ name: {want:?} }}, got {other:?}"),
    }
}

#[test]
fn forecast_horizons_are_bounded() {
    let air = common::air_passengers();
    let ets = Ets::auto().fit(&air).unwrap();
    let arima = Arima::params(1, 1, 0).fit(&air).unwrap();
    for h in [MAX_HORIZON + 1, usize::MAX] {
        invalid(ets.forecast(h, &[0.95]), "h");
        invalid(arima.forecast(h, &[0.95]), "h");
    }
    assert_eq!(
        arima.forecast(MAX_HORIZON, &[]).unwrap().mean.len(),
        MAX_HORIZON
    );
}

#[test]
fn arima_periods_and_orders_are_bounded() {
    let air = common::air_passengers();
    let short = Series::new(&air.values()[..40], 12).unwrap();
    for m in [1_000, usize::MAX / 2, usize::MAX] {
        let r = Arima::params(1, 0, 0)
            .seasonal(1, 0, 1)
            .period(m)
            .fit(&short);
        assert!(r.is_err(), "period {m}: {r:?}");
        let r = Arima::params(0, 0, 0)
            .seasonal(0, 1, 0)
            .period(m)
            .fit(&short);
        assert!(r.is_err(), "period {m}: {r:?}");
        // auto: a period longer than the series means no seasonal part, not a panic.
        let fit = Arima::auto().period(m).fit(&short).unwrap();
        assert!(fit.aicc().is_finite());
    }
    invalid(Arima::auto().max_pq(usize::MAX, 1).fit(&air), "max_pq");
    invalid(
        Arima::auto().max_seasonal_pq(1, usize::MAX).fit(&air),
        "max_seasonal_pq",
    );
}
