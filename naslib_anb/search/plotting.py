"""Figures for search runs (matplotlib, Agg backend, imported lazily)."""
from __future__ import annotations

from pathlib import Path
from typing import Optional, Sequence

import numpy as np


def _plt():
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path: Path) -> Path:
    import io

    from naslib_anb.io import atomic_write_bytes

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=130, bbox_inches="tight")
    _plt().close(fig)
    return atomic_write_bytes(path, buf.getvalue())


def plot_trajectory(frame, path: Path, title: str = "", accuracy: str = "val_top1") -> Path:
    """Best evaluated accuracy (and reward, hypervolume when present) versus queries."""
    plt = _plt()
    has_hv = "hypervolume" in frame and frame["hypervolume"].notna().any()
    has_reward = frame["best_reward"].notna().any()
    ncols = 1 + int(has_hv)
    fig, axes = plt.subplots(1, ncols, figsize=(5.6 * ncols, 3.8), squeeze=False, layout="constrained")
    ax = axes[0, 0]
    q = frame["query"].to_numpy()
    ax.plot(q, frame["best_accuracy"], color="C0", label=f"best {accuracy}")
    ax.set_xlabel("queries")
    ax.set_ylabel(f"best {accuracy} (%)")
    if has_reward and frame["best_reward"].to_numpy(dtype=float).tolist() != frame["best_accuracy"].tolist():
        ax2 = ax.twinx()
        ax2.plot(q, frame["best_reward"], color="C1", label="best reward")
        ax2.set_ylabel("best reward", color="C1")
    ax.grid(alpha=0.3)
    if has_hv:
        axes[0, 1].plot(q, frame["hypervolume"], color="C2")
        axes[0, 1].set_xlabel("queries")
        axes[0, 1].set_ylabel("hypervolume (normalised)")
        axes[0, 1].grid(alpha=0.3)
    fig.suptitle(title, fontsize=10)
    return _save(fig, path)


def plot_pareto(frame, pareto, accuracy: str, device_target: str, path: Path, title: str = "",
                references: Optional[dict[str, tuple[float, float]]] = None, higher_is_better: bool = True) -> Path:
    """All evaluated points (coloured by query index), the Pareto front, and labelled references."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6.0, 4.4))
    sc = ax.scatter(frame[device_target], frame[accuracy], c=frame["query"], s=7, cmap="viridis", alpha=0.6,
                    linewidths=0)
    fig.colorbar(sc, ax=ax, label="query")
    p = pareto.sort_values(device_target)
    ax.step(p[device_target], p[accuracy], where="post" if not higher_is_better else "pre", color="C3", lw=1.2)
    ax.scatter(p[device_target], p[accuracy], color="C3", s=22, label=f"Pareto set ({len(p)})", zorder=3)
    for name, (x, y) in (references or {}).items():
        ax.scatter([x], [y], marker="*", s=120, color="k", zorder=4)
        ax.annotate(name, (x, y), textcoords="offset points", xytext=(5, 5), fontsize=8)
    ax.set_xlabel(device_target)
    ax.set_ylabel(f"{accuracy} (%)")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower left" if higher_is_better else "lower right", fontsize=8)
    ax.set_title(title, fontsize=10)
    return _save(fig, path)


def plot_compare(curves: dict[str, np.ndarray], path: Path, ylabel: str, title: str = "",
                 x: Optional[Sequence[int]] = None) -> Path:
    """Mean and standard-error bands over seeds; ``curves[name]`` is (n_seeds, n_queries)."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(5.6, 3.8))
    for i, (name, Y) in enumerate(curves.items()):
        Y = np.asarray(Y, dtype=np.float64)
        xs = np.arange(1, Y.shape[1] + 1) if x is None else np.asarray(x)
        mean = Y.mean(axis=0)
        se = Y.std(axis=0, ddof=1) / np.sqrt(Y.shape[0]) if Y.shape[0] > 1 else np.zeros_like(mean)
        ax.plot(xs, mean, color=f"C{i}", label=f"{name} (n={Y.shape[0]})")
        ax.fill_between(xs, mean - se, mean + se, color=f"C{i}", alpha=0.25, linewidth=0)
    ax.set_xlabel("queries")
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    ax.set_title(title, fontsize=10)
    return _save(fig, path)
