"""What the monotone correction costs a device model, measured on its own members' held-out folds.

For each target, the shipped members are taken as fitted (the correction removed) and
compared with the two ways of making them monotone in size:

* ``as fitted``: no correction;
* ``main effects only``: the per-stage main effects made monotone, interactions left as they
  are (cheap, but not monotone: the interactions still break steps);
* ``monotone``: :func:`naslib_anb.surrogates._monotone.monotone_correction`, main effects
  made monotone and each stage's rise shared out as a budget the interactions may not exceed
  (monotone whatever the other stages are);
* ``envelope``: :mod:`naslib_anb.surrogates._envelope`, the mean of the closest monotone
  majorant and minorant, computed per query (only for models whose interactions all involve
  stage 0: ``star0`` or stage-additive; other models leave it out).

Accuracy is Kendall tau / R2 of each member on the fold it held out for early stopping
(``KFold(9, shuffle, 0)`` over upstream train+val; out-of-fold, never the test split),
pooled over members, and of the ensemble on the default test split (for the record only; the
choice is made on the held-out folds). Monotonicity is the share of seeded one-step-bigger
neighbours of uniform samples that the ensemble does not predict faster (by more than the
float32 rounding of the native members: a relative 1e-6).

    python benchmarks/bench_monotone.py [--targets throughput_3090,throughput_tpuv2] [--pairs 50000]
"""
from __future__ import annotations

import argparse
import sys

VARIANTS = ("as fitted", "main effects only", "monotone", "envelope")
#: the printed variant -> its name in naslib_anb.surrogates._envelope.VARIANTS
METHOD_OF = {"as fitted": "as fitted", "main effects only": "main effects only", "monotone": "table correction",
             "envelope": "envelope"}


def measure(targets, pairs: int = 50_000, seed: int = 1001, data=None) -> dict:
    import numpy as np

    from naslib_anb.data import load_dataset
    from naslib_anb.space import sample
    from naslib_anb.surrogates._data import usable, xy
    from naslib_anb.surrogates._encoding import stage_codes
    from naslib_anb.surrogates._fit import member_folds
    from naslib_anb.surrogates._metrics import regression_metrics
    from naslib_anb.surrogates._envelope import monotone_variants
    from naslib_anb.surrogates._monotone import FLOAT32_TIES, bigger_neighbours, faster_share
    from naslib_anb.surrogates._persist import load_target, read_manifest
    from naslib_anb.surrogates import default_model_dir
    from naslib_anb.surrogates._transforms import get_transform
    from naslib_anb.targets import TARGETS

    model_dir = default_model_dir()
    man = read_manifest(model_dir)
    cfg = man["config"]
    sp = load_dataset(data).default_split()
    trainval, test = list(sp.train) + list(sp.val), list(sp.test)
    small = stage_codes(sample(seed, pairs))
    big, _ = bigger_neighbours(small, seed)

    from tqdm import tqdm

    out = {}
    bar = tqdm(targets, desc="bench_monotone", unit="target")  # minutes per target: say where it is
    for t in bar:
        bar.set_postfix_str(t)
        ens = load_target(model_dir, t, man["targets"][t], native=True, compile=False)
        members = ens.members
        inv = get_transform(ens.transform).inverse
        archs, y = xy(trainval, t)
        codes = stage_codes(archs)
        folds = member_folds(len(y), cfg["members"], cfg["n_folds"], cfg["seed"])
        recs, _ = usable(test, t)
        yt = np.asarray([r.value(t) for r in recs])
        ct = stage_codes([r.arch for r in recs])
        variants = [monotone_variants(m, "increasing") for m in members]
        rows = {}
        for variant in VARIANTS:
            method = METHOD_OF[variant]
            if method not in variants[0]:  # interactions beyond stage 0: no envelope
                continue

            def predict(i, c):
                return inv(variants[i][method](c))

            oy, op = [], []
            for i in range(len(members)):
                va = folds[i % len(folds)][1]
                oy.append(y[va])
                op.append(predict(i, codes[va]))
            oy, op = np.concatenate(oy), np.concatenate(op)
            pt = np.mean([predict(i, ct) for i in range(len(members))], axis=0)
            m0 = np.mean([predict(i, small) for i in range(len(members))], axis=0)
            m1 = np.mean([predict(i, big) for i in range(len(members))], axis=0)
            # native members sum their trees in float32: a step the correction made flat must not
            # count as faster because of that rounding (the shipped tables are float64)
            faster = faster_share(m0, m1, TARGETS[t].metric == "throughput", rtol=FLOAT32_TIES)
            oof, on_test = regression_metrics(oy, op), regression_metrics(yt, pt)
            rows[variant] = {"oof_kendall_tau": oof["kendall_tau"], "oof_r2": oof["r2"],
                             "test_kendall_tau": on_test["kendall_tau"], "test_r2": on_test["r2"],
                             "not_faster": 1.0 - faster}
        out[t] = rows
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--targets", default="throughput_3090,throughput_tpuv2,throughput_tpuv3,throughput_vck190")
    ap.add_argument("--pairs", type=int, default=50_000)
    ap.add_argument("--data", default=None)
    args = ap.parse_args(argv)
    from naslib_anb.targets import get_target

    targets = [get_target(t).name for t in args.targets.split(",")]
    res = measure(targets, args.pairs, data=args.data)
    print(f"{'target':18s} {'variant':18s} {'held-out KT / R2':>17s} {'test KT / R2':>15s} {'not faster':>10s}")
    for t, rows in res.items():
        for v, r in rows.items():
            print(f"{t:18s} {v:18s} {r['oof_kendall_tau']:.4f} / {r['oof_r2']:.4f} "
                  f"{r['test_kendall_tau']:.4f} / {r['test_r2']:.4f} {100 * r['not_faster']:9.2f}%")
    return 0


if __name__ == "__main__":
    sys.exit(main())
