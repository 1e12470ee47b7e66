"""Reference values from Python's factor_analyzer (0.5.1) on the datasets of data.csv:
KMO and Bartlett's test of mtcars, maximum-likelihood loadings and uniquenesses
(unrotated and varimax) of ability.cov (2 factors), Harman74.cor (4) and mtcars (3),
and principal-component factor loadings (method "principal") of mtcars (3).

    python3 -m venv /tmp/venv
    /tmp/venv/bin/pip install factor_analyzer==0.5.1 "scikit-learn<1.6"
    /tmp/venv/bin/python tests/data/factors/make_factor_analyzer_reference.py

writes factor_analyzer_reference.csv (case,quantity,row,col,value; 1-based), read by
tests/factors.rs.
"""
import csv
import os

import numpy as np
import pandas as pd
from factor_analyzer import FactorAnalyzer
from factor_analyzer.factor_analyzer import calculate_bartlett_sphericity, calculate_kmo

HERE = os.path.dirname(os.path.abspath(__file__))


def load():
    cells = {}
    with open(os.path.join(HERE, "data.csv")) as f:
        for row in csv.DictReader(f):
            cells.setdefault(row["dataset"], []).append(
                (int(row["row"]) - 1, int(row["col"]) - 1, float(row["value"])))
    out = {}
    for name, v in cells.items():
        m = np.zeros((max(c[0] for c in v) + 1, max(c[1] for c in v) + 1))
        for r, c, x in v:
            m[r, c] = x
        out[name] = m
    return out


def corr_of_cov(c):
    d = np.sqrt(np.diag(c))
    return c / np.outer(d, d)


def main():
    data = load()
    rows = []

    def put(case, quantity, m):
        m = np.atleast_2d(np.asarray(m, dtype=float))
        if m.shape[0] == 1 and quantity != "loadings":
            m = m.T
        for (i, j), x in np.ndenumerate(m):
            rows.append((case, quantity, i + 1, j + 1, repr(float(x))))

    mtcars = pd.DataFrame(data["mtcars"])
    per_variable, overall = calculate_kmo(mtcars)
    put("mtcars_kmo", "per_variable", per_variable)
    put("mtcars_kmo", "overall", [overall])
    stat, p = calculate_bartlett_sphericity(mtcars)
    put("mtcars_bartlett", "statistic", [stat])
    put("mtcars_bartlett", "p_value", [p])

    inputs = {
        "ability": (corr_of_cov(data["ability"]), True, 2),
        "harman74": (data["harman74"], True, 4),
        "mtcars": (mtcars, False, 3),
    }
    for name, (x, is_corr, k) in inputs.items():
        for rotation in [None, "varimax"]:
            fa = FactorAnalyzer(n_factors=k, method="ml", rotation=rotation,
                                is_corr_matrix=is_corr)
            fa.fit(x)
            case = f"{name}_{k}_ml_{rotation or 'none'}"
            put(case, "loadings", fa.loadings_)
            put(case, "uniquenesses", fa.get_uniquenesses())
    fa = FactorAnalyzer(n_factors=3, method="principal", rotation=None)
    fa.fit(mtcars)
    put("mtcars_3_principal", "loadings", fa.loadings_)

    with open(os.path.join(HERE, "factor_analyzer_reference.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["case", "quantity", "row", "col", "value"])
        w.writerows(rows)


if __name__ == "__main__":
    main()
