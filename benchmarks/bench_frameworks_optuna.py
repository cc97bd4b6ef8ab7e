"""Optuna's samplers beside this project's optimizers on ANB, at equal budgets.

    python benchmarks/bench_frameworks_optuna.py [--seeds 10] [--budget 200] [--gp-budget 40]
        [--out bench_frameworks_optuna.json] [--methods ...] [--first-seed 0]

Two studies on the shipped surrogate benchmark, feasible architectures only (the trainability
limit is an Optuna constraint; the project's optimizers ask feasible architectures only):

- **accuracy**: maximise val_top1. Optuna TPE and GP beside RE, REINFORCE and random search;
  reported: best feasible val_top1 after ``--gp-budget`` and after ``--budget`` queries.
- **pareto**: val_top1 x VCK190 throughput. Optuna NSGA-II, TPE and GP beside RE and RS (Pareto
  variants) and REINFORCE (MnasNet reward); reported: the hypervolume of the feasible evaluated
  points, pymoo's HV with the project's bounds and reference point (naslib_anb.search.pareto).

The GP sampler is run for ``--gp-budget`` queries only (it refits a GP per trial); every method
is also reported at that budget, so each column compares equal budgets. Mean +- standard error
over seeds 0..n-1. Finished runs are kept in ``--out`` (JSON, written atomically after each
run), so an interrupted run resumes where it stopped.
"""
from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

ACC, DEV = "val_top1", "throughput_vck190"
#: method -> (study, framework, what it is); the project's names are its optimizer registry's
METHODS = {
    "optuna-tpe": ("accuracy", "optuna", "TPESampler"),
    "optuna-gp": ("accuracy", "optuna", "GPSampler"),
    "re": ("accuracy", "anb", "re"),
    "reinforce": ("accuracy", "anb", "reinforce"),
    "rs": ("accuracy", "anb", "rs"),
    "optuna-nsga2/pareto": ("pareto", "optuna", "NSGAIISampler"),
    "optuna-tpe/pareto": ("pareto", "optuna", "TPESampler"),
    "optuna-gp/pareto": ("pareto", "optuna", "GPSampler"),
    "re/pareto": ("pareto", "anb", "re"),
    "rs/pareto": ("pareto", "anb", "rs"),
    "reinforce/reward": ("pareto", "anb", "reinforce"),
}


def _trajectories(points: list[tuple[float, float, bool]]) -> dict[str, list[float]]:
    """Best feasible accuracy and feasible hypervolume after each query."""
    from naslib_anb.search.pareto import IncrementalFront

    front = IncrementalFront((ACC, DEV))
    best, hv, out_best, out_hv = -np.inf, 0.0, [], []
    for acc, dev, ok in points:
        if ok:
            best = max(best, acc)
            if np.isfinite(dev):
                hv = front.add([acc, dev])
        out_best.append(float(best))
        out_hv.append(float(hv))
    return {"best_accuracy": out_best, "hypervolume": out_hv}


def _run_optuna(study_kind: str, sampler_name: str, seed: int, budget: int, bench) -> list:
    import optuna

    from naslib_anb.optuna import ANBProblem

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    problem = ANBProblem(bench, device="vck190" if study_kind == "pareto" else None)
    sampler = getattr(optuna.samplers, sampler_name)(seed=seed)
    study = optuna.create_study(directions=problem.directions, sampler=sampler)
    study.optimize(problem, n_trials=budget)
    points = []
    for t in study.trials:
        dev = t.values[1] if study_kind == "pareto" else float("nan")
        points.append((t.values[0], dev, all(v <= 0 for v in t.constraints.values())))
    return points


def _run_anb(study_kind: str, name: str, seed: int, budget: int, bench) -> list:
    from naslib_anb.search import SearchConfig, run_search

    if study_kind == "accuracy":
        cfg = SearchConfig(optimizer=name, seed=seed, budget=budget, objective="accuracy")
    elif name == "reinforce":
        cfg = SearchConfig(optimizer=name, seed=seed, budget=budget, objective="reward", device="vck190")
    else:
        cfg = SearchConfig(optimizer=name, seed=seed, budget=budget, objective="pareto", device="vck190")
    res = run_search(cfg, benchmark=bench)
    return [(r.values[ACC], r.values.get(DEV, float("nan")), r.feasible) for r in res.records]


def run_one(method: str, seed: int, budget: int, bench) -> dict[str, list[float]]:
    study_kind, framework, name = METHODS[method]
    run = _run_optuna if framework == "optuna" else _run_anb
    return _trajectories(run(study_kind, name, seed, budget, bench))


def _mean_se(x: list[float]) -> str:
    a = np.asarray(x, dtype=np.float64)
    se = a.std(ddof=1) / np.sqrt(len(a)) if len(a) > 1 else float("nan")
    return f"{a.mean():.4g} +- {se:.2g}"


def table(results: dict, methods: list[str], seeds: int, checkpoints: list[int]) -> str:
    """Markdown: one row per method, best accuracy (accuracy study) or HV (pareto study) per budget."""
    lines = []
    for kind, key in (("accuracy", "best_accuracy"), ("pareto", "hypervolume")):
        rows = [m for m in methods if METHODS[m][0] == kind]
        if not rows:
            continue
        what = "best feasible val_top1 (%)" if kind == "accuracy" else "hypervolume, val_top1 x VCK190 throughput"
        lines += ["", f"{kind} study: {what}, mean +- s.e. over {seeds} seeds", "",
                  "| method | " + " | ".join(f"after {c} queries" for c in checkpoints) + " |",
                  "|---|" + "---|" * len(checkpoints)]
        for m in rows:
            cells = []
            for c in checkpoints:
                vals = [r[key][c - 1] for s in range(seeds) if (r := results.get(f"{m}|{s}")) and len(r[key]) >= c]
                cells.append(_mean_se(vals) if len(vals) == seeds else "-")
            lines.append(f"| {m} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=10, help="seeds 0..N-1 are reported")
    ap.add_argument("--first-seed", type=int, default=0,
                    help="run seeds from this one on only (to split the runs over processes; merge the --out files)")
    ap.add_argument("--budget", type=int, default=200)
    ap.add_argument("--gp-budget", type=int, default=40)
    ap.add_argument("--methods", nargs="+", default=list(METHODS), choices=list(METHODS))
    ap.add_argument("--out", default="bench_frameworks_optuna.json", help="results kept here (resumable)")
    args = ap.parse_args()
    from tqdm.auto import tqdm

    from naslib_anb.benchmark import load_benchmark
    from naslib_anb.io import atomic_write_json

    bench = load_benchmark()
    out = Path(args.out)
    store = json.loads(out.read_text()) if out.exists() else {"runs": {}}
    runs = store["runs"]
    jobs = [(m, s) for m in args.methods for s in range(args.first_seed, args.seeds)]
    t0 = time.perf_counter()
    for m, s in tqdm(jobs, desc="runs", unit="run"):
        budget = args.gp_budget if "gp" in m else args.budget
        key = f"{m}|{s}"
        if key in runs and len(runs[key]["best_accuracy"]) >= budget:
            continue
        runs[key] = run_one(m, s, budget, bench)
        store["meta"] = {"benchmark": bench.name, "variant": getattr(bench, "variant", None), "noise_seed": None,
                         "budget": args.budget, "gp_budget": args.gp_budget}
        atomic_write_json(out, store)
    print(f"({time.perf_counter() - t0:.0f} s)")
    print(table(runs, args.methods, args.seeds, sorted({args.gp_budget, args.budget})))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
