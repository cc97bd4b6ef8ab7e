"""Figures for search runs (matplotlib, Agg backend, imported lazily).

Every figure says what it shows: axes carry units (FPGA latency per batch where the DPU runs
batches), and a caption says that the values are surrogate predictions, which reference point a
hypervolume uses, and how points off the data's support are marked.
"""
from __future__ import annotations

import re
import textwrap
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

#: A point further than this many of the 28 decisions from every measured architecture is off the
#: data's support. The measured architectures are themselves sparse: each is 7 decisions (median) from
#: its nearest other measured one, and 99 % are within 8 (leave-one-out over the 5,125 shipped codes,
#: ``naslib_anb.space.support.measured_codes()``; checked in tests/test_search_plots.py). Beyond 8 a
#: prediction is further from the data than any the test split could vouch for.
SUPPORT_MAX_DISTANCE = 8


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


def axis_label(target: str) -> str:
    """``throughput_a100 (img/s)``, ``latency_vck190 (ms per batch of 6 images)``."""
    from naslib_anb.errors import UnknownTargetError
    from naslib_anb.targets import get_target

    try:
        t = get_target(target)
    except UnknownTargetError:
        return {"params_m": "params_m (millions of parameters)",
                "macs_m": "macs_m (millions of MACs, thop @224)"}.get(target, target)
    unit = t.unit
    m = re.search(r"per batch of (\d+)", t.protocol)
    if t.metric == "latency" and m:
        n = int(m.group(1))
        unit = f"{unit} per batch of {n} image{'s' if n > 1 else ''}"
    return f"{target} ({unit})"


def _caption(fig, text: str) -> None:
    fig.text(0.01, -0.01, "\n".join(textwrap.wrap(text, 110, break_on_hyphens=False)), ha="left", va="top", fontsize=7.5, color="0.25")


def support_masks(frame) -> tuple[Optional[np.ndarray], Optional[np.ndarray]]:
    """(infeasible, far) boolean masks when the frame carries ``feasible`` / ``nearest_measured``, else None."""
    infeasible = far = None
    if "feasible" in frame:
        infeasible = ~frame["feasible"].fillna(True).astype(bool).to_numpy()
    if "nearest_measured" in frame:
        d = np.asarray(frame["nearest_measured"], dtype=np.float64)
        far = np.nan_to_num(d, nan=0.0) > SUPPORT_MAX_DISTANCE
    return infeasible, far


def _support_note(frame) -> str:
    infeasible, far = support_masks(frame)
    notes = []
    if infeasible is not None:
        notes.append(f"x: not trainable under the recipe ({int(infeasible.sum())} points)")
    if far is not None:
        notes.append(f"open circles: more than {SUPPORT_MAX_DISTANCE} of 28 decisions from every measured architecture "
                     f"({int(far.sum())} points)")
    return ("Off the data's support: " + "; ".join(notes) + ".") if notes else ""


def hypervolume_reference(accuracy: str, device_target: str) -> str:
    """The hypervolume's reference and ideal points in the targets' units (bounds of :mod:`bounds`)."""
    from naslib_anb.search.bounds import objective_bounds
    from naslib_anb.targets import get_target

    alo, ahi = objective_bounds(accuracy)
    dlo, dhi = objective_bounds(device_target)
    worst, best = (dlo, dhi) if get_target(device_target).higher_is_better else (dhi, dlo)
    unit = axis_label(device_target).split(" (", 1)[-1].rstrip(")")
    return (f"reference point ({accuracy} {alo:g} %, {device_target} {worst:g} {unit}), ideal "
            f"({ahi:g} %, {best:g}); values clipped to these fixed bounds, hypervolume in [0, 1]")


def source_caption(benchmark: str, plural: bool = True) -> str:
    """What the plotted values are, named by the benchmark that produced them."""
    if benchmark == "toy":
        return (f"{'values' if plural else 'a value'} of benchmark 'toy', an analytic smoke test unrelated "
                "to ImageNet or real devices (not ANB surrogate predictions)")
    return f"{'surrogate predictions' if plural else 'a surrogate prediction'} of benchmark {benchmark!r} (ensemble mean)"


def plot_trajectory(frame, path: Path, title: str = "", accuracy: str = "val_top1",
                    device_target: Optional[str] = None, benchmark: str = "anb") -> Path:
    """Stacked panels sharing the query axis: best accuracy, best reward (if any), hypervolume (if any)."""
    plt = _plt()
    q = frame["query"].to_numpy()
    panels = [("best_accuracy", f"best {accuracy} (%)", "C0")]
    reward = frame["best_reward"] if "best_reward" in frame else None
    if reward is not None and reward.notna().any() and not np.allclose(
            reward.to_numpy(dtype=float), frame["best_accuracy"].to_numpy(dtype=float), equal_nan=True):
        panels.append(("best_reward", "best reward (%)", "C1"))
    has_hv = "hypervolume" in frame and frame["hypervolume"].notna().any()
    if has_hv:
        panels.append(("hypervolume", "hypervolume (normalised)", "C2"))
    fig, axes = plt.subplots(len(panels), 1, figsize=(6.0, 2.3 * len(panels) + 0.6), sharex=True, squeeze=False)
    for ax, (col, label, color) in zip(axes[:, 0], panels):
        ax.plot(q, frame[col].to_numpy(dtype=float), color=color, lw=1.4)
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
    axes[-1, 0].set_xlabel("queries")
    axes[0, 0].set_title(title, fontsize=10)
    caption = f"Values are {source_caption(benchmark)}, not measurements."
    if len(panels) > 1 and panels[1][0] == "best_reward":
        caption += " Reward: the MnasNet soft-constraint objective named in the title."
    if has_hv and device_target is not None:
        caption += " Hypervolume of (" + accuracy + ", " + device_target + "): " + \
            hypervolume_reference(accuracy, device_target) + "."
    _caption(fig, caption)
    fig.tight_layout()
    return _save(fig, path)


def plot_pareto(frame, pareto, accuracy: str, device_target: Optional[str], path: Path, title: str = "",
                references: Optional[dict[str, tuple[float, float]]] = None, higher_is_better: bool = True,
                benchmark: str = "anb", x: Optional[str] = None) -> Path:
    """All evaluated points (coloured by query index), the Pareto front, and labelled references.

    ``device_target=None`` (accuracy-only runs) plots accuracy against ``x`` (default ``params_m``
    when the frame has it, else the query index) and marks the best architecture.
    """
    plt = _plt()
    xcol = device_target or x or ("params_m" if "params_m" in frame else "query")
    fig, ax = plt.subplots(figsize=(6.4, 4.6))
    fx = np.asarray(frame[xcol], dtype=np.float64)
    fy = np.asarray(frame[accuracy], dtype=np.float64)
    infeasible, far = support_masks(frame)
    ok = np.ones(len(frame), dtype=bool)
    if infeasible is not None:
        ok &= ~infeasible
    hollow = far if far is not None else np.zeros(len(frame), dtype=bool)
    q = frame["query"].to_numpy()
    norm = plt.Normalize(vmin=q.min(), vmax=q.max())
    solid = ok & ~hollow
    ax.scatter(fx[solid], fy[solid], c=q[solid], s=7, cmap="viridis", norm=norm, alpha=0.6, linewidths=0)
    if (ok & hollow).any():  # still coloured by query, but open
        ax.scatter(fx[ok & hollow], fy[ok & hollow], s=10, facecolors="none",
                   edgecolors=plt.get_cmap("viridis")(norm(q[ok & hollow])), linewidths=0.7,
                   label=f"> {SUPPORT_MAX_DISTANCE} decisions from measured data")
    if infeasible is not None and infeasible.any():
        ax.scatter(fx[infeasible], fy[infeasible], s=12, marker="x", color="C1", linewidths=0.8,
                   label="not trainable under the recipe")
    fig.colorbar(plt.cm.ScalarMappable(norm=norm, cmap="viridis"), ax=ax, label="query")
    if device_target is not None and xcol in pareto:
        p = pareto.sort_values(device_target)
        ax.step(p[device_target], p[accuracy], where="post" if not higher_is_better else "pre", color="C3", lw=1.2)
        ax.scatter(p[device_target], p[accuracy], color="C3", s=22, label=f"Pareto set ({len(p)})", zorder=3)
    else:
        best = int(np.nanargmax(fy))
        ax.scatter([fx[best]], [fy[best]], color="C3", s=30, zorder=3, label=f"best {accuracy} ({fy[best]:.2f} %)")
    refs = references or {}
    if refs:  # a band above every point holds the reference labels, so they cover none
        ys = np.concatenate([fy[np.isfinite(fy)], [ry for _, ry in refs.values()]])
        lo, hi = float(ys.min()), float(ys.max())
        pad = max(hi - lo, 1e-6)
        ax.set_ylim(lo - 0.05 * pad, hi + 0.22 * pad)
    for name, (rx, ry) in refs.items():
        ax.scatter([rx], [ry], marker="*", s=130, color="k", zorder=4, label=name)
        corner = (0.97, 0.97) if higher_is_better else (0.03, 0.97)
        ax.annotate(name, (rx, ry), xytext=corner, textcoords="axes fraction", fontsize=8,
                    ha="right" if higher_is_better else "left", va="top",
                    arrowprops={"arrowstyle": "->", "color": "0.2", "lw": 0.8},
                    bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "0.6", "alpha": 0.9})
    ax.set_xlabel(axis_label(xcol) if xcol != "query" else "query")
    ax.set_ylabel(f"{accuracy} (%)")
    ax.grid(alpha=0.3)
    handles, labels = ax.get_legend_handles_labels()
    if handles:  # below the axes: a legend inside would cover points
        ax.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=min(3, len(handles)),
                  fontsize=8, frameon=False)
    ax.set_title(title, fontsize=10)
    caption = f"Every point is {source_caption(benchmark, plural=False)}, not a measurement."
    if device_target is None:
        caption += f" Accuracy-only run: no device objective, so accuracy is shown against {xcol}."
    note = _support_note(frame)
    if note:
        caption += " " + note
    ax.text(-0.1, -0.26 if handles else -0.14, "\n".join(textwrap.wrap(caption, 105, break_on_hyphens=False)), ha="left", va="top",
            fontsize=7.5, color="0.25", transform=ax.transAxes)
    fig.tight_layout()
    return _save(fig, path)


def plot_compare(curves: dict[str, np.ndarray], path: Path, ylabel: str, title: str = "",
                 x: Optional[Sequence[int]] = None, caption: str = "") -> Path:
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
    _caption(fig, "Mean over seeds with a band of one standard error; values are surrogate predictions, not "
                  "measurements." + (" " + caption if caption else ""))
    fig.tight_layout()
    return _save(fig, path)


def plot_robustness(panels: "dict[str, dict]", path: Path, ylabel: str, title: str = "", caption: str = "") -> Path:
    """Each optimizer's final value on every benchmark variant, side by side (one panel per report).

    The table says whether an order flips; the figure shows whether the flip is a reversal or a
    tie that the surrogate happens to break one way or the other.
    """
    plt = _plt()
    fig, axes = plt.subplots(1, len(panels), figsize=(max(5.6, 4.4 * len(panels)), 3.9), squeeze=False)
    for k, (ax, (name, rep)) in enumerate(zip(axes[0], panels.items())):
        optimizers, variants = rep["optimizers"], rep["variants"]
        width = 0.8 / len(variants)
        for j, v in enumerate(variants):
            pts = [(i + (j - (len(variants) - 1) / 2) * width, s["mean"], s["se"])
                   for i, s in enumerate(rep["stats"][v][o] for o in optimizers) if s["mean"] is not None]
            if pts:
                xs, means, ses = zip(*pts)
                ax.errorbar(xs, means, yerr=ses, fmt="o", ms=3.5, capsize=2, lw=1, color=f"C{j % 10}", label=v)
        ax.set_xticks(range(len(optimizers)))
        ax.set_xticklabels(optimizers, rotation=30 if len(optimizers) > 4 else 0, fontsize=8)
        n_flips, n_clear = len(rep["flips"]), sum(f["clear"] for f in rep["flips"])
        tau = "n/a" if rep["min_tau"] is None else f"{rep['min_tau']:+.2f}"
        ax.set_title(f"{name}\nmin Kendall tau {tau}, {n_flips} order flip{'' if n_flips == 1 else 's'} "
                     f"({n_clear} clear)", fontsize=9)
        ax.grid(axis="y", alpha=0.3)
        if k == 0:
            ax.set_ylabel(ylabel)
    axes[0][-1].legend(fontsize=7, title="variant", title_fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    if title:
        fig.suptitle(title, fontsize=10)
    _caption(fig, "Mean over seeds with one standard error, per benchmark variant (docs/robustness.md). "
                  "A clear flip has a gap beyond 2 standard errors both ways; the others are ties the "
                  "surrogate breaks. Values are surrogate predictions, not measurements."
             + (" " + caption if caption else ""))
    fig.tight_layout()
    return _save(fig, path)
