"""Compare NASLib runs (optimizers x seeds) from their ``errors.json`` files; no NASLib needed.

Reads NASLib's output layout ``<root>/<search_space>/<dataset>/<optimizer>/<seed>/errors.json``
(both the lightweight ``[config, stats]`` and the full dict form), aggregates the incumbent
curve ``valid_acc`` per epoch (= per query) over seeds, and plots mean +- standard error.
"""
from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Optional, Sequence, Union

import numpy as np

from naslib_anb.errors import ConfigError, DataError

PathLike = Union[str, os.PathLike]


@dataclass(frozen=True)
class Run:
    optimizer: str
    seed: str
    path: str
    valid_acc: tuple
    test_acc: tuple
    runtime: tuple


def _stats(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise DataError(f"cannot read NASLib errors.json {path}: {exc}") from exc
    stats = data[1] if isinstance(data, list) else data
    if not isinstance(stats, dict) or "valid_acc" not in stats:
        raise DataError(f"{path}: not a NASLib search errors.json (no valid_acc)")
    return stats


def find_runs(root: PathLike, optimizers: Optional[Sequence[str]] = None) -> list[Run]:
    """Every ``<optimizer>/<seed>/errors.json`` under ``root`` (any depth above)."""
    base = Path(root)
    if not base.exists():
        raise DataError(f"no such directory: {base}")
    runs = []
    for p in sorted(base.rglob("errors.json")):
        seed, opt = p.parent.name, p.parent.parent.name
        if optimizers and opt not in optimizers:
            continue
        try:
            s = _stats(p)
        except DataError:
            continue  # predictor-evaluation outputs live in the same tree
        runs.append(Run(opt, seed, str(p), tuple(map(float, s["valid_acc"])),
                        tuple(map(float, s.get("test_acc", []))), tuple(map(float, s.get("runtime", [])))))
    if not runs:
        raise DataError(f"no NASLib search errors.json under {base}")
    return runs


def aggregate(runs: Iterable[Run], key: str = "valid_acc") -> dict[str, dict[str, np.ndarray]]:
    """Per optimizer: ``epochs``, ``mean``, ``sem`` (over seeds, truncated to the shortest run), ``n``."""
    by: dict[str, list[tuple]] = {}
    for r in runs:
        by.setdefault(r.optimizer, []).append(getattr(r, key))
    out = {}
    for opt, curves in sorted(by.items()):
        n = min(len(c) for c in curves)
        if n == 0:
            continue
        a = np.asarray([c[:n] for c in curves], dtype=np.float64)
        sem = a.std(axis=0, ddof=1) / math.sqrt(len(a)) if len(a) > 1 else np.zeros(n)
        out[opt] = {"epochs": np.arange(1, n + 1), "mean": a.mean(axis=0), "sem": sem,
                    "n": np.asarray(len(a)), "final": a[:, -1]}
    return out


def summary_table(agg: dict[str, dict[str, np.ndarray]]) -> list[dict]:
    return [{"optimizer": o, "seeds": int(d["n"]), "queries": int(d["epochs"][-1]),
             "final_mean": float(d["mean"][-1]), "final_sem": float(d["sem"][-1])}
            for o, d in sorted(agg.items(), key=lambda kv: -kv[1]["mean"][-1])]


def plot(agg: dict[str, dict[str, np.ndarray]], out: PathLike, title: str = "ANB, NASLib optimizers",
         ylabel: str = "incumbent val top-1 (%)") -> Path:
    """Incumbent curves, mean +- s.e.m. over seeds, to a PNG/PDF (Agg backend)."""
    if not agg:
        raise ConfigError("nothing to plot")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    for opt, d in sorted(agg.items()):
        ax.plot(d["epochs"], d["mean"], label=f"{opt} (n={int(d['n'])})")
        ax.fill_between(d["epochs"], d["mean"] - d["sem"], d["mean"] + d["sem"], alpha=0.2)
    ax.set_xlabel("queries (NASLib epochs)")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.text(0.01, -0.01, "Mean over seeds with a band of one standard error; values are the benchmark's "
             "surrogate predictions, not measurements.", ha="left", va="top", fontsize=7.5, color="0.25")
    fig.tight_layout()
    p = Path(out)
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_name(p.stem + ".tmp" + p.suffix)
    fig.savefig(tmp, dpi=150, bbox_inches="tight")
    plt.close(fig)
    os.replace(tmp, p)
    return p


# -- the same comparison on every benchmark variant (robustness of the ranking) ---------------
def variant_root(root: PathLike, variant: str) -> Path:
    """Where a variant's NASLib runs live: ``<root>/<variant>`` (``member:2`` -> ``member-2``)."""
    return Path(root) / variant.replace(":", "-")


def run_variant_searches(config_paths: Sequence[PathLike], seeds: Sequence[int], variants: Sequence[str],
                         root: PathLike, overrides: Sequence[str] = (), progress: bool = True,
                         min_epochs: Optional[int] = None) -> int:
    """Each NASLib config x seed on each variant (benchmark injected), under ``variant_root``.

    A run whose ``errors.json`` already holds the asked epochs is kept (a rerun resumes). The
    variant is recorded in the run's config (``benchmark_variant``, saved in errors.json).
    ``min_epochs`` (the largest budget to be read off the runs) is checked against every config
    before the first run, not after an hour of runs. Returns the number of runs done now.
    """
    from naslib_anb.benchmark import load_benchmark
    from naslib_anb.naslib import run

    jobs = [(v, c, s) for v in variants for c in config_paths for s in seeds]
    if min_epochs is not None and jobs:
        first_v, _, first_seed = jobs[0]
        for path in config_paths:
            config = run.load_config(path, [*overrides, "seed", str(first_seed), "out_dir",
                                            str(variant_root(root, first_v))])
            if int(config.search.epochs) < min_epochs:
                raise ConfigError(f"{path}: search.epochs {config.search.epochs} is below the largest budget "
                                  f"{min_epochs}; add 'search.epochs {min_epochs}' or lower --budgets")
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(jobs), desc="NASLib runs", unit="run", dynamic_ncols=True)
    done = 0
    try:
        for v, path, seed in jobs:
            config = run.load_config(path, [*overrides, "seed", str(seed), "out_dir", str(variant_root(root, v))])
            config.benchmark_variant = v
            if not _finished(Path(run.nas_save_dir(config)) / "errors.json", int(config.search.epochs)):
                bench = load_benchmark(variant=v)
                run.run_search(config, dataset_api=run.dataset_api_from_config(config, benchmark=bench))
                done += 1
            if bar is not None:
                bar.set_postfix_str(f"{v} {config.optimizer} seed {seed}")
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    return done


def _finished(errors: Path, epochs: int) -> bool:
    """A run whose errors.json holds ``epochs`` queries; a killed run's truncated file is not one."""
    try:
        return errors.exists() and len(_stats(errors)["valid_acc"]) >= epochs
    except DataError:
        return False


def variant_finals(root: PathLike, variants: Sequence[str], budget: int, metric: str = "valid_acc",
                   optimizers: Optional[Sequence[str]] = None) -> dict[str, dict[str, list[float]]]:
    """{variant: {optimizer: [incumbent after ``budget`` queries, per seed]}}, the same seeds everywhere.

    The incumbent after ``budget`` queries of a longer run is what a run of ``budget`` queries
    ends at, for optimizers that do not plan by the horizon (NASLib's RS, RE, LS, BANANAS, NPENAS).
    """
    out: dict[str, dict[str, list[float]]] = {}
    seeds_of: dict[str, list[str]] = {}
    for v in variants:
        runs = find_runs(variant_root(root, v), optimizers)
        for r in runs:
            recorded = _recorded_variant(r.path)
            if recorded is not None and recorded != v:
                raise DataError(f"{r.path} was run on variant {recorded!r}, found under {v!r}")
        per: dict[str, dict[str, float]] = {}
        for r in runs:
            curve = getattr(r, metric)
            if len(curve) < budget:
                raise DataError(f"{r.path}: {len(curve)} queries, fewer than the budget {budget}")
            per.setdefault(r.optimizer, {})[r.seed] = float(curve[budget - 1])
        names = list(optimizers) if optimizers else sorted(per)
        for o in names:
            seeds = sorted(per.get(o, {}), key=lambda s: (len(s), s))
            if seeds_of.setdefault(o, seeds) != seeds:
                raise DataError(f"optimizer {o!r}: seeds {seeds} on variant {v!r}, {seeds_of[o]} on the first; "
                                "every variant must run the same seeds")
        out[v] = {o: [per[o][s] for s in seeds_of[o]] for o in names}
    return out


def _recorded_variant(path: str) -> Optional[str]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
    return data[0].get("benchmark_variant") if isinstance(data, list) and isinstance(data[0], dict) else None


def _int_list(spec: str, what: str) -> list[int]:
    out: list[int] = []
    for part in str(spec).split(","):
        a, _, b = part.strip().partition("-")
        try:
            lo, hi = int(a), int(b or a)
        except ValueError:
            raise ConfigError(f"bad {what} {part!r}; use ints or ranges like 0-9, comma separated") from None
        if lo < 0 or hi < lo:
            raise ConfigError(f"bad {what} {part!r}; use non-negative ints or ranges like 0-9")
        out.extend(range(lo, hi + 1))
    return out


def variants_main(argv: Optional[Sequence[str]] = None) -> int:
    """``naslib_compare.py ROOT --variants all [--configs a.yaml,b.yaml --seeds 0-9] --budgets 100,300``."""
    import argparse
    import sys

    from naslib_anb.errors import ANBError

    p = argparse.ArgumentParser(prog="naslib_compare --variants",
                                description="NASLib optimizers on every benchmark variant; robustness of the ranking")
    p.add_argument("root", help="directory with one folder of NASLib runs per variant (written by --configs)")
    p.add_argument("--variants", required=True, help="'all' or a comma list (naslib_anb.benchmark.list_variants)")
    p.add_argument("--configs", help="comma list of NASLib configs to run first on every variant (finished runs kept)")
    p.add_argument("--seeds", default="0-9", help="seeds of --configs (default 0-9)")
    p.add_argument("--budgets", help="queries at which to compare (default: the shortest run's length)")
    p.add_argument("--optimizers", help="comma-separated subset to compare")
    p.add_argument("--metric", default="valid_acc", choices=("valid_acc", "test_acc"))
    p.add_argument("--out", help="report path without suffix (default ROOT/robustness): writes OUT.json, OUT.txt")
    p.add_argument("--runs-only", action="store_true",
                   help="run --configs and write no report (to split the runs over processes; report later)")
    p.add_argument("--no-progress", action="store_true")
    p.add_argument("--no-plot", action="store_true", help="skip OUT.png (one panel per budget)")
    p.epilog = "Trailing KEY VALUE pairs override --configs, NASLib style (e.g. search.epochs 300)."
    args, extra = p.parse_known_args(argv)
    unknown = [a for a in extra if a.startswith("--")]
    if unknown:
        p.error(f"unrecognized arguments: {' '.join(unknown)}")
    args.opts = extra
    try:
        return _variants_run(args)
    except ANBError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _variants_run(args: Any) -> int:
    from naslib_anb.benchmark.variants import parse_variants
    from naslib_anb.io import atomic_write_json, atomic_write_text
    from naslib_anb.search.robustness import format_report, robustness

    variants = parse_variants(args.variants)
    opts = args.optimizers.split(",") if args.optimizers else None
    budgets = _int_list(args.budgets, "budget") if args.budgets else None
    if budgets is not None and 0 in budgets:
        raise ConfigError("budgets must be positive")
    if args.runs_only:
        if not args.configs:
            raise ConfigError("--runs-only runs --configs; no --configs given")
        unused = [f"--{name}" for name in ("budgets", "optimizers", "out") if getattr(args, name)]
        unused += ["--metric"] if args.metric != "valid_acc" else []
        unused += ["--no-plot"] if args.no_plot else []
        if unused:
            raise ConfigError(f"--runs-only writes no report, so {', '.join(unused)} would be ignored; drop them")
    elif opts is not None and len(opts) < 2:
        raise ConfigError(f"a ranking needs at least two optimizers, --optimizers names {opts} "
                          "(to only run a config, use --runs-only)")
    if args.configs:
        seeds = _int_list(args.seeds, "seed")
        run_variant_searches(args.configs.split(","), seeds, variants, args.root, list(args.opts or []),
                             progress=not args.no_progress, min_epochs=max(budgets) if budgets else None)
    if args.runs_only:
        return 0
    if budgets is None:
        budgets = [min(len(getattr(r, args.metric)) for v in variants
                       for r in find_runs(variant_root(args.root, v), opts))]
    reports, texts = {}, []
    for b in budgets:
        rep = robustness(variant_finals(args.root, variants, b, args.metric, opts))
        reports[str(b)] = rep
        texts.append(f"budget {b}\n" + format_report(rep, f"final {args.metric}"))
    stem = Path(args.out) if args.out else Path(args.root) / "robustness"
    atomic_write_json(stem.with_name(stem.name + ".json"), {"metric": args.metric, "variants": variants,
                                                            "optimizers": opts, "budgets": budgets,
                                                            "by_budget": reports})
    text = "\n\n".join(texts)
    atomic_write_text(stem.with_name(stem.name + ".txt"), text + "\n")
    print(text)
    if not args.no_plot:
        from naslib_anb.search.plotting import plot_robustness

        png = plot_robustness({f"budget {b}": reports[str(b)] for b in budgets}, stem.with_name(stem.name + ".png"),
                              ylabel=f"final {args.metric} (%)", title="NASLib optimizers on every benchmark variant")
        print(f"wrote {png}")
    return 0
