#!/usr/bin/env python
"""A miniature Accel-NASBench, end to end, on real images that ship with scikit-learn. See docs/mini_anb.md.

    python runners/mini_anb.py --out mini_anb_run            # the documented run
    python runners/mini_anb.py --out /tmp/mini --tiny         # the CI smoke size (about a minute)

The chain (each stage is cached under ``--out``, so a rerun, or a run after a kill, resumes and
loses at most the epoch in progress):

1. ``data/``     the 1,797 digits as an ImageFolder at 32 px (``naslib-anb digits``)
2. ``proxy/``    proxy-recipe search: the reference recipe and cheaper candidates train the same
                 reference architectures (spread over MACs and params); per recipe: Kendall tau of
                 its top-1 against the reference's and mean training time. The chosen recipe has the
                 highest tau among those at most ``--t-spec-fraction`` of the reference's time.
3. ``collect/``  ``--n-collect`` uniformly sampled architectures trained with the chosen recipe
                 by the collection engine (``results/`` is an ANB-schema dataset)
4. ``models/``   ``naslib-anb fit`` on them (a random train/val/test split; test R2 and tau)
5. ``search/``   RS, RE and REINFORCE with one budget on the fitted surrogate (``--sim-seeds``
                 seeds) and as true runs that train every query with the chosen recipe
                 (``--true-seeds`` seeds; ``true_store/`` caches every trained architecture)
6. ``summary.json`` and ``trajectories.png`` (true vs simulated best-so-far top-1)
"""
from __future__ import annotations

import argparse
import json
import logging
import math
import os
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Optional

log = logging.getLogger("mini_anb")

OPTIMIZERS = ("rs", "re", "reinforce")
#: MiniSpec fields that only size the search stage (may change between reruns of one --out)
SEARCH_FIELDS = ("budget", "sim_seeds", "true_seeds")

#: The base recipe for the digits: p*'s structure (SGD, triangular LR, label smoothing) sized for a
#: shared CPU: an "epoch" is 8 steps of 16 images (``max_steps_per_epoch``), a light augmentation
#: that suits digits (no flips, mild crops), precise BN before validating (short runs) and a
#: classifier initialised for a 10-class head.
BASE_RECIPE: dict[str, Any] = dict(
    num_workers=0, batch_size=16, val_batch_size=512, drop_last=True, amp=False, channels_last=False,
    max_steps_per_epoch=8, hflip=0.0, rrc_scale=(0.6, 1.0), val_crop_ratio=1.0, res_multiple=8,
    start_ramp=0, end_ramp=0, lr=0.02, lr_ref_batch=16, label_smoothing=0.1, drop_rate=0.1,
    drop_path_rate=0.0, weight_decay=5e-5, val_last_epochs=1, init="anb_fanin", bn_recalibration_batches=8,
    seed=0,
)


def _res(r: int) -> dict[str, int]:
    return dict(min_res=r, max_res=r, val_res=r, memory_probe_res=r)


#: (name, overrides): the reference recipe first, then cheaper candidates (the proxy knobs:
#: epochs and resolution; the LR peaks at a quarter of the run).
RECIPES: tuple[tuple[str, dict[str, Any]], ...] = (
    ("reference", dict(epochs=6, lr_peak_epoch=1.5, **_res(32))),
    ("e3_r16", dict(epochs=3, lr_peak_epoch=0.75, **_res(16))),
    ("e2_r16", dict(epochs=2, lr_peak_epoch=0.5, **_res(16))),
    ("e1_r16", dict(epochs=1, lr_peak_epoch=0.25, **_res(16))),
    ("e3_r8", dict(epochs=3, lr_peak_epoch=0.75, **_res(8))),
)
TINY_RECIPES: tuple[tuple[str, dict[str, Any]], ...] = (
    ("reference", dict(epochs=2, lr_peak_epoch=0.5, max_steps_per_epoch=2, batch_size=8, **_res(16))),
    ("e1_r16", dict(epochs=1, lr_peak_epoch=0.25, max_steps_per_epoch=2, batch_size=8, **_res(16))),
    ("e2_r8", dict(epochs=2, lr_peak_epoch=0.5, max_steps_per_epoch=2, batch_size=8, **_res(8))),
    ("e1_r8", dict(epochs=1, lr_peak_epoch=0.25, max_steps_per_epoch=2, batch_size=8, **_res(8))),
    ("e1_r8_s1", dict(epochs=1, lr_peak_epoch=0.25, max_steps_per_epoch=1, batch_size=8, **_res(8))),
)


@dataclass
class MiniSpec:
    """Every size of the chain (saved as ``spec.json``; a rerun must use the same one)."""

    size: int = 32
    per_class: Optional[int] = None
    val_fraction: float = 0.2
    n_proxy: int = 12
    n_collect: int = 200
    budget: int = 24
    sim_seeds: int = 5
    true_seeds: int = 1
    t_spec_fraction: float = 0.3
    seed: int = 0
    split_fractions: tuple[float, float, float] = (0.7, 0.1, 0.2)
    fit_members: int = 5
    fit_folds: int = 5
    fit_calibration_folds: int = 2
    re_population: int = 8
    re_sample: int = 4
    reinforce_batch: int = 4
    recipes: list = field(default_factory=lambda: [list(r) for r in RECIPES])
    smoke_test: bool = False  #: --tiny: checks that the chain runs; its figures are noise

    @classmethod
    def tiny(cls) -> "MiniSpec":
        return cls(smoke_test=True, per_class=10, val_fraction=0.5, n_proxy=3, n_collect=8, budget=3, sim_seeds=2, true_seeds=1,
                   t_spec_fraction=1.0, split_fractions=(0.5, 0.125, 0.375), fit_members=2, fit_folds=2,
                   fit_calibration_folds=0,
                   re_population=2, re_sample=2, reinforce_batch=2, recipes=[list(r) for r in TINY_RECIPES])


def _write_json(path: Path, obj: Any) -> None:
    from naslib_anb.io import atomic_write_json

    atomic_write_json(path, obj)


def _recipe(spec: MiniSpec, data_dir: Path, name: str):
    from naslib_anb.training.config import TrainConfig, data_overrides

    over = dict(spec.recipes)[name]
    return TrainConfig.from_dict({**BASE_RECIPE, **over, **data_overrides(data_dir, num_classes=10),
                                  "name": f"digits_{name}"})


def _bench(store: Path, cfg, workers: int):
    from naslib_anb.benchmark.training import TrainingBenchmark

    return TrainingBenchmark(store, cfg, executor="local" if workers > 1 else "inline", workers=workers)


#: The question run (``--study``): is a recipe long enough that architectures differ by more than
#: seed noise, and does a surrogate rank them? Every training image every epoch (44 steps of 32),
#: 16 px (twice the digits' native 8 px), 6 epochs, SGD peaking at 0.02 after one epoch, no label
#: smoothing. The earlier 4 epochs at a peak LR of 0.05 with smoothing 0.1 left runs bimodal (one
#: architecture 21 / 77 / 37 % across seeds): seed noise then exceeded the architecture spread.
STUDY_RECIPE: dict[str, Any] = dict(batch_size=32, max_steps_per_epoch=None, lr=0.02, lr_ref_batch=32, epochs=6,
                                    lr_peak_epoch=1.0, label_smoothing=0.0, **_res(16))


@dataclass
class StudySpec:
    """Sizes of the question run (saved as ``study/spec.json``)."""

    size: int = 16
    n_archs: int = 12
    seeds: int = 3
    seed: int = 0
    bootstrap: int = 2000
    recipe: dict = field(default_factory=lambda: dict(STUDY_RECIPE))
    smoke_test: bool = False

    @classmethod
    def tiny(cls) -> "StudySpec":
        """The CI size: 3 architectures x 2 seeds, 2 steps of 8 images (a smoke test: figures are noise)."""
        return cls(n_archs=3, seeds=2, bootstrap=200, smoke_test=True,
                   recipe=dict(STUDY_RECIPE, batch_size=8, max_steps_per_epoch=2, epochs=1, lr_peak_epoch=0.25))


def study_archs(spec: StudySpec) -> list[str]:
    """``n_archs`` architectures spread as far apart as possible over MACs and params."""
    return reference_archs(MiniSpec(n_proxy=spec.n_archs, seed=spec.seed))


def _study_recipe(spec: StudySpec, data_dir: Path, seed: int):
    from naslib_anb.training.config import TrainConfig, data_overrides

    return TrainConfig.from_dict({**BASE_RECIPE, **spec.recipe, **data_overrides(data_dir, num_classes=10),
                                  "seed": seed, "name": f"digits_study_seed{seed}"})


def stage_study(spec: StudySpec, out: Path, workers: int) -> dict[str, Any]:
    """Train every study architecture under every seed (one store per seed: nothing trains twice),
    then score seed noise and a leave-one-out surrogate against the seed means."""
    import numpy as np

    from naslib_anb.training.digits import write_digits
    from naslib_anb.training.seed_study import cross_validated_predictions, seed_noise_summary, tau_bootstrap_ci

    root = out / "study"
    data = root / "data"
    write_digits(data, size=spec.size, val_fraction=0.2, seed=spec.seed)
    archs = study_archs(spec)
    table, times = [], []
    for s in range(spec.seeds):
        recs = _bench(root / f"seed{s}", _study_recipe(spec, data, s), workers).measure(archs)
        table.append([r["metrics"]["val_top1"] for r in recs])
        times += [r["metrics"]["train_time"] for r in recs]
        log.info("study seed %d: %d architectures trained", s, len(recs))
    top1 = np.asarray(table).T  # (arch, seed)
    means = top1.mean(1)
    pred = cross_validated_predictions(archs, means, family="gp", folds=0, seed=spec.seed)
    result = {"smoke_test": spec.smoke_test, "spec": asdict(spec), "archs": archs, "top1": top1.tolist(),
              "mean_train_time_s": float(np.mean(times)), "noise": seed_noise_summary(top1),
              "surrogate": {"family": "gp", "protocol": "leave-one-out on the seed means",
                            "pred": pred.tolist(),
                            **tau_bootstrap_ci(pred, means, seed=spec.seed, n_resamples=spec.bootstrap)}}
    _write_json(root / "study.json", result)
    plot_study(result, root / "study.png")
    return result


def plot_study(result: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    top1 = np.asarray(result["top1"])
    order = np.argsort(top1.mean(1))
    fig, axes = plt.subplots(1, 2, figsize=(8, 3.2))
    x = np.arange(len(order))
    for s in range(top1.shape[1]):
        axes[0].scatter(x, top1[order, s], s=10, alpha=0.7, label=f"seed {s}")
    axes[0].plot(x, top1[order].mean(1), "k-", lw=1, label="mean")
    axes[0].set(xlabel="architecture (by mean top-1)", ylabel="val top-1 (%)")
    axes[0].set_title("(a) seeds per architecture", fontsize=9)
    axes[0].legend(fontsize=7)
    sv = result["surrogate"]
    axes[1].scatter(top1.mean(1), sv["pred"], s=12)
    axes[1].set(xlabel="measured top-1, mean of seeds (%)", ylabel="surrogate (leave-one-out) (%)")
    axes[1].set_title(f"(b) tau {sv['kendall_tau']:.2f} [{sv['ci_low']:.2f}, {sv['ci_high']:.2f}]", fontsize=9)
    for ax in axes:
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)


def study_report(result: dict[str, Any]) -> str:
    """The figures of a finished ``--study`` as Markdown (docs/mini_anb.md quotes this output)."""
    n, sv = result["noise"], result["surrogate"]
    return "\n".join((["SMOKE TEST (--tiny): these figures are noise"] if result.get("smoke_test") else []) + [
        f"{n['architectures']} architectures x {n['seeds']} seeds, mean train time {result['mean_train_time_s']:.1f} s",
        f"between-architecture sd of the seed means: {n['between_arch_sd_of_means']:.2f} pts; "
        f"within-architecture seed sd (pooled): {n['within_arch_seed_sd']:.2f} pts; "
        f"range of means {n['range_of_means']:.2f} pts",
        f"one-way ANOVA architecture vs seed: F {n['anova_f']:.1f}, p {n['anova_p']:.2g}; "
        f"pairs separated by > 2 SE: {100 * n['separated_pairs']:.0f} %",
        f"Kendall tau seed vs seed: {', '.join(f'{t:.3f}' for t in n['seed_vs_seed_tau'])} "
        f"(mean {n['seed_vs_seed_tau_mean']:.3f})",
        f"surrogate ({sv['family']}, {sv['protocol']}) vs measured mean: Kendall tau {sv['kendall_tau']:.3f}, "
        f"{100 * sv['confidence']:.0f} % bootstrap CI [{sv['ci_low']:.3f}, {sv['ci_high']:.3f}] "
        f"({sv['n_resamples']} resamples over {sv['n']} architectures)"])


# -- stages -------------------------------------------------------------------------------------
def stage_data(spec: MiniSpec, out: Path) -> Path:
    from naslib_anb.training.digits import write_digits

    write_digits(out / "data", size=spec.size, val_fraction=spec.val_fraction, seed=spec.seed,
                 per_class=spec.per_class)
    return out / "data"


def reference_archs(spec: MiniSpec) -> list[str]:
    """``n_proxy`` architectures spread evenly over MACs and params (as the paper's reference set)."""
    from naslib_anb.space.cost import arch_cost
    from naslib_anb.training.collect import sample_archs
    from naslib_anb.training.proxy_search import select_reference_set

    pool = sample_archs(max(20 * spec.n_proxy, 200), seed=spec.seed + 1000)
    cost = [arch_cost(a) for a in pool]
    idx = select_reference_set([c.macs_m for c in cost], [c.params_m for c in cost], spec.n_proxy, spec.seed)
    return [str(pool[i]) for i in idx]


def stage_proxy(spec: MiniSpec, out: Path, data: Path, workers: int) -> dict[str, Any]:
    import numpy as np

    from naslib_anb.training.ranking import kendall_tau

    archs = reference_archs(spec)
    rows, ref = [], None
    for name, _ in spec.recipes:
        t0 = time.time()
        recs = _bench(out / "proxy" / name, _recipe(spec, data, name), workers).measure(archs)
        ok = [r is not None for r in recs]
        top1 = [r["metrics"]["val_top1"] if r is not None else math.nan for r in recs]
        times = [r["metrics"]["train_time"] for r in recs if r is not None]
        if ref is None:
            ref = top1
        both = [i for i in range(len(archs)) if ok[i] and not math.isnan(ref[i])]
        row = {"recipe": name, "tau": kendall_tau([top1[i] for i in both], [ref[i] for i in both]),
               "mean_train_time_s": float(np.mean(times)), "mean_top1": float(np.nanmean(top1)),
               "models": int(sum(ok)), "wall_s": round(time.time() - t0, 1), **dict(spec.recipes)[name]}
        rows.append(row)
        log.info("proxy %s: tau %.3f, mean train time %.2f s", name, row["tau"], row["mean_train_time_s"])
    t_ref = rows[0]["mean_train_time_s"]
    t_spec = spec.t_spec_fraction * t_ref
    cands = [r for r in rows[1:] if r["mean_train_time_s"] <= t_spec and not math.isnan(r["tau"])]
    if not cands:  # nothing meets the time bound: the cheapest candidate
        chosen = min(rows[1:], key=lambda r: r["mean_train_time_s"])
    else:
        chosen = max(cands, key=lambda r: (r["tau"], -r["mean_train_time_s"]))
    summary = {"archs": archs, "reference_top1": ref, "t_spec_s": t_spec, "rows": rows,
               "chosen": chosen["recipe"], "chosen_meets_t_spec": bool(cands),
               "rule": f"max tau over candidates with mean train time <= {spec.t_spec_fraction} x the reference's"}
    _write_json(out / "proxy" / "summary.json", summary)
    return summary


def stage_collect(spec: MiniSpec, out: Path, cfg, workers: int, until: Optional[float] = None) -> dict[str, Any]:
    """Plan ``n_collect`` architectures and train them through the collection engine, in rounds of
    ``10 * workers``; with ``until`` (a Unix time) no new round starts after it, and the chain goes
    on with the architectures done so far (a rerun without it finishes the plan)."""
    from naslib_anb.training.collect import CollectSpec, make_plan
    from naslib_anb.training.evaluate import EvalOptions, campaign_status, evaluate_archs

    cs = CollectSpec(out_dir=str((out / "collect").resolve()), n=spec.n_collect, seed=spec.seed,
                     sampler="uniform", config=cfg.to_dict(), max_retries=1)
    plan = make_plan(cs)
    t0 = time.time()
    executor = "local" if workers > 1 else "inline"
    step = 10 * workers
    for i in range(0, len(plan), step):
        if until is not None and time.time() > until:
            log.warning("collection stopped at its deadline; %d of %d planned rounds started", i // step,
                        -(-len(plan) // step))
            break
        part = plan[i:i + step]
        evaluate_archs(part, cfg, cs.out_dir, executor=executor, chunk_size=-(-len(part) // workers),
                       options=EvalOptions(max_retries=1))
    st = campaign_status(cs.out_dir, 1)
    st["planned"] = len(plan)
    st["pending"] = len(plan) - st["done"] - len(st["skipped"]) - len(st["gave_up"]) - st["running"]
    st["wall_s_this_call"] = round(time.time() - t0, 1)
    return st


def stage_fit(spec: MiniSpec, out: Path) -> dict[str, Any]:
    """``naslib-anb fit`` on the collected records (a subprocess: exactly the documented command)."""
    models = out / "models"
    if not (models / "manifest.json").is_file():
        cmd = [sys.executable, "-m", "naslib_anb.cli.main", "fit", "--data", str(out / "collect" / "results"),
               "--targets", "val_top1", "--split", "random", "--split-seed", str(spec.seed),
               "--split-fractions", *map(str, spec.split_fractions), "--members", str(spec.fit_members),
               "--folds", str(spec.fit_folds), "--calibration-folds", str(spec.fit_calibration_folds),
               "--threads", "1", "--out", str(models), "--force"]
        log.info("fit: %s", " ".join(cmd))
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    man = json.loads((models / "manifest.json").read_text())
    ens = man["metrics"]["val_top1"]["ensemble"]
    return {"split": man.get("split") or man.get("data", {}).get("split"), "test_r2": ens["r2"],
            "test_kendall_tau": ens["kendall_tau"], "family": man.get("family") or man.get("config", {}).get("family")}


def _search(opt: str, seed: int, spec: MiniSpec, bench) -> dict[str, Any]:
    from naslib_anb.search.driver import run_search
    from naslib_anb.search.records import SearchConfig

    kw = {"re": {"population_size": spec.re_population, "sample_size": spec.re_sample},
          "reinforce": {"batch_size": spec.reinforce_batch}}.get(opt, {})
    res = run_search(SearchConfig(optimizer=opt, seed=seed, budget=spec.budget, optimizer_kwargs=kw), bench)
    return {"optimizer": opt, "seed": seed, "archs": [r.arch for r in res.records],
            "top1": [r.values["val_top1"] for r in res.records],
            "best": [r.best_accuracy for r in res.records]}


def stage_search(spec: MiniSpec, out: Path, cfg, workers: int) -> dict[str, Any]:
    from naslib_anb.benchmark import load_benchmark

    sim = load_benchmark(model_dir=out / "models")
    runs: dict[str, list] = {"simulated": [], "true": []}
    for opt in OPTIMIZERS:
        for seed in range(spec.sim_seeds):
            runs["simulated"].append(_search(opt, seed, spec, sim))
    true = _bench(out / "true_store", cfg, workers)
    for seed in range(spec.true_seeds):
        for opt in OPTIMIZERS:
            path = out / "search" / f"true_{opt}_seed{seed}_budget{spec.budget}.json"
            if not path.is_file():  # replayed from true_store if killed mid-run: nothing retrains
                _write_json(path, _search(opt, seed, spec, true))
            runs["true"].append(json.loads(path.read_text()))
    _write_json(out / "search" / "runs.json", runs)
    # the surrogate against measurement on the architectures the true runs trained (never seen in fitting)
    from naslib_anb.training.ranking import kendall_tau

    measured = sorted(true.cached_archs())
    y = true.query_all(measured, ["val_top1"])["val_top1"]
    p = sim.query(measured, "val_top1")
    import numpy as np

    r2 = 1.0 - float(np.sum((y - p) ** 2) / np.sum((y - y.mean()) ** 2)) if len(y) > 1 else math.nan
    return {"runs": runs, "true_archs_trained": len(measured),
            "surrogate_vs_true_runs": {"n": len(measured), "kendall_tau": kendall_tau(p, y), "r2": r2}}


def trajectories(runs: list[dict[str, Any]]) -> dict[str, dict[str, list[float]]]:
    """Mean and std over seeds of the best-so-far top-1 per optimizer."""
    import numpy as np

    out = {}
    for opt in OPTIMIZERS:
        b = np.asarray([r["best"] for r in runs if r["optimizer"] == opt], dtype=float)
        if len(b):
            out[opt] = {"mean": b.mean(0).tolist(), "std": b.std(0).tolist(), "seeds": len(b),
                        "final_mean": float(b[:, -1].mean())}
    return out


def plot(summary: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    fig, axes = plt.subplots(1, 2, figsize=(8, 3.2), sharey=True)
    for ax, kind, title in ((axes[0], "true", "(a) true runs (training)"),
                            (axes[1], "simulated", "(b) simulated runs (fitted surrogate)")):
        for opt, tr in summary["trajectories"][kind].items():
            m, s = np.asarray(tr["mean"]), np.asarray(tr["std"])
            x = np.arange(1, len(m) + 1)
            ax.plot(x, m, label=f"{opt.upper()} ({tr['seeds']} seed{'s' if tr['seeds'] > 1 else ''})")
            if tr["seeds"] > 1:
                ax.fill_between(x, m - s, m + s, alpha=0.2)
        ax.set_title(title, fontsize=9)
        ax.set_xlabel("queries")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("best val top-1 so far (%)")
    axes[1].legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)


def run_chain(spec: MiniSpec, out: Path, workers: int = 1, collect_until: Optional[float] = None) -> dict[str, Any]:
    out.mkdir(parents=True, exist_ok=True)
    spec_path = out / "spec.json"
    from naslib_anb.errors import ConfigError

    # everything but the search sizes determines cached stages (search results are keyed by budget and seed)
    fixed = {k: v for k, v in json.loads(json.dumps(asdict(spec))).items() if k not in SEARCH_FIELDS}
    if spec_path.is_file():
        old = {k: v for k, v in json.loads(spec_path.read_text()).items() if k not in SEARCH_FIELDS}
        old = {**fixed, **old}  # a field added since that run: its default
        if old != fixed:
            diff = sorted(k for k in set(old) | set(fixed) if old.get(k) != fixed.get(k))
            raise ConfigError(f"{out} was started with other sizes ({', '.join(diff)} differ); resume with the "
                              "same flags or use a new --out")
    _write_json(spec_path, asdict(spec))
    t0 = time.time()
    data = stage_data(spec, out)
    proxy = stage_proxy(spec, out, data, workers)
    cfg = _recipe(spec, data, proxy["chosen"])
    collect = stage_collect(spec, out, cfg, workers, collect_until)
    fit = stage_fit(spec, out)
    search = stage_search(spec, out, cfg, workers)
    summary = {
        "proxy": {k: proxy[k] for k in ("rows", "chosen", "chosen_meets_t_spec", "t_spec_s", "rule")},
        "collect": collect, "fit": fit,
        "surrogate_vs_true_runs": search["surrogate_vs_true_runs"],
        "true_archs_trained": search["true_archs_trained"],
        "trajectories": {k: trajectories(v) for k, v in search["runs"].items()},
        "budget": spec.budget, "wall_s_this_call": round(time.time() - t0, 1),
        "smoke_test": spec.smoke_test,
    }
    if summary["smoke_test"]:
        summary["note"] = SMOKE_NOTE
    plot(summary, out / "trajectories.png")
    _write_json(out / "summary.json", summary)
    return summary


def report(summary: dict[str, Any]) -> str:
    """The figures of a finished run as Markdown (docs/mini_anb.md quotes this output)."""
    lines = ["| recipe | Kendall tau vs reference | mean train time (s) | mean top-1 (%) | models |",
             "|---|---|---|---|---|"]
    for r in summary["proxy"]["rows"]:
        mark = " (chosen)" if r["recipe"] == summary["proxy"]["chosen"] else ""
        lines.append(f"| {r['recipe']}{mark} | {r['tau']:.3f} | {r['mean_train_time_s']:.1f} | "
                     f"{r['mean_top1']:.1f} | {r['models']} |")
    c, f, sv = summary["collect"], summary["fit"], summary["surrogate_vs_true_runs"]
    lines += ["", f"collection: {c['done']} of {c['planned']} planned architectures trained "
                  f"({len(c['skipped'])} skipped, {len(c['gave_up'])} given up, {c['pending']} pending)",
              f"fit (val_top1, {f['split']['train']}/{f['split']['val']}/{f['split']['test']} train/val/test): "
              f"test R2 {f['test_r2']:.3f}, test Kendall tau {f['test_kendall_tau']:.3f}",
              f"surrogate vs measured top-1 on the {sv['n']} architectures the true runs trained: "
              f"Kendall tau {sv['kendall_tau']:.3f}, R2 {sv['r2']:.3f}", "",
              f"| optimizer | true: best top-1 after {summary['budget']} queries | "
              f"simulated: best predicted top-1 (mean +- std over seeds) |", "|---|---|---|"]
    tr = summary["trajectories"]
    for opt in OPTIMIZERS:
        t, sm = tr["true"].get(opt), tr["simulated"].get(opt)
        tt = f"{t['final_mean']:.2f} ({t['seeds']} seed{'s' if t['seeds'] > 1 else ''})" if t else "-"
        ss = f"{sm['final_mean']:.2f} +- {sm['std'][-1]:.2f} ({sm['seeds']} seeds)" if sm else "-"
        lines.append(f"| {opt.upper()} | {tt} | {ss} |")
    return "\n".join(lines)


def _utc_today(hhmm: Optional[str]) -> Optional[float]:
    if hhmm is None:
        return None
    import datetime as dt

    from naslib_anb.errors import ConfigError

    try:
        t = dt.datetime.strptime(hhmm, "%H:%M").time()
    except ValueError:
        raise ConfigError(f"--collect-until is {hhmm!r}; valid: a UTC time HH:MM") from None
    return dt.datetime.combine(dt.datetime.now(dt.timezone.utc).date(), t, tzinfo=dt.timezone.utc).timestamp()


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description="A miniature Accel-NASBench on sklearn's digits, end to end.")
    p.add_argument("--out", required=True, type=Path, help="run directory (a rerun resumes it)")
    p.add_argument("--study", action="store_true",
                   help="the question run: architectures x seeds with a longer recipe, seed noise against "
                        "architecture spread and a surrogate's Kendall tau with a bootstrap CI")
    p.add_argument("--study-archs", type=int, default=None, help="architectures of --study (default 12)")
    p.add_argument("--study-seeds", type=int, default=None, help="training seeds of --study (default 3)")
    p.add_argument("--tiny", action="store_true",
                   help="the CI smoke size (a handful of archs, a few steps: a smoke test, its figures mean nothing)")
    p.add_argument("--workers", type=int, default=1, help="parallel trainings (submitit local processes)")
    p.add_argument("--n-collect", type=int, default=None, help="architectures to collect (default 200)")
    p.add_argument("--n-proxy", type=int, default=None, help="reference architectures of the proxy search (12)")
    p.add_argument("--budget", type=int, default=None, help="queries per search run (default 24)")
    p.add_argument("--sim-seeds", type=int, default=None, help="seeds of the simulated runs (default 5)")
    p.add_argument("--true-seeds", type=int, default=None, help="seeds of the true runs (default 1)")
    p.add_argument("--collect-until", default=None, metavar="HH:MM",
                   help="UTC time after which no new collection round starts (the chain goes on with what is "
                        "done; a rerun without it finishes the plan)")
    p.add_argument("--report", action="store_true", help="print the figures of a finished --out as Markdown")
    p.add_argument("-v", "--verbose", action="store_true")
    return p


def _run(args: argparse.Namespace) -> int:
    if args.study:
        spec = StudySpec.tiny() if args.tiny else StudySpec()
        spec.n_archs = args.study_archs or spec.n_archs
        spec.seeds = args.study_seeds or spec.seeds
        stage_study(spec, args.out, args.workers)
        print(study_report(json.loads((args.out / "study" / "study.json").read_text())))
        if spec.smoke_test:
            print(SMOKE_NOTE)
        print(f"wrote {args.out}/study/study.json and {args.out}/study/study.png")
        return 0
    spec = MiniSpec.tiny() if args.tiny else MiniSpec()
    for flag in ("n_collect", "n_proxy", "budget", "sim_seeds", "true_seeds"):
        if getattr(args, flag) is not None:
            setattr(spec, flag, getattr(args, flag))
    summary = run_chain(spec, args.out, args.workers, _utc_today(args.collect_until))
    show = {"smoke_test": summary["smoke_test"]}
    show.update({k: summary[k] for k in ("proxy", "collect", "fit", "surrogate_vs_true_runs")})
    show["final_best_top1"] = {kind: {o: round(t["final_mean"], 2) for o, t in tr.items()}
                               for kind, tr in summary["trajectories"].items()}
    print(json.dumps(show, indent=1, default=str))
    if summary["smoke_test"]:
        print(SMOKE_NOTE)
    print(f"wrote {args.out}/summary.json and {args.out}/trajectories.png")
    return 0


#: What a ``--tiny`` run is (printed with its output and stored in its summary.json).
SMOKE_NOTE = ("SMOKE TEST (--tiny): a few steps per model and a handful of architectures; it checks that the "
              "code runs, its figures (tau, accuracies) are noise. The question run is --study (docs/mini_anb.md).")


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    if args.report:
        study = args.out / "study" / "study.json"
        print(study_report(json.loads(study.read_text())) if study.is_file()
              else report(json.loads((args.out / "summary.json").read_text())))
        return 0
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(asctime)s %(name)s %(message)s")
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    import torch

    torch.set_num_threads(int(os.environ["OMP_NUM_THREADS"]))
    from naslib_anb.errors import ANBError

    try:
        return _run(args)
    except ANBError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
