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
