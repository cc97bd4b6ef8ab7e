"""Why the VCK190 throughput model fits a power of the time per image, and how its transform was chosen.

Three parts, all on upstream train+val (the test split is printed for the record only):

1. **The curve.** The DPU's time per image against its single-thread latency (a stage-additive
   target): the slope and R2 of the log-log fit, and the R2 of an isotonic map (any monotone curve).
2. **The grid.** XGBoost members (stage-additive, made monotone in size) fitted on the upstream
   train part in the space of ``satinv<p>@<ceiling>pow<q>`` and scored on the upstream val part
   (Kendall tau, R2 in img/s, and the share of seeded one-step-bigger neighbours not predicted
   faster), beside the stage-pair ``inv`` model shipped before, as fitted and with the monotone
   correction. The pick is the highest validation R2 (ties: KT).
3. **Held-out folds.** The pick and the stage-pair model, each fitted like the shipped ensemble
   (``KFold(9)`` members over train+val), scored member by member on the fold each held out
   (pooled), and the ensemble on the test split.
4. **Off the data.** Where no throughput was measured, the shipped latency model (stage-additive,
   test R2 0.9997) read through the isotonic curve gives the throughput the measurements imply.
   The relative gap of each model of part 3 to it over uniform samples and for EfficientNet-B0,
   beside the same gap for the measured test records (the curve's own scatter).

    python benchmarks/bench_latency_transform.py [--target throughput_vck190 --latency latency_vck190]
"""
from __future__ import annotations

import argparse
import itertools
import sys

BEFORE = {"inv, pair (before)": dict(transform="inv", interaction="pair", monotone="none"),
          "inv, pair, monotone": dict(transform="inv", interaction="pair", monotone="increasing"),
          "inv, stage, monotone": dict(transform="inv", interaction="stage", monotone="increasing")}


def _floats(text: str, name: str) -> tuple[float, ...]:
    from naslib_anb.errors import ConfigError

    try:
        vals = tuple(float(v) for v in text.split(","))
    except ValueError:
        raise ConfigError(f"{name} must be comma-separated positive numbers, got {text!r}") from None
    if not vals or any(v <= 0 for v in vals):
        raise ConfigError(f"{name} must be comma-separated positive numbers, got {text!r}")
    return vals


def transform_name(p: float, ceiling: float, q: float) -> str:
    return f"satinv{p:g}@{ceiling:g}pow{q:g}"


def _time_and_latency(records, target: str, latency: str):
    """Time per image (ms) and latency of the records that measured both."""
    import numpy as np

    pairs = np.asarray([(r.value(target), r.value(latency)) for r in records], dtype=np.float64)
    pairs = pairs[np.isfinite(pairs).all(axis=1) & (pairs > 0).all(axis=1)]
    return 1000.0 / pairs[:, 0], pairs[:, 1]


def _isotonic_curve(records, target: str, latency: str):
    """Time per image (ms) as a monotone function of the latency, fitted on ``records``."""
    from sklearn.isotonic import IsotonicRegression

    t, lat = _time_and_latency(records, target, latency)
    return IsotonicRegression(out_of_bounds="clip").fit(lat, t)


def curve(records, target: str, latency: str) -> dict:
    import numpy as np

    t, lat = _time_and_latency(records, target, latency)

    def r2(pred):
        return float(1 - np.var(t - pred) / np.var(t))

    slope, icpt = np.polyfit(np.log(lat), np.log(t), 1)
    return {"n": int(len(t)), "loglog_slope": float(slope), "loglog_r2": r2(np.exp(icpt) * lat ** slope),
            "linear_r2": r2(np.polyval(np.polyfit(lat, t, 1), lat)),
            "isotonic_r2": r2(_isotonic_curve(records, target, latency).predict(lat))}


def measure(target: str = "throughput_vck190", latency: str = "latency_vck190", ps=(2.0, 3.0, 4.0),
            ceilings=(4600.0, 4700.0, 4940.0), qs=(1.0, 0.9, 0.8), members: int = 5, pairs: int = 20_000,
            heldout: bool = True, samples: int = 20_000, data=None) -> dict:
    import numpy as np

    from naslib_anb.data import load_dataset
    from naslib_anb.space import sample
    from naslib_anb.surrogates._data import xy
    from naslib_anb.surrogates._encoding import stage_codes
    from naslib_anb.surrogates._fit import FitConfig, fit_ensemble, member_folds
    from naslib_anb.surrogates._metrics import regression_metrics
    from naslib_anb.surrogates._monotone import bigger_neighbours, faster_share
    from naslib_anb.targets import get_target

    target, latency = get_target(target).name, get_target(latency).name
    sp = load_dataset(data).default_split()
    train, val, test = list(sp.train), list(sp.val), list(sp.test)
    small = stage_codes(sample(1001, pairs))
    big, _ = bigger_neighbours(small, 1001)

    def not_faster(ens) -> float:  # through the compiled float64 tables, as queries are answered
        return 1.0 - faster_share(ens.predict_codes(small)[0], ens.predict_codes(big)[0], higher_is_faster=True)

    def cfg(ov, n_folds=9):
        return FitConfig(family="xgb", targets=(target,), members=members, n_folds=n_folds, n_jobs=1,
                         calibration_folds=0, overrides=ov)

    va_archs, va_y = xy(val, target)
    grid = {}
    candidates = dict(BEFORE)
    candidates.update({transform_name(p, c, q): dict(transform=transform_name(p, c, q), interaction="stage",
                                                    monotone="increasing")
                       for p, c, q in itertools.product(ps, ceilings, qs)})
    for label, ov in candidates.items():
        ens, _ = fit_ensemble(train, target, cfg(ov))
        m = regression_metrics(va_y, ens.predict(va_archs))
        grid[label] = {"kendall_tau": m["kendall_tau"], "r2": m["r2"], "not_faster": not_faster(ens)}
    pick = max((k for k in grid if k not in BEFORE), key=lambda k: (round(grid[k]["r2"], 4), grid[k]["kendall_tau"]))
    out = {"curve": curve(train + val, target, latency), "grid": grid, "pick": pick}
    if heldout:
        trainval = train + val
        archs, y = xy(trainval, target)
        codes = stage_codes(archs)
        te_archs, te_y = xy(test, target)
        folds = member_folds(len(y), members, 9, 0)
        from naslib_anb import EFFICIENTNET_B0
        from naslib_anb.benchmark import load_benchmark

        bench = load_benchmark()
        curve_tv = _isotonic_curve(trainval, target, latency)
        uniform = sample(2024, samples)
        implied = 1000.0 / curve_tv.predict(bench.query(uniform, latency))
        b0_latency = float(bench.query([EFFICIENTNET_B0], latency)[0])
        b0_implied = 1000.0 / curve_tv.predict([b0_latency])[0]
        # measured architectures whose latency is within 0.1 ms of B0's predicted one
        alike = np.asarray([r.value(target) for r in trainval if r.value(target) is not None
                            and r.value(latency) is not None and abs(r.value(latency) - b0_latency) < 0.1])
        measured = [r for r in test if r.value(target) is not None and r.value(latency) is not None]
        scatter = np.abs(np.asarray([r.value(target) for r in measured])
                         * curve_tv.predict(np.asarray([r.value(latency) for r in measured])) / 1000.0 - 1)
        out["off_data"] = {"samples": int(samples), "b0_implied": float(b0_implied), "b0_latency": b0_latency,
                           "b0_alike": {"n": int(len(alike)),
                                        "quantiles_10_50_90": np.quantile(alike, [0.1, 0.5, 0.9]).tolist()
                                        if len(alike) else []},
                           "test_scatter_median": float(np.median(scatter)),
                           "test_scatter_p95": float(np.quantile(scatter, 0.95))}
        out["heldout"] = {}
        for label in ("inv, pair (before)", pick):
            ens, _ = fit_ensemble(trainval, target, cfg(candidates[label]))
            gap = np.abs(ens.predict(uniform) / implied - 1)
            out["off_data"][label] = {"median": float(np.median(gap)), "p95": float(np.quantile(gap, 0.95)),
                                      "b0": float(ens.predict([EFFICIENTNET_B0])[0])}
            oy = np.concatenate([y[va] for _, va in folds])
            op = np.concatenate([m.predict_codes(codes[va]) for m, (_, va) in zip(ens.members, folds)])
            oof, on_test = regression_metrics(oy, op), regression_metrics(te_y, ens.predict(te_archs))
            out["heldout"][label] = {"oof_kendall_tau": oof["kendall_tau"], "oof_r2": oof["r2"],
                                     "test_kendall_tau": on_test["kendall_tau"], "test_r2": on_test["r2"],
                                     "not_faster": not_faster(ens)}
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--target", default="throughput_vck190")
    ap.add_argument("--latency", default="latency_vck190", help="the stage-additive target the time follows")
    ap.add_argument("--p", default="2,3,4", help="saturation exponents to try")
    ap.add_argument("--ceilings", default="4600,4700,4940", help="ceilings (img/s) to try")
    ap.add_argument("--q", default="1,0.9,0.8", help="powers of the time to try")
    ap.add_argument("--members", type=int, default=5)
    ap.add_argument("--pairs", type=int, default=20_000, help="neighbour pairs for the monotonicity share")
    ap.add_argument("--samples", type=int, default=20_000, help="uniform samples for part 4")
    ap.add_argument("--no-heldout", action="store_true", help="skip parts 3 and 4")
    ap.add_argument("--data", default=None)
    args = ap.parse_args(argv)
    from naslib_anb.errors import ConfigError

    if args.samples < 1:
        raise ConfigError(f"--samples must be >= 1, got {args.samples}")
    if args.members < 1 or args.members > 9:
        raise ConfigError(f"--members must be in 1..9 (member i holds out fold i of KFold(9)), got {args.members}")
    res = measure(args.target, args.latency, _floats(args.p, "--p"), _floats(args.ceilings, "--ceilings"),
                  _floats(args.q, "--q"), args.members, args.pairs, not args.no_heldout, args.samples, args.data)
    c = res["curve"]
    print(f"time per image vs {args.latency} over {c['n']} train+val records: log-log slope {c['loglog_slope']:.3f} "
          f"(R2 {c['loglog_r2']:.4f}), linear R2 {c['linear_r2']:.4f}, isotonic R2 {c['isotonic_r2']:.4f}")
    print(f"\n{'candidate (upstream train -> val)':36s} {'KT':>7s} {'R2':>7s} {'not faster':>10s}")
    for label, r in res["grid"].items():
        mark = "  <- pick" if label == res["pick"] else ""
        print(f"{label:36s} {r['kendall_tau']:.4f} {r['r2']:.4f} {100 * r['not_faster']:9.2f}%{mark}")
    if "heldout" in res:
        print(f"\n{'model (KFold(9) members)':36s} {'held-out KT / R2':>17s} {'test KT / R2':>15s} {'not faster':>10s}")
        for label, r in res["heldout"].items():
            print(f"{label:36s} {r['oof_kendall_tau']:.4f} / {r['oof_r2']:.4f} {r['test_kendall_tau']:.4f} / "
                  f"{r['test_r2']:.4f} {100 * r['not_faster']:9.2f}%")
        o = res["off_data"]
        print(f"\noff the data: |predicted / implied by the {args.latency} model through the curve - 1| over "
              f"{o['samples']} uniform samples (EfficientNet-B0: implied {o['b0_implied']:.0f} img/s)")
        print(f"{'model':36s} {'median':>7s} {'p95':>7s} {'B0 img/s':>9s}")
        for label in res["heldout"]:
            print(f"{label:36s} {100 * o[label]['median']:6.2f}% {100 * o[label]['p95']:6.2f}% {o[label]['b0']:9.0f}")
        print(f"{'measured test records (the curve)':36s} {100 * o['test_scatter_median']:6.2f}% "
              f"{100 * o['test_scatter_p95']:6.2f}%")
        al = o["b0_alike"]
        if al["n"]:
            q10, q50, q90 = al["quantiles_10_50_90"]
            print(f"EfficientNet-B0: predicted {args.latency} {o['b0_latency']:.3f}; the {al['n']} train+val records "
                  f"within 0.1 of it measure {q50:.0f} img/s (10-90 %: {q10:.0f}-{q90:.0f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
