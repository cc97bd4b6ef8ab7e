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
from typing import Iterable, Optional, Sequence, Union

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
