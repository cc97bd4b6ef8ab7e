"""A simulated round of "measure where optimizers go" against "measure at random", on CPU.

    python benchmarks/bench_active_round.py [--oracle member:0] [--n 200] [--rounds 2] [--out FILE]

One benchmark variant plays the truth (the oracle). The world starts with the shipped
train+val architectures labelled by the oracle; a surrogate refitted on them (XGBoost with
the project's hyperparameters, ``--members`` members, for val_top1 and ``--device``'s
throughput) is what optimizers would search. Then, per round seed:

* proposed: ``propose`` (every other shipped member alone, not the oracle) picks ``--n``
  architectures, the oracle "measures" them, they join the training part through
  ``merge_collected`` (what ``fit --collected`` does), and the surrogate is refitted;
* random: ``--n`` uniformly random feasible, unmeasured architectures instead.

Each surrogate is then searched by rs, re and reinforce (``--eval-seeds`` seeds, ``--budget``
queries, accuracy and the MnasNet reward on the device). Reported per arm: the error of the
surrogate at the optimizers' optima (prediction - oracle, val_top1 in pts and throughput in %),
the oracle's val_top1 at the accuracy searches' optima (does the refit lead to better designs), the
optimizers' ranking against their ranking on the oracle itself (Kendall tau of the mean
best reward), and the surrogate's error on 5,000 uniform feasible architectures.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

OPTIMIZERS = ("rs", "re", "reinforce")


def log(msg: str, t0: list) -> None:
    print(f"[{time.perf_counter() - t0[0]:7.1f} s] {msg}", file=sys.stderr, flush=True)


def oracle_records(archs, oracle, prefix: str):
    """Records of ``archs`` whose every target is the oracle's prediction."""
    from naslib_anb.data.records import PERF_KEYS, Measurement, Record
    from naslib_anb.space.cost import arch_cost

    vals = oracle.query_all(list(archs))
    out = []
    for i, a in enumerate(archs):
        cost = arch_cost(a)
        perf = {k: Measurement(float(vals[k][i])) for k in PERF_KEYS if k in vals}
        out.append(Record(name=f"{prefix}_{a}", arch=a, val_top1=float(vals["val_top1"][i]),
                          val_top5=float(vals["val_top5"][i]), train_time=float(vals["train_time"][i]),
                          macs_m=cost.macs_m, params_m=cost.params_m, perf=perf))
    return out


def refit(trainval, targets, members: int, seed: int):
    """The surrogate of ``trainval``: XGBoost (anb preset) per target, no std calibration."""
    from naslib_anb.benchmark.surrogate import SurrogateBenchmark
    from naslib_anb.surrogates._fit import FitConfig, fit_model_set

    cfg = FitConfig(family="xgb", targets=tuple(targets), members=members, n_folds=max(members, 2), seed=seed,
                    n_jobs=1, calibration_folds=0)
    return SurrogateBenchmark(fit_model_set(trainval, cfg, progress=False), name="refit")


def random_new(n: int, seed: int, exclude: set):
    """``n`` distinct uniform feasible architectures, none measured, none in ``exclude``."""
    from naslib_anb.space import nearest_measured, sample

    rng, out, seen = np.random.default_rng(seed), [], set(exclude)
    while len(out) < n:
        batch = sample(rng, 4 * n)
        for a, d in zip(batch, nearest_measured(batch)):
            if d > 0 and str(a) not in seen and len(out) < n:
                seen.add(str(a))
                out.append(a)
    return out


def searches(bench, objectives, seeds: int, budget: int):
    """{(objective, optimizer): [(best reward, arch at it), ...] over seeds}."""
    from naslib_anb.optimizers import get_optimizer
    from naslib_anb.search.driver import run_loop
    from naslib_anb.search.propose import run_seed

    out = {}
    for o, obj in enumerate(objectives):
        for k, name in enumerate(OPTIMIZERS):
            runs = []
            for s in range(seeds):
                recs = run_loop(get_optimizer(name, seed=run_seed(12345, o, k, s)), bench, obj, budget)
                best = max(recs, key=lambda r: r.reward)
                runs.append((best.reward, best.arch))
            out[(o, name)] = runs
    return out


def evaluate(bench, oracle, objectives, truth_rank, args, uniform) -> dict:
    """Error at the optima, ranking agreement with the oracle, error on uniform architectures."""
    from scipy.stats import kendalltau

    found = searches(bench, objectives, args.eval_seeds, args.budget)
    optima = sorted({a for runs in found.values() for _, a in runs})
    acc_t, dev_t = "val_top1", objectives[-1].device_target
    pred, true = bench.query_all(optima, [acc_t, dev_t]), oracle.query_all(optima, [acc_t, dev_t])
    err_acc = pred[acc_t] - true[acc_t]
    err_dev = 100 * (pred[dev_t] / true[dev_t] - 1)
    taus = []
    for o in range(len(objectives)):
        means = [np.mean([r for r, _ in found[(o, n)]]) for n in OPTIMIZERS]
        taus.append(float(kendalltau(means, truth_rank[o])[0]))
    acc_optima = [a for n in OPTIMIZERS for _, a in found[(0, n)]]  # objective 0 is accuracy
    true_at_optima = float(np.mean(oracle.query(acc_optima, acc_t)))
    u_pred, u_true = bench.query_all(uniform, [acc_t]), oracle.query_all(uniform, [acc_t])
    return {"optima": len(optima), "acc_err_mean": float(err_acc.mean()), "acc_err_abs": float(np.abs(err_acc).mean()),
            "dev_err_pct_abs": float(np.abs(err_dev).mean()), "tau": taus,
            "oracle_top1_at_accuracy_optima": true_at_optima,
            "uniform_acc_mae": float(np.abs(u_pred[acc_t] - u_true[acc_t]).mean())}


def truth_ranking(oracle, objectives, args):
    """Per objective, the optimizers' mean best reward on the oracle itself."""
    found = searches(oracle, objectives, args.eval_seeds, args.budget)
    return [[float(np.mean([r for r, _ in found[(o, n)]])) for n in OPTIMIZERS] for o in range(len(objectives))]


def arms_for_round(seed: int, world: dict, args, t0: list) -> dict:
    """Refit with ``--n`` proposed and with ``--n`` random architectures; evaluate both."""
    from naslib_anb.search.propose import ProposeConfig, propose
    from naslib_anb.surrogates._collected import merge_collected

    cfg = ProposeConfig(n=args.n, seeds=args.propose_seeds, budget=args.propose_budget, devices=(args.device,),
                        seed=seed)
    plan = propose(cfg, world["variants"], progress=True)
    log(f"round {seed}: proposed {len(plan.archs)} ({plan.meta['candidates']} candidates)", t0)
    added = {"proposed": list(plan.archs), "random": random_new(args.n, seed, set())}
    out = {}
    for arm, archs in added.items():
        new = oracle_records(archs, world["oracle"], arm)
        trainval, _, _ = merge_collected(world["base"], world["n_train"], new, held_out=world["test"])
        bench = refit(trainval, world["targets"], args.members, seed=0)
        out[arm] = evaluate(bench, world["oracle"], world["objectives"], world["truth"], args, world["uniform"])
        out[arm]["macs_median"] = float(np.median(bench.support(archs)["macs_m"]))
        log(f"round {seed}, {arm}: {out[arm]}", t0)
    return out


def build_world(args, t0: list) -> dict:
    """Oracle, oracle-labelled shipped train+val, the other variants, the optimizers on the oracle."""
    from naslib_anb.benchmark import load_benchmark
    from naslib_anb.data import load_dataset
    from naslib_anb.search.objectives import make_objective
    from naslib_anb.search.propose import default_variants, load_variants
    from naslib_anb.space import sample

    oracle = load_benchmark(variant=args.oracle)
    others = [v for v in default_variants() if v.startswith("member:") and v != oracle.variant]
    split = load_dataset(args.data).default_split()
    train = list(dict.fromkeys(r.arch for r in split.train))
    val = [a for a in dict.fromkeys(r.arch for r in split.val) if a not in set(train)]
    objectives = [make_objective("accuracy"), make_objective("reward", device=args.device)]
    world = {"oracle": oracle, "variants": load_variants(others), "n_train": len(train),
             "base": oracle_records(train + val, oracle, "base"), "test": list(split.test),
             "targets": ("val_top1", objectives[1].device_target), "objectives": objectives,
             "uniform": sample(np.random.default_rng(999), 5000)}
    log(f"oracle {oracle.variant}; proposing with {', '.join(others)}; {len(world['base'])} base records", t0)
    world["truth"] = truth_ranking(oracle, objectives, args)
    log(f"optimizers on the oracle (mean best reward, {', '.join(OPTIMIZERS)}): {world['truth']}", t0)
    return world


def table(base: dict, rounds: list, args) -> str:
    """Markdown: one row per arm, means (and s.e. over rounds) of the measured figures."""
    def cell(vals, fmt="{:.3f}"):
        vals = np.asarray(vals, dtype=float)
        se = vals.std(ddof=1) / np.sqrt(len(vals)) if len(vals) > 1 else 0.0
        return fmt.format(vals.mean()) + (f" +- {fmt.format(se)}" if len(vals) > 1 else "")

    head = ("| data | val_top1 error at optima, signed (pts) | abs (pts) | "
            f"{base['dev_target']} error at optima, abs (%) | "
            "ranking tau vs oracle (accuracy / reward) | oracle val_top1 at the accuracy optima (%) | "
            "val_top1 MAE, 5,000 uniform (pts) |\n"
            "|---|---|---|---|---|---|---|\n")
    rows = [("shipped architectures only", [base])] + [
        (f"+ {args.n} {arm}", [r[arm] for r in rounds]) for arm in ("proposed", "random")]
    lines = []
    for label, runs in rows:
        tau = " / ".join(cell([r["tau"][o] for r in runs], "{:.2f}") for o in range(2))
        dev = cell([r["dev_err_pct_abs"] for r in runs], "{:.2f}")
        lines.append(f"| {label} | {cell([r['acc_err_mean'] for r in runs])} | "
                     f"{cell([r['acc_err_abs'] for r in runs])} | {dev} | "
                     f"{tau} | {cell([r['oracle_top1_at_accuracy_optima'] for r in runs])} | "
                     f"{cell([r['uniform_acc_mae'] for r in runs])} |")
    return head + "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--oracle", default="member:0", help="the variant that plays the truth")
    ap.add_argument("--n", type=int, default=200, help="architectures added per arm")
    ap.add_argument("--rounds", type=int, default=3, help="round seeds (proposal and random draw)")
    ap.add_argument("--device", default="a100", help="device of the reward objective and the refitted throughput")
    ap.add_argument("--members", type=int, default=3, help="XGBoost members per refitted target")
    ap.add_argument("--propose-seeds", type=int, default=2)
    ap.add_argument("--propose-budget", type=int, default=1000)
    ap.add_argument("--eval-seeds", type=int, default=5, help="seeds per optimizer on each surrogate")
    ap.add_argument("--budget", type=int, default=1000, help="queries per evaluation search")
    ap.add_argument("--data", default=None, help="dataset (default: $NASLIB_ANB_DATA or the cache)")
    ap.add_argument("--out", type=Path, default=None, help="also write the figures as JSON (never overwritten)")
    args = ap.parse_args()
    if args.out is not None and args.out.exists():
        ap.error(f"--out {args.out} exists")
    t0 = [time.perf_counter()]
    world = build_world(args, t0)
    base = evaluate(refit(world["base"], world["targets"], args.members, seed=0), world["oracle"],
                    world["objectives"], world["truth"], args, world["uniform"])
    base["dev_target"] = world["targets"][1]
    log(f"shipped architectures only: {base}", t0)
    rounds = [arms_for_round(seed, world, args, t0) for seed in range(args.rounds)]
    print(table(base, rounds, args))
    if args.out is not None:
        from naslib_anb.io import atomic_write_json

        atomic_write_json(args.out, {"args": {k: str(v) for k, v in vars(args).items()}, "base": base,
                                     "rounds": rounds, "truth": world["truth"],
                                     "elapsed_s": round(time.perf_counter() - t0[0], 1)})
    return 0


if __name__ == "__main__":
    sys.exit(main())
