"""Times statsforecast 2.1.1 on the series of benches/forecast_depth.rs (for the
comparison in the notes; not used by tests).

    /tmp/venv/bin/python tests/data/forecast_depth/time_statsforecast.py
"""
import csv
import os
import timeit
import warnings

import numpy as np
from statsforecast.models import (
    ADIDA, IMAPA, TSB, CrostonClassic, CrostonOptimized, CrostonSBA, Theta, AutoTheta,
)

HERE = os.path.dirname(os.path.abspath(__file__))
warnings.simplefilter("ignore")


def load(name, key, value, period=None):
    out = {}
    with open(os.path.join(HERE, name)) as f:
        for row in csv.DictReader(f):
            out.setdefault(row[key], ([], row.get(period)))[0].append(float(row[value]))
    return {k: (np.array(v), p) for k, (v, p) in out.items()}


inter = [v for v, _ in load("intermittent_series.csv", "series", "value").values()]
for name, make in [
    ("Croston", CrostonClassic), ("SBA", CrostonSBA),
    ("TSB", lambda: TSB(alpha_d=0.2, alpha_p=0.1)),
    ("CrostonOptimized", CrostonOptimized), ("ADIDA", ADIDA), ("IMAPA", IMAPA),
]:
    model = make()
    def run():
        for y in inter:
            model.forecast(y=y, h=28)
    run()
    n, t = timeit.Timer(run).autorange()
    best = min(timeit.repeat(run, number=n, repeat=5)) / n
    print(f"{name}: {best * 1e6:.1f} us per 4 series ({best / 4 * 1e6:.1f} us per series)")

r = load("r_series.csv", "series", "value", "period")
for name in ["AirPassengers", "USAccDeaths", "UKgas"]:
    y, p = r[name]
    model = Theta(season_length=int(p))
    def run():
        model.forecast(y=y, h=24, level=[80, 95])
    run()
    n, t = timeit.Timer(run).autorange()
    best = min(timeit.repeat(run, number=n, repeat=5)) / n
    print(f"Theta {name}: {best * 1e6:.1f} us")

for name in ["AirPassengers", "USAccDeaths", "UKgas"]:
    y, p = r[name]
    model = AutoTheta(season_length=int(p))
    def run():
        model.fit(y)
        model.predict(h=24, level=[80, 95])
    run()
    n, t = timeit.Timer(run).autorange()
    best = min(timeit.repeat(run, number=n, repeat=5)) / n
    print(f"AutoTheta {name}: {best * 1e6:.1f} us")
