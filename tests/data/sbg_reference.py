"""Peer reference values for tests/clv_sbg.rs: the shifted-beta-geometric (sBG) model of
Fader & Hardie (2007), "How to Project Customer Retention", Journal of Interactive
Marketing 21(1), fitted with scipy and evaluated with mpmath, independently of the
crate's code.

Run from the crate root, in a venv with numpy, scipy and mpmath:

    python3 -m venv /tmp/venv-sbg && /tmp/venv-sbg/bin/pip install numpy scipy mpmath
    /tmp/venv-sbg/bin/python tests/data/sbg_reference.py > tests/data/sbg_reference.csv

(written with numpy 2, scipy 1.17.1, mpmath 1.4.1).

Model: the churn probability theta of a customer is Beta(alpha, beta) across customers;
a customer churns at the end of each period with probability theta. With T the period
in which a customer churns (T = 1, 2, ...):

    P(T = t) = B(alpha + 1, beta + t - 1) / B(alpha, beta)
    S(t)     = P(T > t) = B(alpha, beta + t) / B(alpha, beta)
    r(t)     = S(t) / S(t - 1) = (beta + t - 1) / (alpha + beta + t - 1)

Log-likelihood of a cohort with survivors n_0, ..., n_m (n_0 acquired in period 0):
    sum_{t=1}^{m} (n_{t-1} - n_t) ln P(T = t) + n_m ln S(m)
of one customer observed for t periods: ln P(T = t) if they churned in period t, else
ln S(t); several cohorts or customers add up.

DERL (Fader & Hardie 2010, Marketing Science 29(1), eq. 6) for a customer who has made
n - 1 renewals (renewals = n - 1), at a discount rate d per period:
    DERL = B(alpha, beta + n) / B(alpha, beta + n - 1) 2F1(1, beta + n; alpha + beta + n; 1 / (1 + d))
checked here against the direct sum  sum_{k >= 1} S(n - 1 + k) / S(n - 1) / (1 + d)^(k - 1)
(mpmath nsum), and the expected lifetime value of a new customer (eq. 3) per unit margin:
    E[CLV] / m = 2F1(1, beta; alpha + beta; 1 / (1 + d)) = sum_{t >= 0} S(t) / (1 + d)^t.

The fits maximize the log-likelihood with scipy.optimize.minimize (BFGS on log alpha,
log beta, then Nelder-Mead polish, gradient tolerance 1e-12); standard errors are the
square roots of the diagonal of the inverse observed information: the Hessian of the
negative log-likelihood in (alpha, beta) by central differences at 40-digit precision.

Columns: case, quantity, arg1, arg2, value (17 significant digits).
  fit rows:      quantity alpha, beta, loglik, se_alpha, se_beta (args empty)
  model rows:    case names the parameters (a fit's or published ones);
                 survival (arg1 = t), churn (t), retention (t), derl (arg1 = d,
                 arg2 = renewals), derl_sum (the same by direct summation), clv_new (d),
                 projected (t: 1000 S(t)).
"""

import mpmath as mp
import numpy as np
from scipy.optimize import minimize

mp.mp.dps = 40

REGULAR = [1000, 631, 468, 382, 326, 289, 262, 241, 223, 207, 194, 183, 173]
HIGH_END = [1000, 869, 743, 653, 593, 551, 517, 491, 468, 445, 427, 409, 394]

# Several cohorts of different ages (years 0-7, 0-4 and 0-1 of made-up cohorts).
COHORTS = [REGULAR[:8], [800, 510, 378, 306, 262], [1200, 750]]

# Per-customer: (periods observed, churned).
CUSTOMERS = [
    (1, True), (1, True), (1, True), (2, True), (2, True), (3, True), (5, True),
    (1, False), (2, False), (4, False), (6, False), (6, False), (6, False),
    (3, True), (1, True), (8, False), (8, False), (2, True), (7, True), (4, False),
]


def lnbeta(a, b):
    return mp.loggamma(a) + mp.loggamma(b) - mp.loggamma(a + b)


def ln_churn(a, b, t):
    return lnbeta(a + 1, b + t - 1) - lnbeta(a, b)


def ln_survival(a, b, t):
    return lnbeta(a, b + t) - lnbeta(a, b)


def loglik_cohorts(a, b, cohorts):
    total = mp.mpf(0)
    for n in cohorts:
        for t in range(1, len(n)):
            total += (n[t - 1] - n[t]) * ln_churn(a, b, t)
        total += n[-1] * ln_survival(a, b, len(n) - 1)
    return total


def loglik_customers(a, b, customers):
    return sum(
        ln_churn(a, b, t) if churned else ln_survival(a, b, t) for t, churned in customers
    )


def fit(loglik):
    f = lambda p: -float(loglik(mp.e ** p[0], mp.e ** p[1]))
    r = minimize(f, [0.0, 0.0], method="BFGS", options={"gtol": 1e-12})
    r = minimize(f, r.x, method="Nelder-Mead", options={"xatol": 1e-13, "fatol": 1e-14, "maxiter": 20000})
    a, b = (mp.e ** mp.mpf(v) for v in r.x)
    # Refine with Newton steps on the exact gradient at 40 digits.
    for _ in range(20):
        g = [mp.diff(lambda x, y: loglik(x, y), (a, b), (1, 0)), mp.diff(lambda x, y: loglik(x, y), (a, b), (0, 1))]
        h = hessian(loglik, a, b)
        step = mp.lu_solve(h, mp.matrix(g))
        a, b = a - step[0], b - step[1]
    cov = (-hessian(loglik, a, b)) ** -1
    return a, b, loglik(a, b), mp.sqrt(cov[0, 0]), mp.sqrt(cov[1, 1])


def hessian(loglik, a, b):
    f = lambda x, y: loglik(x, y)
    return mp.matrix(
        [
            [mp.diff(f, (a, b), (2, 0)), mp.diff(f, (a, b), (1, 1))],
            [mp.diff(f, (a, b), (1, 1)), mp.diff(f, (a, b), (0, 2))],
        ]
    )


def derl(a, b, d, renewals):
    n = renewals + 1
    z = 1 / (1 + mp.mpf(d))
    return mp.exp(lnbeta(a, b + n) - lnbeta(a, b + n - 1)) * mp.hyp2f1(1, b + n, a + b + n, z)


def derl_sum(a, b, d, renewals):
    n = renewals + 1
    z = 1 / (1 + mp.mpf(d))
    base = ln_survival(a, b, n - 1)
    return mp.nsum(lambda k: mp.exp(ln_survival(a, b, n - 1 + k) - base) * z ** (k - 1), [1, mp.inf])


def clv_new(a, b, d):
    return mp.hyp2f1(1, b, a + b, 1 / (1 + mp.mpf(d)))


def row(case, quantity, arg1, arg2, value):
    print(f"{case},{quantity},{arg1},{arg2},{mp.nstr(value, 17, min_fixed=-1, max_fixed=-1)}")


def model_rows(case, a, b):
    for t in range(0, 13):
        row(case, "survival", t, "", mp.exp(ln_survival(a, b, t)))
        row(case, "projected", t, "", 1000 * mp.exp(ln_survival(a, b, t)))
    for t in range(1, 13):
        row(case, "churn", t, "", mp.exp(ln_churn(a, b, t)))
        row(case, "retention", t, "", (b + t - 1) / (a + b + t - 1))
    for d in ["0.1", "0.05", "0.01"]:
        for renewals in [0, 1, 4, 10]:
            row(case, "derl", d, renewals, derl(a, b, d, renewals))
            row(case, "derl_sum", d, renewals, derl_sum(a, b, d, renewals))
        row(case, "clv_new", d, "", clv_new(a, b, d))


def main():
    print("case,quantity,arg1,arg2,value")
    fits = {
        "regular": lambda a, b: loglik_cohorts(a, b, [REGULAR[:8]]),
        "high_end": lambda a, b: loglik_cohorts(a, b, [HIGH_END[:8]]),
        "cohorts": lambda a, b: loglik_cohorts(a, b, COHORTS),
        "customers": lambda a, b: loglik_customers(a, b, CUSTOMERS),
    }
    for case, loglik in fits.items():
        a, b, ll, se_a, se_b = fit(loglik)
        for q, v in [("alpha", a), ("beta", b), ("loglik", ll), ("se_alpha", se_a), ("se_beta", se_b)]:
            row(case, q, "", "", v)
        if case in ("regular", "high_end"):
            model_rows(case, a, b)
    # The paper's published estimates, and a model with alpha > 1 (finite
    # undiscounted lifetime) and one with alpha = 1 (2F1 at an integer c - a - b).
    for case, a, b in [
        ("published_regular", "0.704", "1.182"),
        ("published_high_end", "0.668", "3.806"),
        ("alpha_above_1", "2.5", "7.25"),
        ("alpha_1", "1", "3"),
    ]:
        model_rows(case, mp.mpf(a), mp.mpf(b))


main()
