"""Query speed of the shipped surrogate benchmark, against an upstream-style baseline.

Prints: all targets for 1,000 architectures, one architecture for all targets, one
architecture for one target (median ms over repeats), and the same quantities for an
upstream-style baseline: the tuned depth-18 A100 XGBoost configuration (20,000 rounds,
early stopping), fitted once here (optionally capped with --baseline-rounds) and
queried per member through ``DMatrix`` as upstream does, extrapolated to 11 targets.
``--fit`` also times ``naslib-anb fit`` of every target (minutes).

    python benchmarks/bench_query.py [--threads 2] [--members 5] [--baseline-rounds 20000] [--fit]
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
    ap.add_argument("--members", type=int, default=None, help="baseline members (default: as shipped)")
    ap.add_argument("--baseline-rounds", type=int, default=20000)
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
    k = args.members or bench.models.ensembles["val_top1"].size
    res["members"] = k

    # upstream-style baseline: tuned A100 params, 20k rounds, predict via DMatrix, per member
    from naslib_anb.data import load_dataset

    ds = load_dataset(args.data)
    sp = ds.default_split()
    tr_a, tr_y = xy(sp.train, "throughput_a100")
    va_a, va_y = xy(sp.val, "throughput_a100")
    est = make_estimator("xgb", "throughput_a100", preset="upstream", n_jobs=args.threads,
                         n_estimators=args.baseline_rounds)
    t0 = time.perf_counter()
    est.fit(tr_a, tr_y, eval_set=(va_a, va_y))
    res["baseline_fit_s"] = round(time.perf_counter() - t0, 2)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "a100.ubj")
        est.model_.save_model(path)
        booster = xgb.Booster()
        booster.load_model(path)
        booster.set_param({"nthread": args.threads})
    res["baseline_trees"] = booster.num_boosted_rounds()
    X1000 = ordinal(archs)

    def base_query(X):  # one target: K members, each through a DMatrix, like upstream's ensemble
        preds = [booster.predict(xgb.DMatrix(X, nthread=args.threads)) for _ in range(k)]
        return np.mean(preds, axis=0), np.std(preds, axis=0)

    # features for the baseline model are the 42 stage features; same cost as upstream's 28
    from naslib_anb.surrogates._encoding import features_from_codes, stage_codes

    F1000 = features_from_codes(stage_codes(archs))
    F1 = features_from_codes(stage_codes(one))
    per_target_1000 = _median_ms(lambda: base_query(F1000), max(3, args.repeat // 5))
    per_target_1 = _median_ms(lambda: base_query(F1), args.repeat)
    res["baseline_1000_all_ms"] = per_target_1000 * 11
    res["baseline_1_all_ms"] = per_target_1 * 11
    res["baseline_1_one_ms"] = per_target_1
    res["speedup_1000_all"] = res["baseline_1000_all_ms"] / res["ours_1000_all_ms"]
    res["speedup_1_all"] = res["baseline_1_all_ms"] / res["ours_1_all_ms"]
    res["speedup_1_one"] = res["baseline_1_one_ms"] / res["ours_1_one_ms"]
    del X1000

    if args.fit:
        from naslib_anb.cli.main import main as cli

        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            cli(["fit", "--out", os.path.join(tmp, "m"), "--threads", str(args.threads), "--no-eval"]
                + (["--data", args.data] if args.data else []))
            res["fit_all_s"] = round(time.perf_counter() - t0, 1)

    if args.json:
        print(json.dumps(res, indent=2))
    else:
        for key, v in res.items():
            print(f"{key:22s} {v:.3f}" if isinstance(v, float) else f"{key:22s} {v}")
        print(f"speed bar: 1000 archs all targets <= 50 ms: {res['ours_1000_all_ms']:.2f} ms; "
              f"1 arch all targets <= 2 ms: {res['ours_1_all_ms']:.3f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
