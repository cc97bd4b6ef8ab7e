"""Test-split fidelity of a model set: per target, single member and ensemble, per regime."""
from __future__ import annotations

from typing import Sequence

import numpy as np

from naslib_anb.data.records import Record
from naslib_anb.surrogates._data import usable
from naslib_anb.surrogates._encoding import stage_codes
from naslib_anb.surrogates._metrics import regression_metrics
from naslib_anb.surrogates._persist import ModelSet

#: Paper Table 1/2 values (KT, R2) that the shipped models must reach or beat.
PAPER_BAR: dict[str, tuple[float, float]] = {
    "val_top1": (0.93, 0.986),  # project bar; paper Table 1 prints 0.922 / 0.984
    "throughput_zcu102": (0.955, 0.990),
    "latency_zcu102": (0.987, 0.9995),  # R2 printed rounded as 1.000
    "throughput_vck190": (0.949, 0.991),
    "latency_vck190": (0.980, 0.999),
    "throughput_tpuv3": (0.905, 0.975),
    "throughput_tpuv2": (0.962, 0.994),
    "throughput_a100": (0.975, 0.995),
    "throughput_3090": (0.968, 0.996),
}


def evaluate_model_set(models: ModelSet, test: Sequence[Record]) -> dict:
    """``{target: {"single": m, "ensemble": m, "regimes": {r: {"single", "ensemble"}}, ...}}``.

    ``single``/``ensemble`` leave out the records a target excludes from fitting (train_time's
    stragglers above ``TRAIN_TIME_OUTLIER_S``); ``whole_split`` then scores every measured record.
    """
    out = {}
    for target, ens in models.ensembles.items():
        recs, dropped = usable(test, target)
        y = np.asarray([r.value(target) for r in recs])
        vals = ens.member_predictions_codes(stage_codes([r.arch for r in recs]))
        single, mean = vals[:, 0], vals.mean(axis=1)
        regimes = np.asarray([r.regime if r.regime is not None else 0 for r in recs])
        entry = {"single": regression_metrics(y, single), "ensemble": regression_metrics(y, mean),
                 "excluded": int(dropped), "members": ens.size, "regimes": {}}
        for g in sorted(set(regimes.tolist())):
            sel = regimes == g
            entry["regimes"][str(g)] = {"single": regression_metrics(y[sel], single[sel]),
                                        "ensemble": regression_metrics(y[sel], mean[sel])}
        if dropped:  # e.g. train_time stragglers: the figure on the whole split, with them
            every = [r for r in test if np.isfinite(r.value(target))]
            if len(every) > len(recs):
                ya = np.asarray([r.value(target) for r in every])
                va = ens.member_predictions_codes(stage_codes([r.arch for r in every]))
                entry["whole_split"] = {"single": regression_metrics(ya, va[:, 0]),
                                        "ensemble": regression_metrics(ya, va.mean(axis=1))}
        if target in PAPER_BAR:
            kt, r2 = PAPER_BAR[target]
            e = entry["ensemble"]
            entry["bar"] = {"kendall_tau": kt, "r2": r2,
                            "met": bool(e["kendall_tau"] >= kt and e["r2"] >= r2)}
        out[target] = entry
    return out
