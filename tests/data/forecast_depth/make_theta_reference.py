"""Reference values for patronage's statsforecast Theta family (forecast::theta_auto).

Reads r_series.csv (next to this script) and writes theta_reference.csv (case,
quantity, index, value; 17 significant digits): for AirPassengers, USAccDeaths (m =
12), UKgas (m = 4) and Nile (m = 1), statsforecast's AutoTheta (all four models, and
each of STM, OTM, DSTM, DOTM alone; UKgas also with decomposition_type="additive"):
the chosen model (`model`: 0 STM, 1 OTM, 2 DSTM, 3 DOTM), the fitted parameters
(`initial_smoothed`, `alpha`, `theta`), its criterion `mse` (the sum of squared
one-step errors from the fourth observation on over the mean absolute value),
whether it decomposed (`decompose`: 0 none, 1 multiplicative, 2 additive), the
point forecasts `mean` (h = 2m, 10 for Nile), the 80% and 95% bounds (`lo80`, `hi80`,
`lo95`, `hi95`: quantiles of statsforecast's 200 simulated paths, seed 0) and the
in-sample `fitted` values. For the multiplicative cases also `lo80_many`, `hi80_many`,
`lo95_many`, `hi95_many`: the same bounds from 200,000 paths of statsforecast's own
simulation (`statsforecast.theta.compute_pi_samples`, seed 1), close to the limit of
its intervals as the number of paths grows.

Run with a venv holding statsforecast (2.1.1 made the stored file):
    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install statsforecast
    /tmp/venv/bin/python tests/data/forecast_depth/make_theta_reference.py
"""
import csv
import os
import warnings

import numpy as np
import statsforecast
from statsforecast.models import AutoTheta
from statsforecast.theta import compute_pi_samples
from statsforecast.utils import _repeat_val_seas

HERE = os.path.dirname(os.path.abspath(__file__))
CODES = {"STM": 0, "OTM": 1, "DSTM": 2, "DOTM": 3}


def load():
    out = {}
    with open(os.path.join(HERE, "r_series.csv")) as f:
        for row in csv.DictReader(f):
            out.setdefault(row["series"], (int(row["period"]), []))[1].append(
                float(row["value"])
            )
    return {k: (m, np.array(v)) for k, (m, v) in out.items()}


def cases(series):
    for name in ["AirPassengers", "USAccDeaths", "UKgas", "Nile"]:
        m, y = series[name]
        for model in [None, "STM", "OTM", "DSTM", "DOTM"]:
            yield f"{name}_{model or 'auto'}", m, y, model, "multiplicative"
    m, y = series["UKgas"]
    yield "UKgas_auto_additive", m, y, None, "additive"


def main():
    warnings.simplefilter("ignore")
    series = load()
    with open(os.path.join(HERE, "theta_reference.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["case", "quantity", "index", "value"])

        def put(case, quantity, values):
            for i, v in enumerate(np.atleast_1d(values)):
                w.writerow([case, quantity, i, f"{float(v):.17g}"])

        for case, m, y, model, kind in cases(series):
            h = 2 * m if m > 1 else 10
            fit = AutoTheta(season_length=m, model=model, decomposition_type=kind)
            fit.fit(y)
            mod = fit.model_
            put(case, "model", CODES[mod["modeltype"]])
            for p in ["initial_smoothed", "alpha", "theta"]:
                put(case, p, mod["par"][p])
            put(case, "mse", mod["mse"])
            dec = 0
            if mod.get("decompose", False):
                dec = 1 if mod["decomposition_type"] == "multiplicative" else 2
            put(case, "decompose", dec)
            out = fit.predict(h=h, level=[80, 95])
            put(case, "mean", out["mean"])
            for lv in [80, 95]:
                put(case, f"lo{lv}", out[f"lo-{lv}"])
                put(case, f"hi{lv}", out[f"hi-{lv}"])
            put(case, "fitted", mod["fitted"])
            if kind == "multiplicative":
                sigma = np.std(mod["residuals"][3:], ddof=1)
                samples = compute_pi_samples(
                    n=mod["n"], h=h, states=mod["states"], sigma=sigma,
                    alpha=mod["par"]["alpha"], theta=mod["par"]["theta"],
                    mean_y=mod["mean_y"], seed=1, n_samples=200_000,
                ).astype(np.float64)
                season = np.ones(h)
                if mod.get("decompose", False):
                    season = _repeat_val_seas(mod["seas_forecast"]["mean"], h=h)
                for lv in [80, 95]:
                    lo = (100 - lv) / 200
                    put(case, f"lo{lv}_many", np.quantile(samples, lo, axis=1) * season)
                    put(case, f"hi{lv}_many", np.quantile(samples, 1 - lo, axis=1) * season)
    print("statsforecast", statsforecast.__version__)


if __name__ == "__main__":
    main()
