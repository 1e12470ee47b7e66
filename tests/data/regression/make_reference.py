"""Reference values for tests/regression.rs from statsmodels on the data sets statsmodels
ships (no network needed).

    python3 -m venv /tmp/venv-reg && /tmp/venv-reg/bin/pip install statsmodels
    /tmp/venv-reg/bin/python tests/data/regression/make_reference.py

Writes the data sets as CSV (<name>.csv) and one results file per model
(<model>.csv: quantity,term,value with 17 significant digits). GLMs are fitted with a
tight tolerance on the coefficients (tol=1e-13, tol_criterion="params") so that the
stored values are the converged maximum likelihood estimates rather than statsmodels'
default stopping point (tol=1e-8 on the deviance: Fisher scoring converges linearly for
the non-canonical NB2 and Gamma log links, so a deviance change of 1e-13 can still leave
the coefficients 1e-8 from the optimum); the script prints how far the default stopping
point is from them.
"""
import os

import numpy as np
import pandas as pd
import statsmodels
import statsmodels.api as sm
from statsmodels.stats.outliers_influence import variance_inflation_factor
from statsmodels.stats.stattools import durbin_watson, jarque_bera

HERE = os.path.dirname(os.path.abspath(__file__))


def fmt(v):
    return repr(float(v)) if np.isfinite(v) else str(v)


def write_rows(name, rows):
    with open(os.path.join(HERE, name + ".csv"), "w") as f:
        f.write("quantity,term,value\n")
        for q, t, v in rows:
            f.write(f"{q},{t},{float(v):.17g}\n")


def save_data(name, df):
    df.to_csv(os.path.join(HERE, name + ".csv"), index=False, float_format="%.17g")


def per_term(rows, quantity, names, values):
    for t, v in zip(names, values):
        rows.append((quantity, t, v))


def ols_rows(res, exog, names):
    rows = []
    per_term(rows, "params", names, res.params)
    per_term(rows, "bse", names, res.bse)
    per_term(rows, "tvalues", names, res.tvalues)
    per_term(rows, "pvalues", names, res.pvalues)
    ci = np.asarray(res.conf_int(0.05))
    per_term(rows, "ci_lower", names, ci[:, 0])
    per_term(rows, "ci_upper", names, ci[:, 1])
    for hc in ["HC0", "HC1", "HC2", "HC3"]:
        per_term(rows, hc + "_se", names, getattr(res, hc + "_se"))
    rob = res.get_robustcov_results("HC3")
    per_term(rows, "HC3_pvalues", names, rob.pvalues)
    rci = np.asarray(rob.conf_int(0.05))
    per_term(rows, "HC3_ci_lower", names, rci[:, 0])
    per_term(rows, "HC3_ci_upper", names, rci[:, 1])
    for q in ["rsquared", "rsquared_adj", "fvalue", "f_pvalue", "llf", "aic", "bic", "ssr",
              "centered_tss", "uncentered_tss", "scale", "df_model", "df_resid",
              "condition_number", "nobs"]:
        rows.append((q, "", getattr(res, q)))
    wresid = res.wresid
    rows.append(("durbin_watson", "", durbin_watson(wresid)))
    jb, jbp, skew, kurt = jarque_bera(wresid)
    rows += [("jarque_bera", "", jb), ("jarque_bera_p", "", jbp), ("skew", "", skew),
             ("kurtosis", "", kurt)]
    for i, t in enumerate(names):
        if t != "const":
            rows.append(("vif", t, variance_inflation_factor(exog, i)))
    return rows


def glm_rows(res, names):
    rows = []
    per_term(rows, "params", names, res.params)
    per_term(rows, "bse", names, res.bse)
    per_term(rows, "zvalues", names, res.tvalues)
    per_term(rows, "pvalues", names, res.pvalues)
    ci = np.asarray(res.conf_int(0.05))
    per_term(rows, "ci_lower", names, ci[:, 0])
    per_term(rows, "ci_upper", names, ci[:, 1])
    for q in ["deviance", "pearson_chi2", "scale", "llf", "aic", "bic_llf", "null_deviance",
              "df_model", "df_resid", "nobs"]:
        rows.append((q, "", getattr(res, q)))
    return rows


def glm_fit(endog, exog, family, name, names):
    tight = sm.GLM(endog, exog, family=family).fit(tol=1e-13, tol_criterion="params",
                                                      maxiter=1000)
    default = sm.GLM(endog, exog, family=family).fit()
    gap = np.max(np.abs(np.asarray(default.params) - np.asarray(tight.params))
                 / np.maximum(np.abs(np.asarray(tight.params)), 1e-300))
    print(f"{name}: {tight.fit_history['iteration']} iterations at tol=1e-13 on the params; the default "
          f"tol=1e-8 stops {gap:.1e} (largest relative coefficient gap) from it")
    write_rows(name, glm_rows(tight, names))
    return tight


def main():
    print("statsmodels", statsmodels.__version__, "numpy", np.__version__)

    # OLS and WLS on Longley (the NIST StRD test: condition number ~5e9).
    longley = sm.datasets.longley.load_pandas().data
    save_data("longley", longley)
    features = ["GNPDEFL", "GNP", "UNEMP", "ARMED", "POP", "YEAR"]
    names = ["const"] + features
    exog = sm.add_constant(longley[features]).to_numpy()
    endog = longley["TOTEMP"].to_numpy()
    res = sm.OLS(endog, exog).fit()
    write_rows("ols_longley", ols_rows(res, exog, names))
    # WLS: weights 1 / POP-share pattern, deterministic and positive.
    w = 1.0 / (1.0 + (np.arange(len(endog)) % 4))
    res_w = sm.WLS(endog, exog, weights=w).fit()
    write_rows("wls_longley", ols_rows(res_w, exog, names))
    # Without an intercept (uncentered R^2, F on all coefficients).
    exog_nc = longley[["GNP", "UNEMP", "ARMED", "YEAR"]].to_numpy()
    res_nc = sm.OLS(endog, exog_nc).fit()
    write_rows("ols_longley_noconst",
               ols_rows(res_nc, exog_nc, ["GNP", "UNEMP", "ARMED", "YEAR"]))

    # Ridge on Scotland's design, penalty in the crate's meaning:
    # (1 / 2n) ||y - X b||^2 + penalty ||b_features||^2, i.e. ||y - X b||^2 + 2 n penalty ||.||^2,
    # solved by least squares on the design augmented with sqrt(2 n penalty) I (no
    # penalty on the intercept) with numpy's SVD-based lstsq.
    scotland = sm.datasets.scotland.load_pandas().data
    save_data("scotland", scotland)
    sfeat = ["COUTAX", "UNEMPF", "MOR", "ACT", "GDP", "AGE", "COUTAX_FEMALEUNEMP"]
    sx = sm.add_constant(scotland[sfeat]).to_numpy()
    sy = scotland["YES"].to_numpy()
    penalty = 0.05
    n, k = sx.shape
    aug = np.vstack([sx, np.sqrt(2 * n * penalty) * np.eye(k)[1:]])
    yaug = np.concatenate([sy, np.zeros(k - 1)])
    ridge = np.linalg.lstsq(aug, yaug, rcond=None)[0]
    write_rows("ridge_scotland", [("params", t, v) for t, v in zip(["const"] + sfeat, ridge)]
               + [("penalty", "", penalty)])

    # GLMs.
    cpunish = sm.datasets.cpunish.load_pandas().data
    save_data("cpunish", cpunish)
    cfeat = ["INCOME", "PERPOVERTY", "PERBLACK", "VC100k96", "SOUTH", "DEGREE"]
    cx = sm.add_constant(cpunish[cfeat]).to_numpy()
    glm_fit(cpunish["EXECUTIONS"].to_numpy(), cx, sm.families.Poisson(), "glm_poisson_cpunish",
            ["const"] + cfeat)

    glm_fit(sy, sx, sm.families.Gamma(link=sm.families.links.Log()), "glm_gamma_scotland",
            ["const"] + sfeat)

    star98 = sm.datasets.star98.load_pandas().data
    save_data("star98", star98)
    bfeat = list(star98.columns[2:])
    bx = sm.add_constant(star98[bfeat]).to_numpy()
    glm_fit(star98[["NABOVE", "NBELOW"]].to_numpy(), bx, sm.families.Binomial(),
            "glm_binomial_star98", ["const"] + bfeat)

    randhie = sm.datasets.randhie.load_pandas().data
    save_data("randhie", randhie)
    rfeat = list(randhie.columns[1:])
    rx = sm.add_constant(randhie[rfeat]).to_numpy()
    glm_fit(randhie["mdvis"].to_numpy(), rx, sm.families.NegativeBinomial(alpha=1.2),
            "glm_nb2_randhie", ["const"] + rfeat)
    glm_fit(randhie["mdvis"].to_numpy(), rx, sm.families.Poisson(), "glm_poisson_randhie",
            ["const"] + rfeat)


if __name__ == "__main__":
    main()
