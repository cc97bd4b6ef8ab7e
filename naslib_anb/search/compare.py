"""Several optimizers x seeds, one process per run (concurrent.futures), aggregated curves and plots."""
from __future__ import annotations

import io
import math
import os
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import replace
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from naslib_anb.errors import ConfigError
from naslib_anb.io import atomic_write_json, atomic_write_text
from naslib_anb.search.records import SearchConfig

CURVES = ("best_accuracy", "best_reward", "hypervolume")


def _run_one(cfg_dict: dict[str, Any]) -> dict[str, Any]:
    """Worker: one search; returns its curves and per-query CSV text (benchmark cached per process)."""
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    from naslib_anb.search.driver import run_search

    cfg = SearchConfig.from_dict(cfg_dict)
    res = run_search(cfg)
    frame = res.to_frame()
    buf = io.StringIO()
    frame.to_csv(buf, index=False, float_format="%.6g")
    best = res.best_feasible()
    return {
        "optimizer": cfg_dict["optimizer"], "seed": cfg.seed, "elapsed_s": res.elapsed_s, "csv": buf.getvalue(),
        "best_feasible": float(best["value"]) if best is not None else float("nan"),
        "infeasible_queries": int((~frame["feasible"].astype(bool)).sum()),
        **{c: frame[c].to_numpy(dtype=np.float64) for c in CURVES if frame[c].notna().any()},
    }


def run_compare(optimizers: Sequence[str], seeds: Sequence[int], base: SearchConfig, out: Path, *,
                jobs: int = 1, progress: bool = True, plots: bool = True, desc: str = "runs") -> dict[str, Any]:
    """Run every (optimizer, seed) with ``base`` settings; write curves, summary and plots into ``out``."""
    if not optimizers or not seeds:
        raise ConfigError("compare needs at least one optimizer and one seed")
    if len(set(seeds)) != len(seeds):
        raise ConfigError(f"duplicate seeds in {list(seeds)}")
    configs = [replace(base, optimizer=o, seed=int(s)) for o in optimizers for s in seeds]  # validates each
    out = Path(out)
    t0 = time.perf_counter()
    results: list[dict[str, Any]] = []
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(configs), desc=desc, unit="run", dynamic_ncols=True)
    try:
        if jobs <= 1:
            for o, c in zip([o for o in optimizers for _ in seeds], configs):
                results.append(_run_one({**c.to_dict(), "optimizer": o}))
                if bar is not None:
                    bar.update(1)
        else:
            import multiprocessing as mp

            with ProcessPoolExecutor(max_workers=jobs, mp_context=mp.get_context("spawn")) as ex:
                futs = [ex.submit(_run_one, {**c.to_dict(), "optimizer": o})
                        for o, c in zip([o for o in optimizers for _ in seeds], configs)]
                for f in as_completed(futs):
                    results.append(f.result())
                    if bar is not None:
                        bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    wall = time.perf_counter() - t0
    results.sort(key=lambda r: (list(optimizers).index(r["optimizer"]), r["seed"]))
    for r in results:
        atomic_write_text(out / "runs" / f"{r['optimizer']}_seed{r['seed']}.csv", r["csv"])

    rows = []
    for r in results:
        n = len(r["best_accuracy"])
        for i in range(n):
            rows.append({"optimizer": r["optimizer"], "seed": r["seed"], "query": i + 1,
                         **{c: float(r[c][i]) for c in CURVES if c in r}})
    import pandas as pd

    curves = pd.DataFrame(rows)
    buf = io.StringIO()
    curves.to_csv(buf, index=False, float_format="%.6g")
    atomic_write_text(out / "curves.csv", buf.getvalue())

    summary: dict[str, Any] = {"config": base.resolved().to_dict(), "optimizers": list(optimizers),
                               "seeds": [int(s) for s in seeds], "wall_s": round(wall, 3), "final": {},
                               "variant": variant_of(base.benchmark)}
    for o in optimizers:
        rs = [r for r in results if r["optimizer"] == o]
        entry: dict[str, Any] = {"mean_elapsed_s": float(np.mean([r["elapsed_s"] for r in rs]))}
        # the best value among architectures trainable with the labels' recipe (reward, or accuracy
        # in accuracy and Pareto modes); equal to the best overall unless --allow-infeasible
        bf = np.asarray([r["best_feasible"] for r in rs])
        entry["best_feasible"] = {"mean": float(np.nanmean(bf)) if np.isfinite(bf).any() else None,
                                  "se": float(np.nanstd(bf, ddof=1) / math.sqrt(np.isfinite(bf).sum()))
                                  if np.isfinite(bf).sum() > 1 else 0.0,
                                  "per_seed": [None if not np.isfinite(v) else float(v) for v in bf]}
        entry["infeasible_queries"] = [r["infeasible_queries"] for r in rs]
        for c in CURVES:
            if c == "best_reward" and base.resolved().objective == "accuracy":
                continue  # identical to best_accuracy
            if c in rs[0]:
                finals = np.asarray([r[c][-1] for r in rs])
                entry[c] = {"mean": float(finals.mean()),
                            "se": float(finals.std(ddof=1) / math.sqrt(len(finals))) if len(finals) > 1 else 0.0,
                            "per_seed": finals.tolist()}
        summary["final"][o] = entry
    if plots:
        from naslib_anb.search.plotting import plot_compare

        title = base.resolved().make_objective().describe()
        for c, label, fname in (("best_accuracy", f"best {base.accuracy} (%)", "best_accuracy.png"),
                                ("hypervolume", "hypervolume (normalised)", "hypervolume.png"),
                                ("best_reward", "best reward (%)", "best_reward.png")):
            if all(c in r for r in results):
                if c == "best_reward" and base.resolved().objective == "accuracy":
                    continue
                data = {o: np.vstack([r[c] for r in results if r["optimizer"] == o]) for o in optimizers}
                caption = ""
                dev = base.resolved().make_objective().device_target
                if c == "hypervolume" and dev is not None:
                    from naslib_anb.search.plotting import hypervolume_reference

                    caption = f"Hypervolume of ({base.accuracy}, {dev}): " + \
                        hypervolume_reference(base.accuracy, dev) + "."
                plot_compare(data, out / fname, ylabel=label, title=title, caption=caption)
    atomic_write_json(out / "summary.json", summary)
    return summary


def variant_of(benchmark: str) -> Any:
    """The surrogate variant a benchmark name stands for (None for the analytic toy)."""
    if benchmark == "toy":
        return None
    from naslib_anb.benchmark.variants import resolve_variant

    return resolve_variant(benchmark)


def variant_dir(variant: str) -> str:
    """A directory name for a variant (``member:2`` -> ``member-2``)."""
    return variant.replace(":", "-")


def run_variant_compare(optimizers: Sequence[str], seeds: Sequence[int], base: SearchConfig, out: Path,
                        variants: Sequence[str], *, jobs: int = 1, progress: bool = True,
                        plots: bool = True) -> dict[str, Any]:
    """The same comparison on ``base``'s benchmark (written to ``out`` as usual) and on every other
    variant (``out/variants/<variant>/``); then ``robustness.json`` and ``robustness.txt`` in ``out``."""
    from naslib_anb.search.robustness import robustness

    first = variant_of(base.benchmark)
    if first is None:
        raise ConfigError("--variants compares variants of the surrogate benchmark; --benchmark toy has none")
    order = [first, *[v for v in variants if v != first]]
    summaries, dirs = {}, {}
    for i, v in enumerate(order):
        cfg = base if v == first else replace(base, benchmark=v)
        d = Path(out) if v == first else Path(out) / "variants" / variant_dir(v)
        dirs[v] = "." if v == first else d.relative_to(out).as_posix()
        summaries[v] = run_compare(optimizers, seeds, cfg, d, jobs=jobs, progress=progress, plots=plots,
                                   desc=f"{v} ({i + 1}/{len(order)})")
    metrics = [c for c in CURVES if all(c in s["final"][o] for s in summaries.values() for o in optimizers)]
    reports = {c: robustness({v: {o: s["final"][o][c]["per_seed"] for o in optimizers}
                              for v, s in summaries.items()}) for c in metrics}
    result = {"optimizers": list(optimizers), "seeds": [int(s) for s in seeds], "variants": order,
              "variant_dirs": dirs, "config": base.resolved().to_dict(), "metrics": reports,
              "note": "final value of each run (higher is better); ranks by the mean over seeds"}
    atomic_write_json(Path(out) / "robustness.json", result)
    atomic_write_text(Path(out) / "robustness.txt", format_robustness(result) + "\n")
    if plots:
        from naslib_anb.search.plotting import plot_robustness

        head = f"{len(seeds)} seeds, budget {base.budget}, {len(order)} variants"
        plot_robustness({f"{c} ({head})": r for c, r in reports.items()}, Path(out) / "robustness.png",
                        ylabel="final value (higher is better)", title="Does the ranking survive another surrogate?")
    return result


def format_robustness(result: dict[str, Any]) -> str:
    from naslib_anb.search.robustness import format_report

    head = (f"{', '.join(result['optimizers'])} x {len(result['seeds'])} seeds, budget "
            f"{result['config']['budget']}, on {len(result['variants'])} variants")
    return "\n\n".join([head, *(format_report(r, c) for c, r in result["metrics"].items())])


def format_summary(summary: dict[str, Any]) -> str:
    lines = []
    keys = [c for c in CURVES if any(c in e for e in summary["final"].values())] + ["best_feasible"]
    lines.append(f"{'optimizer':<12}" + "".join(f"{k + ' (mean ± se)':>30}" for k in keys) + f"{'s/run':>8}")
    for o, e in summary["final"].items():
        cells = "".join(f"{e[k]['mean']:>20.4f} ± {e[k]['se']:<7.4f}" if k in e and e[k]["mean"] is not None
                        else f"{'-':>30}" for k in keys)
        lines.append(f"{o:<12}{cells}{e['mean_elapsed_s']:>8.2f}")
    lines.append(f"{len(summary['seeds'])} seeds, wall {summary['wall_s']:.1f} s")
    limit = summary.get("config", {}).get("max_distance")
    if limit is not None:
        lines.append(f"trust region: every query within max_distance {limit} decisions of the measured data")
    return "\n".join(lines)
