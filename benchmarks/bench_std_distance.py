"""Does the out-of-sample error grow with the distance to the training architectures?

Validation errors from the training set at full density come from held-out records 4-9
decisions from it (the shipped std adds buffered errors for that reason; see
``bench_error_distance.py``). To see whether a distance term is
supported further out, the ensembles are refitted (as ``naslib-anb fit
--calibration-folds 1`` does) on the same two splits with the training part cut to a
seeded fraction (default 30 %; the held-out parts unchanged, so they sit further away),
and the calibration is fitted on the full splits alone and on full and cut splits pooled.
Printed per target: the most likely distance slope ``c`` and the Spearman correlation of the
resulting std (applied to the shipped ensemble) with ``nearest_measured`` over uniform
samples, plus the RMS error of each split against its median distance.

    python benchmarks/bench_std_distance.py [--targets throughput_a100,train_time] [--fraction 0.3]
"""
from __future__ import annotations

import argparse
import sys

DEFAULT_TARGETS = "throughput_a100,throughput_3090,throughput_zcu102,throughput_vck190,train_time"


def measure(targets, fraction: float = 0.3, samples: int = 20_000, seed: int = 2024, data=None) -> dict:
    import numpy as np
    from scipy.stats import spearmanr

    from naslib_anb.benchmark import load_benchmark
    from naslib_anb.data import load_dataset
    from naslib_anb.space import sample
    from naslib_anb.space.support import nearest_measured
    from naslib_anb.surrogates._calibration import Aleatoric, fit_calibration
    from naslib_anb.surrogates._encoding import stage_codes
    from naslib_anb.surrogates._fit import FitConfig, out_of_sample, validation_splits

    bench = load_benchmark()
    cfg_d = bench.manifest["config"]
    sp = load_dataset(data).default_split()
    trainval = list(sp.train) + list(sp.val)
    cfg = FitConfig(members=cfg_d["members"], n_folds=cfg_d["n_folds"], seed=cfg_d["seed"], n_jobs=1,
                    calibration_folds=1)
    full = validation_splits(len(trainval), len(sp.train), 1)
    rng = np.random.default_rng(seed)
    cut = [(f"{name}@{fraction:g}", np.sort(rng.choice(tr, size=int(fraction * len(tr)), replace=False)), va)
           for name, tr, va in full]
    archs = sample(0, samples)
    codes = stage_codes(archs)
    dist_measured = nearest_measured(archs)
    dist_train = bench.training_distance(archs)
    out = {}
    for t in targets:
        ens = bench.models.ensembles[t]
        entry = bench.manifest["targets"][t]
        ale = Aleatoric.from_json(entry["aleatoric"])
        shared = ens.shared_by_family()
        parts = {name: out_of_sample(trainval, t, cfg, [(name, tr, va)], shared) for name, tr, va in full + cut}
        mean, member_std = ens.predict_codes(codes)
        row = {"splits": {n: {"rms": float(np.sqrt(np.mean(p["err"] ** 2))),
                              "median_distance": float(np.median(p["distance"]))} for n, p in parts.items()}}
        for label, names in (("full", [n for n, _, _ in full]), ("pooled", list(parts))):
            o = {k: np.concatenate([parts[n][k] for n in names]) for k in ("err", "mean", "member_std", "distance")}
            # the most likely slope: the question is whether the errors ask for one at all
            cal = fit_calibration(o["err"], o["mean"], o["member_std"], o["distance"], ale, transform=ens.transform,
                                  distance_rule="mle")
            sd = cal.total(mean, member_std, dist_train)
            row[label] = {"distance_slope": cal.distance_slope, "spearman": float(spearmanr(sd, dist_measured)[0])}
        out[t] = row
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--targets", default=DEFAULT_TARGETS)
    ap.add_argument("--fraction", type=float, default=0.3)
    ap.add_argument("--samples", type=int, default=20_000)
    ap.add_argument("--data", default=None)
    args = ap.parse_args(argv)
    from naslib_anb.errors import ConfigError
    from naslib_anb.targets import get_target

    if not 0 < args.fraction < 1:
        raise ConfigError(f"--fraction must be in (0, 1), got {args.fraction}")
    res = measure([get_target(t).name for t in args.targets.split(",")], args.fraction, args.samples, data=args.data)
    print(f"{'target':18s} {'split':14s} {'median d':>8s} {'rms error':>10s}")
    for t, r in res.items():
        for n, v in r["splits"].items():
            print(f"{t:18s} {n:14s} {v['median_distance']:8.1f} {v['rms']:10.4g}")
    print(f"\n{'target':18s} {'c (full)':>9s} {'rho (full)':>10s} {'c (pooled)':>10s} {'rho (pooled)':>12s}")
    for t, r in res.items():
        print(f"{t:18s} {r['full']['distance_slope']:9.3g} {r['full']['spearman']:10.3f} "
              f"{r['pooled']['distance_slope']:10.3g} {r['pooled']['spearman']:12.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
