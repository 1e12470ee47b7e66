"""Reference values for tests/recommend.rs: the Python `implicit` package's CPU ALS on a
simulated catalogue with latent tastes.

Writes, next to this script:
  lines.csv      customer,day,item (seed 22): 600 customers, 150 items, 4 hidden factors
  reference.csv  per implicit seed: the Hu-Koren-Volinsky loss reached (computed here with
                 numpy from implicit's factors, the crate's definition) and precision,
                 recall, MAP, NDCG at 10 and coverage on the time split (day <= 270
                 trains), with the crate's metric definitions (src/recommend/metrics.rs)

Settings: factors 8, regularization 0.05, alpha 2 (confidence 1 + 2 r, given to implicit
as its data with implicit's alpha = 1), 15 iterations, 3 CG steps (implicit's fixed cg_steps), float64.
Run: python3 -m venv /tmp/v && /tmp/v/bin/pip install implicit numpy scipy
     OPENBLAS_NUM_THREADS=1 /tmp/v/bin/python make_reference.py
"""
import csv
import os

import numpy as np
import scipy.sparse as sp
import implicit
from implicit.cpu.als import AlternatingLeastSquares

HERE = os.path.dirname(os.path.abspath(__file__))
FACTORS, REG, ALPHA, ITERS, K, CUTOFF = 8, 0.05, 2.0, 15, 10, 270

rng = np.random.default_rng(22)
n_cust, n_items, d = 600, 150, 4
u = rng.normal(size=(n_cust, d))
v = rng.normal(size=(n_items, d))
b = rng.normal(scale=0.7, size=n_items)
lines = []
for c in range(n_cust):
    logits = 1.5 * u[c] @ v.T + b
    p = np.exp(logits - logits.max())
    p /= p.sum()
    for _ in range(1 + rng.poisson(10)):
        lines.append((int(rng.integers(0, 365)), c, int(rng.choice(n_items, p=p))))
lines.sort()  # time order, customers interleaved
with open(os.path.join(HERE, "lines.csv"), "w", newline="") as fh:
    w = csv.writer(fh)
    w.writerow(["customer", "day", "item"])
    for day, c, i in lines:
        w.writerow([c, day, i])

# Intern in first-seen order of the training lines, as the crate does.
cust_ix, item_ix = {}, {}
rows, cols = [], []
for day, c, i in lines:
    if day <= CUTOFF:
        cust_ix.setdefault(c, len(cust_ix))
        item_ix.setdefault(i, len(item_ix))
        rows.append(cust_ix[c])
        cols.append(item_ix[i])
nu, ni = len(cust_ix), len(item_ix)
R = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(nu, ni))
R.sum_duplicates()
C = R.copy()
C.data = 1.0 + ALPHA * C.data
held = {}
for day, c, i in lines:
    if day > CUTOFF and c in cust_ix and i in item_ix:
        held.setdefault(cust_ix[c], set()).add(item_ix[i])
evaluated = sorted(held)


def hkv_loss(X, Y):
    P = (R.toarray() > 0).astype(float)
    Cd = np.ones((nu, ni))
    Cd[R.nonzero()] = C[R.nonzero()].A1
    S = X @ Y.T
    return float((Cd * (P - S) ** 2).sum() + REG * ((X ** 2).sum() + (Y ** 2).sum()))


def metrics(lists):
    prec = rec = ap_sum = ndcg = 0.0
    seen = set()
    for u_, lst in zip(evaluated, lists):
        rel = held[u_]
        hits, ap, dcg = 0, 0.0, 0.0
        for rank, i in enumerate(lst[:K]):
            seen.add(int(i))
            if i in rel:
                hits += 1
                ap += hits / (rank + 1)
                dcg += 1 / np.log2(rank + 2)
        ideal = min(K, len(rel))
        idcg = sum(1 / np.log2(r + 2) for r in range(ideal))
        prec += hits / K
        rec += hits / len(rel)
        ap_sum += ap / ideal
        ndcg += dcg / idcg
    n = len(evaluated)
    return [prec / n, rec / n, ap_sum / n, ndcg / n, len(seen) / ni]


out = []
for seed in range(5):
    m = AlternatingLeastSquares(factors=FACTORS, regularization=REG, alpha=1.0, iterations=ITERS,
                                use_cg=True, dtype=np.float64, random_state=seed,
                                calculate_training_loss=False, num_threads=1)
    m.fit(C, show_progress=False)
    X, Y = m.user_factors, m.item_factors
    ids, _ = m.recommend(np.array(evaluated), R[evaluated], N=K, filter_already_liked_items=True)
    out.append([seed, hkv_loss(X, Y)] + metrics([list(r) for r in ids]))
# Popularity on the same split, for the record.
pop = np.asarray((R > 0).sum(axis=0)).ravel()
order = sorted(range(ni), key=lambda i: (-pop[i], i))
pop_lists = []
for u_ in evaluated:
    bought = set(R[u_].indices)
    pop_lists.append([i for i in order if i not in bought][:K])
out.append(["popularity", float("nan")] + metrics(pop_lists))
with open(os.path.join(HERE, "reference.csv"), "w", newline="") as fh:
    w = csv.writer(fh)
    w.writerow(["implicit_seed", "loss", "precision", "recall", "map", "ndcg", "coverage"])
    for r in out:
        w.writerow([r[0]] + [repr(float(x)) for x in r[1:]])
print("implicit", implicit.__version__, "customers", nu, "items", ni, "evaluated", len(evaluated))
for r in out:
    print(r)
