"""Reference values for patronage's intermittent-demand forecasters.

Writes, next to this script:
- intermittent_series.csv: four seeded intermittent series (series, index, value; 17
  significant digits);
- intermittent_reference.csv: statsforecast's point forecasts (h = 5) and in-sample
  fitted values of CrostonClassic, CrostonSBA, CrostonOptimized, TSB (two parameter
  sets), ADIDA and IMAPA on each (series, model, kind, index, value; NaN where
  statsforecast has no fitted value).

Run with a venv holding statsforecast (2.1.1 made the stored files):
    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install statsforecast
    /tmp/venv/bin/python tests/data/forecast_depth/make_intermittent_reference.py
"""
import csv
import os
import warnings

import numpy as np
import statsforecast
from statsforecast.models import (
    ADIDA,
    IMAPA,
    TSB,
    CrostonClassic,
    CrostonOptimized,
    CrostonSBA,
)

HERE = os.path.dirname(os.path.abspath(__file__))
H = 5


def make_series():
    out = {}
    rng = np.random.default_rng(20261204)
    # Integer demand, occurrence probability 0.3.
    occ = rng.random(120) < 0.3
    out["poisson_p30"] = np.where(occ, rng.poisson(3.0, 120) + 1, 0).astype(float)
    # Continuous sizes, sparse (p = 0.15): mean interval near 6 or 7.
    occ = rng.random(200) < 0.15
    out["gamma_p15"] = np.where(occ, rng.gamma(2.0, 10.0, 200), 0.0)
    # Lumpy, short, demand in the first period.
    occ = rng.random(60) < 0.5
    occ[0] = True
    out["lumpy_p50"] = np.where(occ, rng.geometric(0.2, 60).astype(float), 0.0)
    # Mean interval exactly 2.5: Python's round (half to even) gives aggregation 2.
    y = np.zeros(20)
    y[[1, 4, 6, 9]] = [4.0, 2.0, 7.0, 1.0]
    y[[12, 14]] = [3.0, 5.0]  # intervals 2, 3, 2, 3, 3, 2 -> mean 2.5
    out["half_interval"] = y
    return out


def models():
    return [
        ("CrostonClassic", CrostonClassic()),
        ("CrostonSBA", CrostonSBA()),
        ("CrostonOptimized", CrostonOptimized()),
        ("TSB_0.2_0.1", TSB(alpha_d=0.2, alpha_p=0.1)),
        ("TSB_0.5_0.05", TSB(alpha_d=0.5, alpha_p=0.05)),
        ("ADIDA", ADIDA()),
        ("IMAPA", IMAPA()),
    ]


def main():
    warnings.simplefilter("ignore")
    series = make_series()
    with open(os.path.join(HERE, "intermittent_series.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["series", "index", "value"])
        for name, y in series.items():
            for i, v in enumerate(y):
                w.writerow([name, i, repr(float(v))])
    with open(os.path.join(HERE, "intermittent_reference.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["series", "model", "kind", "index", "value"])
        for name, y in series.items():
            for mname, model in models():
                out = model.forecast(y=y, h=H, fitted=True)
                for i, v in enumerate(out["mean"]):
                    w.writerow([name, mname, "mean", i, repr(float(v))])
                for i, v in enumerate(out["fitted"]):
                    w.writerow([name, mname, "fitted", i, repr(float(v))])
    print("statsforecast", statsforecast.__version__)


if __name__ == "__main__":
    main()
