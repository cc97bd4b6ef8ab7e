"""Why the TPUv3 model is a star on stage 0, made monotone by envelopes: the validation study.

Part 1 fits the stage-pair model (every pair of stages may interact) on the upstream train
split and prints how far each pair's centred interaction table ranges, in ms per image:
the pairs that matter all involve stage 0.

Part 2 fits each interaction structure once (``pair``: all 21 pairs; ``star0``: stage 0
with each later stage) and scores the same members on the upstream val split three ways:
as fitted, with the table correction of ``_monotone`` and, for the star, with the envelopes
of ``_envelope`` (both are computed from the fitted tables alone, so no refit is needed).
"Not faster" is the share of seeded one-step-bigger neighbours of uniform samples that the
ensemble does not predict faster (by more than a relative 1e-6: float32 ties).

    python benchmarks/bench_star.py [--target throughput_tpuv3] [--family default] [--members 5] [--pairs 20000]
"""
from __future__ import annotations

import argparse
import sys

INTERACTIONS = ("pair", "star0")
METHODS = ("as fitted", "table correction", "envelope")


def interaction_ranges(members) -> dict[tuple[int, int], float]:
    """Mean over members of max - min of each centred stage-pair interaction (transformed units)."""
    import numpy as np

    from naslib_anb.surrogates._monotone import _anova, fold_tables

    out: dict[tuple[int, int], list[float]] = {}
    for m in members:
        _, inters = _anova(fold_tables(m._raw_stage_tables()[0]), 1.0)
        for g, t in inters.items():
            out.setdefault(g, []).append(float(np.ptp(t)))
    return {g: float(np.mean(v)) for g, v in sorted(out.items())}


def measure(target: str = "throughput_tpuv3", family: str = "default", members: int = 5, pairs: int = 20_000,
            seed: int = 1001, data=None) -> dict:
    import numpy as np

    from naslib_anb.data import load_dataset
    from naslib_anb.space import sample
    from naslib_anb.surrogates._data import xy
    from naslib_anb.surrogates._encoding import stage_codes
    from naslib_anb.surrogates._envelope import monotone_variants
    from naslib_anb.surrogates._fit import FitConfig, fit_ensemble
    from naslib_anb.surrogates._metrics import regression_metrics
    from naslib_anb.surrogates._monotone import FLOAT32_TIES, bigger_neighbours, faster_share
    from naslib_anb.surrogates._transforms import get_transform
    from naslib_anb.targets import TARGETS

    split = load_dataset(data).default_split()
    archs, y = xy(list(split.val), target)
    val = stage_codes(archs)
    small = stage_codes(sample(seed, pairs))
    big, _ = bigger_neighbours(small, seed)
    rows: dict[str, dict[str, dict]] = {}
    ranges = {}
    for inter in INTERACTIONS:
        cfg = FitConfig(family=family, targets=(target,), members=members, n_jobs=1, calibration_folds=0,
                        overrides=dict(interaction=inter, monotone="none"))
        ens, _ = fit_ensemble(list(split.train), target, cfg)
        inv = get_transform(ens.transform).inverse
        if inter == "pair":
            ranges = interaction_ranges([m for m in ens.members if m.family == ens.members[0].family])
        variants = [monotone_variants(m, "increasing") for m in ens.members]
        rows[inter] = {}
        for method in METHODS:
            if method not in variants[0]:  # interactions beyond stage 0: no envelope
                continue

            def mean(c):
                return np.mean([inv(v[method](c)) for v in variants], axis=0)

            met = regression_metrics(y, mean(val))
            faster = faster_share(mean(small), mean(big), TARGETS[target].metric == "throughput", rtol=FLOAT32_TIES)
            rows[inter][method] = {"kendall_tau": met["kendall_tau"], "r2": met["r2"], "not_faster": 1.0 - faster}
    return {"ranges": ranges, "rows": rows}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--target", default="throughput_tpuv3")
    ap.add_argument("--family", default="default")
    ap.add_argument("--members", type=int, default=5)
    ap.add_argument("--pairs", type=int, default=20_000)
    ap.add_argument("--data", default=None)
    args = ap.parse_args(argv)
    from naslib_anb.targets import get_target

    res = measure(get_target(args.target).name, args.family, args.members, args.pairs, data=args.data)
    print("Part 1: range of each centred stage-pair interaction of the pair model (transformed units), largest first")
    for (a, b), r in sorted(res["ranges"].items(), key=lambda kv: -kv[1]):
        print(f"  stages {a},{b}: {r:.4f}")
    print("\nPart 2: upstream train -> val")
    print(f"{'interaction':12s} {'method':17s} {'val KT / R2':>15s} {'not faster':>10s}")
    for inter, methods in res["rows"].items():
        for method, r in methods.items():
            print(f"{inter:12s} {method:17s} {r['kendall_tau']:.4f} / {r['r2']:.4f} {100 * r['not_faster']:9.2f}%")
    return 0


if __name__ == "__main__":
    sys.exit(main())
