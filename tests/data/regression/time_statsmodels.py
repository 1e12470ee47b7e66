"""Times statsmodels on benches/regression.rs's problems (1,000,000 rows x 20 standard
normal features; y = 1 + x beta + N(0, 1) and Poisson counts with mean
exp(0.5 + x beta / 10), beta evenly spaced from -1 to 1). numpy draws its own sample of
the same model (the bench's generator is Rust's), so the fits match in size and shape,
not bit for bit.

    /tmp/venv-reg/bin/python tests/data/regression/time_statsmodels.py

SKIP_VIF=1 in the environment skips the VIF timing (about 200 s).
"""
import os
import time

import numpy as np
import statsmodels.api as sm
from statsmodels.stats.outliers_influence import variance_inflation_factor
from statsmodels.stats.stattools import durbin_watson, jarque_bera

N, P = 1_000_000, 20


def best(f, repeat=5):
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    return min(times), float(np.median(times))


def main():
    rng = np.random.default_rng(21)
    x = rng.standard_normal((N, P))
    beta = np.linspace(-1, 1, P)
    eta = x @ beta
    y = 1 + eta + rng.standard_normal(N)
    counts = rng.poisson(np.exp(0.5 + eta / 10))
    X = sm.add_constant(x)

    def ols_full():
        r = sm.OLS(y, X).fit()
        _ = (r.bse, r.tvalues, r.pvalues, r.conf_int(), r.rsquared, r.rsquared_adj,
             r.fvalue, r.f_pvalue, r.llf, r.aic, r.bic, r.condition_number,
             durbin_watson(r.wresid), jarque_bera(r.wresid),
             r.HC0_se, r.HC1_se, r.HC2_se, r.HC3_se)
        return r

    def ols_classical():
        r = sm.OLS(y, X).fit()
        _ = (r.bse, r.tvalues, r.pvalues, r.conf_int(), r.rsquared, r.rsquared_adj,
             r.fvalue, r.f_pvalue, r.llf, r.aic, r.bic, r.condition_number,
             durbin_watson(r.wresid), jarque_bera(r.wresid))
        return r

    def vif():
        return [variance_inflation_factor(X, i) for i in range(1, P + 1)]

    def poisson():
        r = sm.GLM(counts, X, family=sm.families.Poisson()).fit()
        _ = (r.bse, r.tvalues, r.pvalues, r.conf_int(), r.deviance, r.pearson_chi2,
             r.llf, r.aic, r.null_deviance)
        return r

    for name, f, repeat in [
        ("ols-1M fit + summary + HC0-HC3 (no VIF)", ols_full, 5),
        ("ols-1M fit + summary (classical)", ols_classical, 5),
        ("ols-1M VIF of 20 features (20 OLS fits)", vif, 2),
        ("poisson-1M GLM fit + summary", poisson, 5),
    ]:
        if "VIF" in name and os.environ.get("SKIP_VIF"):
            continue
        lo, med = best(f, repeat)
        print(f"{name}: best {lo * 1e3:.0f} ms, median {med * 1e3:.0f} ms")


if __name__ == "__main__":
    main()
