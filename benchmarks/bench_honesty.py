"""How the shipped surrogates behave where optimizers go: off the data.

Prints, per target:

* extrapolation: over uniform samples of the space, the largest and smallest prediction
  relative to the measured maximum and minimum (bars: GPU throughput <= 1.15x the measured
  maximum; every target within [0.5, 1.5]x its measured range);
* monotonicity (device targets): the share of seeded one-step-bigger neighbours (one more
  layer, larger expansion or kernel, SE on) that are not predicted faster (bar: >= 99 %);
* calibration: the share of the default test split inside the 68 % and 95 % Gaussian
  intervals of ``std=True`` (bars: 60-76 % and 90-98 %; the std was calibrated on validation),
  and the same on the split's fastest third by measured value for the device targets (bars,
  throughput: at least 60 % and 90 %; latencies are shown without a bar);
* Spearman of the predictive std with ``nearest_measured`` over uniform samples (bar: >= 0.3),
  and its ceiling: the same with the distance slope ``c`` taken to infinity (epistemic std
  proportional to the distance times its other terms), the most any slope can give, and
  the same Spearman for the std in the space the model is fitted in (std divided by the
  transform's slope ``g``: ms per image for throughput), and the mean Spearman within tenths
  of the samples by predicted value ("at equal value"): whether the std grows away from the
  data among samples predicted about equally fast, whatever it does across values.

With ``--shape``, also per throughput target and sixth of the test split by measured value:
the RMS relative error, the median predictive std relative to the prediction, and the RMS of
error / std (about 1 in every sixth where the std has the errors' shape).

    python benchmarks/bench_honesty.py [--samples 100000] [--pairs 100000] [--spearman-samples 20000] [--shape] [--json]
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import sys

# the coverage bands are the ones the calibration aims for
from naslib_anb.surrogates._calibration import FAST_MIN68, FAST_MIN95, within_bands

#: the issue's bars
GPU_CAP = 1.15
RANGE = (0.5, 1.5)
MONOTONE_MIN = 0.99
SPEARMAN_MIN = 0.3


def measure(samples: int = 100_000, pairs: int = 100_000, spearman_samples: int = 20_000, seed: int = 0,
            data=None, model_dir=None) -> dict:
    import numpy as np
    from scipy.stats import spearmanr
    from tqdm import tqdm

    from naslib_anb.benchmark import load_benchmark
    from naslib_anb.data import load_dataset
    from naslib_anb.space import sample
    from naslib_anb.space.support import nearest_measured
    from naslib_anb.surrogates._data import usable
    from naslib_anb.surrogates._encoding import stage_codes
    from naslib_anb.surrogates._monotone import bigger_neighbours, faster_share
    from naslib_anb.surrogates._transforms import transform_slope
    from naslib_anb.targets import TARGETS

    bench = load_benchmark(model_dir=model_dir)
    ds = load_dataset(data)
    test = list(ds.default_split().test)
    archs = sample(seed, samples)
    codes = stage_codes(archs)
    small = stage_codes(sample(seed + 1, pairs))
    big, _ = bigger_neighbours(small, seed)
    sp_archs = archs[:spearman_samples]
    dist = nearest_measured(sp_archs)
    sp_std = bench.query_all(sp_archs, std=True)
    sp_codes, sp_train_dist = stage_codes(sp_archs), bench.training_distance(sp_archs)
    out = {}
    for t in tqdm(bench.targets, desc="bench_honesty", unit="target", file=sys.stderr):
        ens = bench.models.ensembles[t]
        measured = ds.values(t)
        measured = measured[np.isfinite(measured)]
        if t == "train_time":
            measured = measured[measured <= bench.manifest.get("train_time_outlier_s", np.inf)]
        pred, _ = ens.predict_codes(codes)
        row = {"max_over_measured_max": float(pred.max() / measured.max()),
               "min_over_measured_min": float(pred.min() / measured.min())}
        row["in_range"] = bool(row["min_over_measured_min"] >= RANGE[0] and row["max_over_measured_max"] <= RANGE[1])
        if t in ("throughput_a100", "throughput_3090"):
            row["gpu_cap_met"] = bool(row["max_over_measured_max"] <= GPU_CAP)
        metric = TARGETS[t].metric
        if metric in ("throughput", "latency"):
            m0, _ = ens.predict_codes(small)
            m1, _ = ens.predict_codes(big)
            row["monotone_share"] = 1.0 - faster_share(m0, m1, metric == "throughput")
            row["monotone_met"] = bool(row["monotone_share"] >= MONOTONE_MIN)
        recs, _ = usable(test, t)
        y = np.asarray([r.value(t) for r in recs])
        row.update(coverage_row(y, *bench.query([r.arch for r in recs], t, std=True), metric))
        s = sp_std[t][1]
        row["spearman_std_distance"] = float(spearmanr(s, dist)[0])
        row["spearman_met"] = bool(row["spearman_std_distance"] >= SPEARMAN_MIN)
        cal = bench.calibration(t)
        if cal is not None:
            steep = dataclasses.replace(cal, distance_slope=1e9)
            row["spearman_ceiling"] = float(spearmanr(steep.total(*ens.predict_codes(sp_codes), sp_train_dist), dist)[0])
            slope = transform_slope(cal.transform, sp_std[t][0])
            row["spearman_fitted_space"] = float(spearmanr(s / slope, dist)[0])
        row["spearman_at_equal_value"] = spearman_at_equal_value(s, dist, sp_std[t][0])
        out[t] = row
    return out


def coverage_row(y, mean, sd, metric: str) -> dict:
    """Test coverage of the 68 % and 95 % intervals, and for device targets that of the fastest third."""
    from naslib_anb.surrogates._calibration import coverage, fastest

    c68, c95 = coverage(y - mean, sd)
    row = {"coverage_68": c68, "coverage_95": c95, "coverage_met": within_bands(c68, c95)}
    if metric in ("throughput", "latency"):
        fast = fastest(y, higher_is_faster=metric == "throughput")
        f68, f95 = coverage((y - mean)[fast], sd[fast])
        row.update(fast_n=int(fast.sum()), fast_coverage_68=f68, fast_coverage_95=f95)
        if metric == "throughput":
            row["fast_coverage_met"] = bool(f68 >= FAST_MIN68 and f95 >= FAST_MIN95)
    return row


def error_shape(data=None, model_dir=None, parts: int = 6) -> dict:
    """Per throughput target and equal-count part of the test split by measured value: median
    value, RMS relative error, median std / prediction and RMS error / std."""
    import numpy as np

    from naslib_anb.benchmark import load_benchmark
    from naslib_anb.data import load_dataset
    from naslib_anb.surrogates._data import usable
    from naslib_anb.targets import TARGETS

    bench = load_benchmark(model_dir=model_dir)
    test = list(load_dataset(data).default_split().test)
    out = {}
    for t in (t for t in bench.targets if TARGETS[t].metric == "throughput"):
        recs, _ = usable(test, t)
        y = np.asarray([r.value(t) for r in recs])
        mean, sd = bench.query([r.arch for r in recs], t, std=True)
        rel, z = (y - mean) / mean, (y - mean) / sd
        out[t] = [{"value": float(np.median(y[g])), "rms_relative_error": float(np.sqrt(np.mean(rel[g] ** 2))),
                   "median_relative_std": float(np.median((sd / mean)[g])), "rms_z": float(np.sqrt(np.mean(z[g] ** 2)))}
                  for g in np.array_split(np.argsort(y, kind="stable"), parts)]
    return out


def spearman_at_equal_value(std, dist, value, groups: int = 10) -> float:
    """Mean Spearman of ``std`` with ``dist`` within equal-count groups of ``value``."""
    import numpy as np
    from scipy.stats import spearmanr

    order = np.argsort(value, kind="stable")
    return float(np.mean([spearmanr(std[g], dist[g])[0] for g in np.array_split(order, groups)]))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--samples", type=int, default=100_000, help="uniform samples for the extrapolation check")
    ap.add_argument("--pairs", type=int, default=100_000, help="neighbour pairs for the monotonicity check")
    ap.add_argument("--spearman-samples", type=int, default=20_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--data", default=None)
    ap.add_argument("--models", default=None, help="model directory (default: shipped)")
    ap.add_argument("--shape", action="store_true", help="also the error and std shape per sixth of the test split")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    res = measure(args.samples, args.pairs, args.spearman_samples, args.seed, args.data, args.models)
    shape = error_shape(args.data, args.models) if args.shape else None
    if args.json:
        print(json.dumps(res if shape is None else {"bars": res, "shape": shape}, indent=2))
        return 0
    print(f"{'target':18s} {'max/meas':>8s} {'min/meas':>8s} {'monotone':>8s} {'cov68':>6s} {'cov95':>6s} "
          f"{'fast68':>6s} {'fast95':>6s} {'rho(std,d)':>10s} {'ceiling':>7s} {'fitted':>6s} {'eq.value':>8s}  bars met")
    for t, r in res.items():
        mono = f"{100 * r['monotone_share']:.2f}%" if "monotone_share" in r else "-"
        missed = [k.removesuffix("_met") for k, v in r.items() if (k.endswith("_met") or k == "in_range") and not v]
        met = not missed
        fast = (f"{100 * r['fast_coverage_68']:5.1f}% {100 * r['fast_coverage_95']:5.1f}%" if "fast_coverage_68" in r
                else f"{'-':>6s} {'-':>6s}")
        print(f"{t:18s} {r['max_over_measured_max']:8.3f} {r['min_over_measured_min']:8.3f} {mono:>8s} "
              f"{100 * r['coverage_68']:5.1f}% {100 * r['coverage_95']:5.1f}% {fast} {r['spearman_std_distance']:10.3f} "
              f"{r.get('spearman_ceiling', float('nan')):7.3f} {r.get('spearman_fitted_space', float('nan')):6.3f} "
              f"{r['spearman_at_equal_value']:8.3f}  "
              f"{'yes' if met else 'NO: ' + ', '.join(missed)}")  # which bar each row misses
    if shape is not None:
        print(f"\n{'target':18s} {'sixth':>5s} {'median':>8s} {'rms rel err':>11s} {'std/pred':>8s} {'rms z':>6s}")
        for t, rows in shape.items():
            for i, r in enumerate(rows, 1):
                print(f"{t:18s} {i:5d} {r['value']:8.0f} {100 * r['rms_relative_error']:10.2f}% "
                      f"{100 * r['median_relative_std']:7.2f}% {r['rms_z']:6.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
