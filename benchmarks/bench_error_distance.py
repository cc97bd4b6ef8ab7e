"""Does a surrogate's error grow with the distance to its training data? A buffered leave-out.

A distance term in the predictive std is honest only where errors far from the measured
architectures are larger than near them. Uniform samples of the space sit 5-9 decisions
from the nearest measured architecture, so that is the range that matters. Each repetition
holds out a seeded set of measured architectures (train+val of the default split) and
refits the target's ensemble, as shipped but with fewer members, without them:

* ``buffer 1``: only the held-out records are left out (their natural distances, mostly 5-8);
* ``buffer r``: every training record closer than ``r`` decisions to a held-out one is left
  out too, so the held-out records sit at least ``r`` decisions from the training data
  (spatial block cross-validation with a buffer zone);
* ``random n``: a control. A buffer also shrinks the training set, so this arm refits on a
  random subset as large as the widest buffer's, without a buffer. What the widest buffer
  adds to its error beyond this arm is the effect of distance itself.

The splits are the std calibration's own (``buffered_splits`` in
``naslib_anb/surrogates/_fit.py``, which ``naslib-anb fit --calibration-buffer-reps`` uses),
with a buffer of 1 added, and so are the errors (``out_of_sample``, which fits and scores each split as
the calibration does). Printed per arm: training records, median distance of the held-out records to them, RMS and
median absolute error (target units), and the median error relative to ``buffer 1``; then
Spearman(|error|, distance) within ``buffer 1``.

    python benchmarks/bench_error_distance.py [--targets val_top1,throughput_a100] [--radii 10,12]
        [--reps 10] [--held-out 40] [--members 3] [--seed 0]
"""
from __future__ import annotations

import argparse
import sys

DEFAULT_TARGETS = "val_top1,train_time,throughput_a100,throughput_tpuv3,latency_zcu102"  # the table in docs/surrogates.md


def measure(targets, radii=(10, 12), reps: int = 10, held_out: int = 40, members: int = 3, seed: int = 0,
            data=None) -> dict:
    import numpy as np
    from scipy.stats import spearmanr
    from tqdm import tqdm

    from naslib_anb.benchmark import load_benchmark
    from naslib_anb.data import load_dataset
    from naslib_anb.errors import ConfigError
    from naslib_anb.surrogates._data import usable
    from naslib_anb.surrogates._fit import FitConfig, buffered_splits, out_of_sample

    bench = load_benchmark()
    sp = load_dataset(data).default_split()
    trainval = list(sp.train) + list(sp.val)
    radii = sorted(int(r) for r in radii)
    out = {}
    for t in targets:
        recs, _ = usable(trainval, t)
        if held_out >= len(recs) // 2:
            raise ConfigError(f"--held-out must be below half the {len(recs)} usable {t} records, got {held_out}")
        cfg = FitConfig(targets=(t,), members=members, n_folds=max(members, 9), seed=bench.manifest["config"]["seed"],
                        n_jobs=1, calibration_folds=0)
        shared = bench.models.ensembles[t].shared_by_family()
        # the calibration's own splits, plus a buffer of 1 (only the held-out records left out)
        splits = buffered_splits(recs, reps, seed, radii=(1, *radii), held_out=held_out)
        arms: dict[str, dict[str, list]] = {}
        for split in tqdm(splits, desc=f"bench_error_distance {t}", unit="refit"):  # ~1 s per refit
            arm = split[0].rsplit("_", 1)[0].replace("buffer", "buffer ").replace("control", "random n")
            oos = out_of_sample(recs, t, cfg, [split], shared)
            a = arms.setdefault(arm, {"err": [], "distance": [], "n_train": []})
            a["err"].append(oos["err"])
            a["distance"].append(oos["distance"])
            a["n_train"].append(len(split[1]))
        rows = {}
        base = None
        for arm, a in arms.items():
            err, dist = np.concatenate(a["err"]), np.concatenate(a["distance"])
            row = {"n_train": float(np.median(a["n_train"])), "median_distance": float(np.median(dist)),
                   "rms": float(np.sqrt(np.mean(err ** 2))), "median_abs": float(np.median(np.abs(err)))}
            base = base if base is not None else row["median_abs"]
            row["ratio"] = row["median_abs"] / base
            rows[arm] = row
        near = arms["buffer 1"]
        rho = spearmanr(np.abs(np.concatenate(near["err"])), np.concatenate(near["distance"]))[0]
        out[t] = {"arms": rows, "spearman_error_distance": float(rho)}
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--targets", default=DEFAULT_TARGETS)
    ap.add_argument("--radii", default="10,12", help="buffer widths in decisions, each >= 2")
    ap.add_argument("--reps", type=int, default=10)
    ap.add_argument("--held-out", type=int, default=40)
    ap.add_argument("--members", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--data", default=None)
    args = ap.parse_args(argv)
    from naslib_anb.errors import ConfigError
    from naslib_anb.targets import get_target

    try:
        radii = [int(r) for r in args.radii.split(",")]
    except ValueError:
        raise ConfigError(f"--radii must be comma-separated ints, got {args.radii!r}") from None
    if any(not 2 <= r <= 28 for r in radii):
        raise ConfigError(f"--radii must lie in 2..28 (decisions), got {args.radii!r}")
    for name in ("reps", "held_out", "members"):
        if getattr(args, name) < 1:
            raise ConfigError(f"--{name.replace('_', '-')} must be >= 1, got {getattr(args, name)}")
    res = measure([get_target(t).name for t in args.targets.split(",")], radii, args.reps, args.held_out,
                  args.members, args.seed, data=args.data)
    print(f"{'target':18s} {'arm':10s} {'n train':>8s} {'median d':>8s} {'rms':>10s} {'median |e|':>10s} {'ratio':>6s}")
    for t, r in res.items():
        for arm, v in r["arms"].items():
            print(f"{t:18s} {arm:10s} {v['n_train']:8.0f} {v['median_distance']:8.1f} {v['rms']:10.4g} "
                  f"{v['median_abs']:10.4g} {v['ratio']:6.2f}")
    print(f"\n{'target':18s} Spearman(|error|, distance) within 'buffer 1'")
    for t, r in res.items():
        print(f"{t:18s} {r['spearman_error_distance']:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
