"""Writing a run directory: config, per-query log, Pareto set, summary, plots (all atomic)."""
from __future__ import annotations

import io
from pathlib import Path
from typing import Any, Optional

import numpy as np

from naslib_anb.benchmark.base import Benchmark
from naslib_anb.errors import ConfigError
from naslib_anb.io import atomic_write_json, atomic_write_text
from naslib_anb.search.pareto import pareto_mask
from naslib_anb.search.records import SearchResult
from naslib_anb.targets import get_target

#: what a run with a device objective writes
RUN_FILES = ("config.yaml", "queries.csv", "pareto.csv", "pareto.json", "summary.json", "trajectory.png",
             "pareto.png")
#: an accuracy-only run's figure in place of pareto.png (one objective has no front)
ACCURACY_PLOT = "accuracy.png"


def prepare_out_dir(out: Path, force: bool = False) -> Path:
    """Fail fast on an output directory a run could not (or must not) write; see :mod:`naslib_anb.outdir`."""
    from naslib_anb.outdir import RUN_SIGNATURE, check_output

    return check_output(out, force=force, signature=RUN_SIGNATURE)


def pareto_frame(result: SearchResult, benchmark: Benchmark):
    """Unique Pareto-optimal archs over all evaluated points, with every benchmark target.

    Each row also says whether the architecture is trainable with the labels' recipe
    (``feasible``) and how far it is from the data (``nearest_measured``, in decisions).
    """
    df = result.to_frame().drop_duplicates("arch")
    acc = result.config.accuracy
    dev = result.device_target
    if dev is None:
        sel = df[df[acc] == df[acc].max()]
    else:
        F = df[[acc, dev]].to_numpy(dtype=np.float64)
        sel = df[pareto_mask(F, maximize=[True, get_target(dev).higher_is_better])]
    table = benchmark.query_table(list(sel["arch"]))
    table.insert(0, "first_query", sel.set_index("arch").loc[table.index, "query"].to_numpy())
    support = benchmark.support(list(table.index))
    table.insert(1, "feasible", support["feasible"])
    table.insert(2, "nearest_measured", support["nearest_measured"])
    table = table.reset_index().sort_values(acc, ascending=False, kind="stable").reset_index(drop=True)
    return table


def write_run(result: SearchResult, benchmark: Benchmark, out: Path, *, plots: bool = True) -> dict[str, Any]:
    """Write every run file into ``out`` (already prepared); returns the summary dict."""
    import yaml

    out = Path(out)
    cfg = result.config
    atomic_write_text(out / "config.yaml", yaml.safe_dump(cfg.to_dict(), sort_keys=False))
    frame = result.to_frame()
    buf = io.StringIO()
    frame.to_csv(buf, index=False, float_format="%.6g")
    atomic_write_text(out / "queries.csv", buf.getvalue())
    pareto = pareto_frame(result, benchmark)
    buf = io.StringIO()
    pareto.to_csv(buf, index=False, float_format="%.6g")
    atomic_write_text(out / "pareto.csv", buf.getvalue())
    atomic_write_json(out / "pareto.json", pareto.to_dict(orient="records"))
    summary = run_summary(result)
    summary["pareto_size"] = int(len(pareto))
    summary["benchmark"] = getattr(benchmark, "name", cfg.benchmark)
    summary["variant"] = getattr(benchmark, "variant", None)  # which surrogate of the data (None: not anb)
    if result.device_target is not None:
        summary["efficientnet_b0"] = efficientnet_b0_check(frame, benchmark, cfg.accuracy, result.device_target)
    if plots:
        from naslib_anb.search import plotting

        title = f"{cfg.optimizer}, seed {cfg.seed}, {result.objective_description}"
        name = str(getattr(benchmark, "name", cfg.benchmark))
        plotting.plot_trajectory(frame, out / "trajectory.png", title=title, accuracy=cfg.accuracy,
                                 device_target=result.device_target, benchmark=name)
        if result.device_target is not None:
            refs = reference_points(benchmark, cfg.accuracy, result.device_target)
            plotting.plot_pareto(frame, pareto, cfg.accuracy, result.device_target, out / "pareto.png",
                                 title=title, references=refs,
                                 higher_is_better=get_target(result.device_target).higher_is_better,
                                 benchmark=name)
        else:  # accuracy-only: no front to draw; accuracy against model size, the best architecture marked
            plotting.plot_pareto(_with_params(frame), pareto, cfg.accuracy, None, out / ACCURACY_PLOT,
                                 title=title, benchmark=name)
    atomic_write_json(out / "summary.json", summary)
    return summary


def run_summary(result: SearchResult) -> dict[str, Any]:
    """The result's summary, each figure beside the architecture it belongs to.

    ``best_arch`` is the best by the objective (the reward, or accuracy); ``best_accuracy`` is *its*
    accuracy, and ``highest_accuracy`` the highest any query reached, with that architecture.
    """
    summary = result.summary()
    acc = result.config.accuracy
    # a reward exists only with a device objective (accuracy-only runs carry their accuracy as the reward)
    rewarded = result.device_target is not None and summary.get("best_reward") is not None
    summary["best_by"] = "reward" if rewarded else acc
    summary["best_accuracy"] = summary["best_values"].get(acc, summary["best_accuracy"])
    top = max(result.records, key=lambda r: r.values[acc])
    summary["highest_accuracy"] = {"value": top.values[acc], "arch": top.arch}
    if summary.get("best_feasible"):
        summary["best_feasible"]["value_is"] = summary["best_by"]
    return summary


def _with_params(frame):
    """The query log with ``params_m`` (exact, from the architecture) for accuracy-only plots."""
    if "params_m" in frame:
        return frame
    from naslib_anb.space import arch_cost

    out = frame.copy()
    out["params_m"] = [arch_cost(a).params_m for a in out["arch"]]
    return out


def reference_points(benchmark: Benchmark, accuracy: str, device_target: str) -> dict[str, tuple[float, float]]:
    """EfficientNet-B0 on the same benchmark, for the Pareto plot."""
    from naslib_anb.space import EFFICIENTNET_B0

    v = benchmark.query_all([EFFICIENTNET_B0], [accuracy, device_target])
    return {"EfficientNet-B0": (float(v[device_target][0]), float(v[accuracy][0]))}


def efficientnet_b0_check(frame, benchmark: Benchmark, accuracy: str, device_target: str) -> dict[str, Any]:
    """EfficientNet-B0's predicted values and how many evaluated archs dominate it (paper Fig. 4)."""
    (x, y), = reference_points(benchmark, accuracy, device_target).values()
    hib = get_target(device_target).higher_is_better
    dev = frame[device_target].to_numpy(dtype=np.float64)
    acc = frame[accuracy].to_numpy(dtype=np.float64)
    better_dev = dev >= x if hib else dev <= x
    strictly = (acc > y) | ((dev > x) if hib else (dev < x))
    dom = (acc >= y) & better_dev & strictly
    uniq = frame.loc[dom, "arch"].nunique()
    return {accuracy: y, device_target: x, "dominated_by_n_archs": int(uniq)}


def format_pareto(pareto, accuracy: str, device_target: Optional[str], max_rows: int = 20) -> str:
    """A short text table of the Pareto set (or, accuracy-only, the best architecture) for the terminal."""
    cols = ["arch", accuracy] + ([device_target] if device_target else [])
    extra = [c for c in ("val_top5",) if c in pareto and c not in cols]
    t = pareto[cols + extra].head(max_rows)
    if device_target is None:
        head = f"Best architecture by {accuracy}" + (f" ({len(pareto)} tied)" if len(pareto) > 1 else "") + ":"
    else:
        head = (f"Pareto set ({len(pareto)} architectures, {accuracy} against {device_target}"
                + (f"; first {max_rows} shown" if len(pareto) > max_rows else "") + "):")
    return "\n".join([head, t.to_string(index=False, float_format=lambda x: f"{x:.4g}")])
