"""ChannelAttribution reference values for tests/channels.rs.

Writes, next to this script:

- journeys.csv: 40 seeded journey paths over five channels (lengths 1-6, with repeated
  channels and loops), each with its converting and non-converting journeys and the
  total value of its conversions (whole units per conversion, so a path's value splits
  exactly over its conversions);
- channel_attribution.csv: ChannelAttribution's heuristic models (first, last and
  linear touch: exact) and its Markov models of order 1, 2 and 3 (conversions and
  value attributed per channel, and the removal effects, `out_more=True`). Its Markov
  model estimates removal effects by simulating walks (there is no exact option), so
  the simulation is run long (nsim_start = 5e6 walks, nfold = 10, conv_par = 0.005)
  with max_step = 200 so that walks are not cut short.

Run with ChannelAttribution 2.2.5 (pip install ChannelAttribution matplotlib):
    python3 tests/data/channels/make_reference.py
"""

import os
import random

import pandas as pd
from ChannelAttribution import heuristic_models, markov_model

HERE = os.path.dirname(os.path.abspath(__file__))
CHANNELS = ["search", "display", "email", "social", "direct"]
WEIGHTS = [0.35, 0.25, 0.15, 0.15, 0.10]


def journeys():
    rng = random.Random(22)
    paths = {}
    while len(paths) < 40:
        n = rng.choice([1, 1, 2, 2, 2, 3, 3, 4, 5, 6])
        path = []
        for _ in range(n):
            if path and rng.random() < 0.25:
                path.append(path[-1])  # a repeated touch
            else:
                path.append(rng.choices(CHANNELS, WEIGHTS)[0])
        key = " > ".join(path)
        if key in paths:
            continue
        conv = rng.randint(0, 12)
        null = rng.randint(0, 30)
        if conv + null == 0:
            null = 1
        each = rng.randint(10, 90)
        paths[key] = (conv, null, conv * each)
    return pd.DataFrame(
        [(k, c, n, v) for k, (c, n, v) in paths.items()],
        columns=["path", "total_conversions", "total_null", "total_conversion_value"],
    )


def main():
    data = journeys()
    data.to_csv(os.path.join(HERE, "journeys.csv"), index=False)
    rows = []
    h = heuristic_models(data, "path", "total_conversions", var_value="total_conversion_value", flg_pro=False)
    for rule in ["first_touch", "last_touch", "linear_touch"]:
        for _, r in h.iterrows():
            rows.append(
                (rule, 0, r["channel_name"], r[rule + "_conversions"], r[rule + "_value"], "", "")
            )
    for order in [1, 2, 3]:
        res = markov_model(
            data,
            "path",
            "total_conversions",
            var_value="total_conversion_value",
            var_null="total_null",
            order=order,
            nsim_start=5e6,
            max_step=200,
            out_more=True,
            nfold=10,
            seed=0,
            conv_par=0.005,
            verbose=False,
            flg_pro=False,
        )
        result = res["result"].set_index("channel_name")
        removal = res["removal_effects"].set_index("channel_name")
        for ch in result.index:
            rows.append(
                (
                    "markov",
                    order,
                    ch,
                    result.loc[ch, "total_conversions"],
                    result.loc[ch, "total_conversion_value"],
                    removal.loc[ch, "removal_effects_conversion"],
                    removal.loc[ch, "removal_effects_conversion_value"],
                )
            )
    out = pd.DataFrame(
        rows,
        columns=["model", "order", "channel", "conversions", "value", "removal_conversion", "removal_value"],
    )
    out.to_csv(os.path.join(HERE, "channel_attribution.csv"), index=False, float_format="%.17g")


if __name__ == "__main__":
    main()
