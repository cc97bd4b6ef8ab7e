"""Query speed of the shipped surrogate benchmark, against an upstream-faithful baseline per target.

Prints: all targets for 1,000 architectures, one architecture for all targets, one
architecture for one target (median ms over repeats); then, per target, an upstream-faithful
baseline measured in the same run: upstream's tuned XGBoost hyperparameters for that target
(up to 20,000 rounds, early stopping on the upstream val split), fitted on the 28-int ordinal
encoding and queried as upstream's ensemble does (10 members, each through its own
``DMatrix``; the members are one booster queried 10 times, which costs what 10 boosters of
that size cost), against ``bench.query`` for that target. ``--fit`` also times
``naslib-anb fit`` of every target without the std calibration (minutes).

    python benchmarks/bench_query.py [--threads 2] [--baseline-members 10] [--baseline-rounds 20000] [--fit]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time


def _median_ms(fn, repeat: int) -> float:
    fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=20)
    ap.add_argument("--baseline-members", type=int, default=10, help="members of upstream's ensemble")
    ap.add_argument("--baseline-rounds", type=int, default=20000,
                    help="cap on boosting rounds (upstream: 20,000 with early stopping)")
    ap.add_argument("--targets", nargs="+", default=None, help="baseline targets (default: all 11)")
    ap.add_argument("--baseline-cache", default=None,
                    help="directory to keep fitted baseline boosters in and reuse them from (fitting is slow)")
    ap.add_argument("--data", default=None)
    ap.add_argument("--fit", action="store_true", help="also time fitting every target (slow)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    os.environ["OMP_NUM_THREADS"] = str(args.threads)

    import numpy as np
    import xgboost as xgb

    from naslib_anb.benchmark import load_benchmark
    from naslib_anb.space import EFFICIENTNET_B0, ordinal, sample
    from naslib_anb.surrogates import make_estimator
    from naslib_anb.surrogates._data import xy

    t0 = time.perf_counter()
    bench = load_benchmark()
    load_s = time.perf_counter() - t0
    archs = sample(0, 1000)
    one = [EFFICIENTNET_B0]
    res = {"threads": args.threads, "load_benchmark_s": round(load_s, 3)}
    res["ours_1000_all_ms"] = _median_ms(lambda: bench.query_all(archs), args.repeat)
    res["ours_1_all_ms"] = _median_ms(lambda: bench.query_all(one), args.repeat * 10)
    res["ours_1_one_ms"] = _median_ms(lambda: bench.query(EFFICIENTNET_B0, "val_top1"), args.repeat * 50)

    # upstream-faithful baseline, per target: upstream's tuned XGBoost hyperparameters for THAT
    # target (accel_nasbench.md 3.3), fitted on upstream's 28-int ordinal encoding of train with
    # early stopping on val, queried as upstream's ensemble does: every member through a DMatrix
    from naslib_anb.data import load_dataset
    from naslib_anb.surrogates._registry import preset_params
    from naslib_anb.targets import TARGETS

    ds = load_dataset(args.data)
    sp = ds.default_split()
    X1000 = ordinal(archs).astype(np.float32)
    X1 = ordinal(one).astype(np.float32)
    targets = args.targets or list(TARGETS)
    res["baseline_members"] = args.baseline_members
    per = {}
    for t in targets:
        p = preset_params("xgb", t, preset="upstream")
        params = {"objective": "reg:squarederror", "eval_metric": "rmse", "tree_method": "hist",
                  "eta": p["learning_rate"], "max_depth": p["max_depth"], "min_child_weight": p["min_child_weight"],
                  "colsample_bytree": p["colsample_bytree"], "colsample_bylevel": p["colsample_bylevel"],
                  "lambda": p["reg_lambda"], "alpha": p["reg_alpha"], "seed": 1, "nthread": args.threads,
                  "verbosity": 0}
        cached = os.path.join(args.baseline_cache, f"{t}.ubj") if args.baseline_cache else None
        if cached and os.path.exists(cached):  # a baseline fitted by an earlier run, same settings
            booster = xgb.Booster()
            booster.load_model(cached)
            booster.set_param({"nthread": args.threads})
            fit_s = float(booster.attr("fit_s") or "nan")
        else:
            tr_a, tr_y = xy(sp.train, t)
            va_a, va_y = xy(sp.val, t)
            t0 = time.perf_counter()
            booster = xgb.train(params, xgb.DMatrix(ordinal(tr_a).astype(np.float32), label=tr_y),
                                num_boost_round=min(args.baseline_rounds, p["n_estimators"]),
                                evals=[(xgb.DMatrix(ordinal(va_a).astype(np.float32), label=va_y), "val")],
                                early_stopping_rounds=p["early_stopping_rounds"], verbose_eval=False)
            booster = booster[: booster.best_iteration + 1]
            fit_s = time.perf_counter() - t0
            if cached:
                os.makedirs(args.baseline_cache, exist_ok=True)
                booster.set_attr(fit_s=str(round(fit_s, 1)))
                booster.save_model(cached)

        def base_query(X, booster=booster):  # one target: K members, each through its own DMatrix
            preds = [booster.predict(xgb.DMatrix(X, nthread=args.threads)) for _ in range(args.baseline_members)]
            return np.mean(preds, axis=0), np.std(preds, axis=0)

        row = {"trees": booster.num_boosted_rounds(), "depth": p["max_depth"], "fit_s": round(fit_s, 1),
               "baseline_1000_ms": _median_ms(lambda: base_query(X1000), max(3, args.repeat // 5)),
               "baseline_1_ms": _median_ms(lambda: base_query(X1), args.repeat),
               "ours_1000_ms": _median_ms(lambda t=t: bench.query(archs, t), args.repeat),
               "ours_1_ms": _median_ms(lambda t=t: bench.query(EFFICIENTNET_B0, t), args.repeat * 10)}
        row["speedup_1000"] = row["baseline_1000_ms"] / row["ours_1000_ms"]
        row["speedup_1"] = row["baseline_1_ms"] / row["ours_1_ms"]
        per[t] = row
        print(f"baseline {t}: {row['trees']} trees of depth {row['depth']}, fitted in {row['fit_s']} s",
              file=sys.stderr, flush=True)
    res["per_target"] = per
    if set(targets) == set(TARGETS):
        res["baseline_1000_all_ms"] = sum(r["baseline_1000_ms"] for r in per.values())
        res["baseline_1_all_ms"] = sum(r["baseline_1_ms"] for r in per.values())
        res["speedup_1000_all"] = res["baseline_1000_all_ms"] / res["ours_1000_all_ms"]
        res["speedup_1_all"] = res["baseline_1_all_ms"] / res["ours_1_all_ms"]

    if args.fit:
        from naslib_anb.cli.main import main as cli

        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            cli(["fit", "--out", os.path.join(tmp, "m"), "--threads", str(args.threads), "--no-eval",
                 "--calibration-folds", "0"]
                + (["--data", args.data] if args.data else []))
            res["fit_all_s"] = round(time.perf_counter() - t0, 1)  # without the std calibration fits

    if args.json:
        print(json.dumps(res, indent=2))
    else:
        for key, v in res.items():
            if key == "per_target":
                continue
            print(f"{key:22s} {v:.3f}" if isinstance(v, float) else f"{key:22s} {v}")
        print(f"{'target':18s} {'trees':>6s} {'depth':>5s} {'base 1000':>10s} {'ours 1000':>10s} {'x':>8s} "
              f"{'base 1':>9s} {'ours 1':>8s} {'x':>8s}")
        for t, r in res["per_target"].items():
            print(f"{t:18s} {r['trees']:6d} {r['depth']:5d} {r['baseline_1000_ms']:8.1f}ms {r['ours_1000_ms']:8.3f}ms "
                  f"{r['speedup_1000']:8.0f} {r['baseline_1_ms']:7.2f}ms {r['ours_1_ms']:6.3f}ms {r['speedup_1']:8.0f}")
        print(f"speed bar: 1000 archs all targets <= 50 ms: {res['ours_1000_all_ms']:.2f} ms; "
              f"1 arch all targets <= 2 ms: {res['ours_1_all_ms']:.3f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
