"""Syne Tune's simulator on ANB: best accuracy against simulated p* hours on 1, 4 and 16 workers.

    python benchmarks/bench_frameworks_synetune.py [--seeds 5] [--hours 24] [--workers 1 4 16]
        [--schedulers rs rea tpe] [--out bench_frameworks_synetune.json] [--figure docs/frameworks_synetune.png]

Each trial occupies a worker for its architecture's predicted ``train_time`` (a p* run on one
node of 4 RTX 3090s), so the x axis is simulated hours of such nodes. Schedulers: Syne Tune's
RandomSearch, REA (regularized evolution, population 20, sample 5) and TPE, maximising val_top1;
infeasible architectures (over the trainability limit) count as failed runs of 60 s and never as
the best. Curves: mean best feasible val_top1 over seeds 0..n-1, band +- one standard error.
Finished runs are kept in ``--out`` (JSON, written atomically after each run) so an interrupted
run resumes; the table of the final values is printed.
"""
from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
import warnings
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

SCHEDULERS = {"rs": "RandomSearch", "rea": "REA", "tpe": "TPE"}
GRID_STEP_H = 0.25


def make_scheduler(name: str, config_space: dict, seed: int):
    from syne_tune.optimizer import baselines

    if name == "rs":
        return baselines.RandomSearch(config_space, metrics=["val_top1"], do_minimize=False, random_seed=seed)
    if name == "rea":
        return baselines.REA(config_space, metric="val_top1", do_minimize=False, random_seed=seed,
                             population_size=20, sample_size=5)
    return baselines.TPE(config_space, metric="val_top1", do_minimize=False, random_seed=seed)


def best_curve(df, hours: float) -> list[float]:
    """Best feasible val_top1 reached by each grid time (NaN before the first feasible result)."""
    grid = np.arange(0.0, hours + 1e-9, GRID_STEP_H)
    t_h = df["st_tuner_time"].to_numpy(dtype=np.float64) / 3600.0
    acc = np.where(df["feasible"].to_numpy() > 0, df["val_top1"].to_numpy(dtype=np.float64), -np.inf)
    order = np.argsort(t_h, kind="stable")
    running = np.maximum.accumulate(acc[order])
    idx = np.searchsorted(t_h[order], grid, side="right") - 1
    out = np.where(idx >= 0, running[np.clip(idx, 0, None)], -np.inf)
    return [float(v) if np.isfinite(v) else float("nan") for v in out]


def run_one(name: str, workers: int, seed: int, hours: float, blackbox) -> dict:
    from naslib_anb.synetune import simulate

    df = simulate(make_scheduler(name, blackbox.configuration_space, seed), blackbox, n_workers=workers,
                  max_wallclock_time_s=hours * 3600.0, seed=seed)
    df = df[df["st_tuner_time"] <= hours * 3600.0]
    return {"best": best_curve(df, hours), "trials": int(df["trial_id"].nunique()),
            "infeasible": int((df["feasible"] == 0).sum())}


def _stats(runs: list[dict], key: str = "best") -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard error per grid time over the runs that have a feasible result by then."""
    a = np.asarray([r[key] for r in runs], dtype=np.float64)
    n = np.sum(np.isfinite(a), axis=0)
    with warnings.catch_warnings():  # grid times before any result: NaN, on purpose
        warnings.simplefilter("ignore", RuntimeWarning)
        mean = np.nanmean(a, axis=0)
        se = np.nanstd(a, axis=0, ddof=1) / np.sqrt(np.maximum(n, 1))
    return mean, se


def plot(runs: dict, args, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    grid = np.arange(0.0, args.hours + 1e-9, GRID_STEP_H)
    fig, axes = plt.subplots(1, len(args.workers), figsize=(4.2 * len(args.workers), 3.6), sharey=True)
    for ax, w in zip(np.atleast_1d(axes), args.workers):
        for name in args.schedulers:
            sel = [runs[f"{name}|{w}|{s}"] for s in range(args.seeds)]
            mean, se = _stats(sel)
            ax.plot(grid, mean, label=SCHEDULERS[name])
            ax.fill_between(grid, mean - se, mean + se, alpha=0.25)
        ax.set_title(f"{w} worker{'s' if w > 1 else ''}")
        ax.set_xlabel("simulated hours (p* runs on 4x RTX 3090 nodes)")
        ax.grid(alpha=0.3)
    np.atleast_1d(axes)[0].set_ylabel("best feasible val_top1 (%)")
    np.atleast_1d(axes)[0].legend(loc="lower right")
    np.atleast_1d(axes)[0].set_ylim(62, 68)
    fig.suptitle(f"Syne Tune simulator on ANB, mean +- s.e. over {args.seeds} seeds", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    print(f"figure: {path}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--hours", type=float, default=24.0)
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 4, 16])
    ap.add_argument("--schedulers", nargs="+", default=list(SCHEDULERS), choices=list(SCHEDULERS))
    ap.add_argument("--out", default="bench_frameworks_synetune.json", help="results kept here (resumable)")
    ap.add_argument("--figure", default=None, help="write the figure here (png)")
    args = ap.parse_args()
    from tqdm.auto import tqdm

    from naslib_anb.benchmark import load_benchmark
    from naslib_anb.io import atomic_write_json
    from naslib_anb.synetune import ANBBlackbox

    os.environ.setdefault("SYNETUNE_FOLDER", tempfile.mkdtemp(prefix="anb-synetune-"))
    blackbox = ANBBlackbox(load_benchmark(), targets=["val_top1"])
    out = Path(args.out)
    store = json.loads(out.read_text()) if out.exists() else {"runs": {}}
    if store.get("meta", {}).get("hours", args.hours) != args.hours:
        raise SystemExit(f"{out} holds runs of {store['meta']['hours']} h; pass --hours {store['meta']['hours']} "
                         "or another --out")
    store["meta"] = {"hours": args.hours, "grid_step_h": GRID_STEP_H, **blackbox.metadata}
    runs = store["runs"]
    jobs = [(n, w, s) for s in range(args.seeds) for w in args.workers for n in args.schedulers]
    t0 = time.perf_counter()
    for n, w, s in tqdm(jobs, desc="simulations", unit="run"):
        key = f"{n}|{w}|{s}"
        if key not in runs:
            runs[key] = run_one(n, w, s, args.hours, blackbox)
            atomic_write_json(out, store)
    print(f"({time.perf_counter() - t0:.0f} s)")
    print(f"\nbest feasible val_top1 after {args.hours:g} simulated hours, mean +- s.e. over {args.seeds} seeds "
          "(trials finished, mean)\n")
    print("| scheduler | " + " | ".join(f"{w} worker{'s' if w > 1 else ''}" for w in args.workers) + " |")
    print("|---|" + "---|" * len(args.workers))
    for n in args.schedulers:
        cells = []
        for w in args.workers:
            sel = [runs[f"{n}|{w}|{s}"] for s in range(args.seeds)]
            mean, se = _stats(sel)
            cells.append(f"{mean[-1]:.2f} +- {se[-1]:.2f} ({np.mean([r['trials'] for r in sel]):.0f})")
        print(f"| {SCHEDULERS[n]} | " + " | ".join(cells) + " |")
    if args.figure:
        plot(runs, args, Path(args.figure))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
