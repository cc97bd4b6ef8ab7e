"""``naslib-anb search``: one zero-cost search run on the benchmark, with its Pareto set and plots."""
from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any, Optional

from naslib_anb.errors import ConfigError
from naslib_anb.io import parse_key_values, read_yaml_mapping

# CLI flag -> SearchConfig field
_FIELD_OF = {
    "optimizer": "optimizer", "seed": "seed", "budget": "budget", "objective": "objective",
    "device": "device", "metric": "metric", "target": "reward_target", "weight": "reward_weight",
    "weight_miss": "reward_weight_miss", "accuracy": "accuracy", "benchmark": "benchmark",
    "max_distance": "max_distance",
}


def max_distance_arg(text: str):
    """``--max-distance``: an int literal becomes an int; anything else is passed on as given, so
    that SearchConfig refuses it in one line naming the value and the valid range (0..28)."""
    try:
        return int(text, 10)
    except ValueError:
        return text


def add_common_arguments(p: argparse.ArgumentParser, *, single: bool = True) -> None:
    """Arguments shared by ``search`` and ``compare`` (defaults None: the YAML/dataclass default applies)."""
    g = p.add_argument_group("objective")
    g.add_argument("--device", help="device for a bi-objective search (a100, 3090, tpuv2, tpuv3, zcu102, vck190)")
    g.add_argument("--metric", help="throughput (default) or latency (zcu102, vck190 only)")
    g.add_argument("--objective", help="accuracy | reward (MnasNet soft constraint; default with --device) | "
                                       "pareto (rs/re only)")
    g.add_argument("--target", type=float, metavar="T", help="T of the reward acc*(m/T)^w (default: published "
                                                               "per-device median)")
    g.add_argument("--weight", type=float, metavar="W", help="w of the reward (default 0.07)")
    g.add_argument("--weight-miss", type=float, metavar="W", dest="weight_miss",
                   help="exponent when T is missed (MnasNet beta; default = --weight)")
    r = p.add_argument_group("run")
    r.add_argument("--budget", type=int, help=f"queries per run (default 600, at most {MAX_BUDGET:,})")
    r.add_argument("--allow-infeasible", action="store_true", dest="allow_infeasible",
                   help="also ask architectures too large to train with the labels' recipe (surrogate "
                        "extrapolation; default: feasible ones only)")
    r.add_argument("--max-distance", type=max_distance_arg, dest="max_distance", metavar="D",
                   help="trust region: ask only architectures within D decisions (0..28) of a measured one "
                        "(default: no limit); see docs/trust_region.md")
    r.add_argument("--benchmark", help="anb (shipped surrogates, default), a variant of it (member:K: one "
                                       "ensemble member alone; lgb: the LightGBM family; see docs/robustness.md) "
                                       "or toy (analytic smoke test)")
    r.add_argument("--config", type=Path, metavar="FILE", help="YAML of SearchConfig fields used as defaults")
    r.add_argument("--opt", action="append", default=[], metavar="KEY=VALUE",
                   help="optimizer argument, e.g. --opt population_size=50 (repeatable; YAML values)")
    r.add_argument("--out", type=Path, required=True, help="output directory (must be empty unless --force); written whole at the end")
    r.add_argument("--force", action="store_true", help="replace a non-empty --out (the whole directory)")
    r.add_argument("--no-progress", action="store_true", help="no progress bar")
    r.add_argument("--no-plots", action="store_true", help="skip the PNG figures")


def add_parser(sub) -> None:
    p = sub.add_parser("search", help="zero-cost NAS (rs, re, reinforce) on the benchmark",
                       description="Search the MnasNet space on the benchmark; writes config.yaml, queries.csv, "
                                   "pareto.csv/json, summary.json, trajectory.png, pareto.png.")
    p.add_argument("--optimizer", help="rs | re | reinforce (rs-pareto, re-pareto with --objective pareto); "
                                       "required unless --config FILE names one")
    p.add_argument("--seed", type=int, help="random seed (default 0)")
    add_common_arguments(p)
    add_benchmark_source_arguments(p)
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.set_defaults(func=run)


def add_benchmark_source_arguments(p: argparse.ArgumentParser) -> None:
    """Search a fitted model directory, or search "for real" by training (true search)."""
    g = p.add_argument_group("benchmark source (instead of --benchmark)")
    g.add_argument("--models", type=Path, metavar="DIR", help="a model directory written by `naslib-anb fit`")
    g.add_argument("--train-store", type=Path, metavar="DIR",
                   help="true search: train every queried architecture with a recipe and cache its result "
                        "in DIR (a rerun reuses it and resumes an interrupted architecture)")
    g.add_argument("--train-recipe", type=Path, metavar="FILE",
                   help="TrainConfig YAML for --train-store (default: the recipe the store was made with)")
    g.add_argument("--train-data", type=Path, metavar="DIR", help="ImageFolder root (sets the recipe's data_dir)")
    g.add_argument("--train-executor", default="inline", help="inline (this process) | local (parallel processes)")
    g.add_argument("--train-workers", type=int, default=1, help="parallel trainings with --train-executor local")


def benchmark_from_args(args: argparse.Namespace, name: str):
    """The benchmark a search runs on: --models, --train-store, else --benchmark by name."""
    models, store = getattr(args, "models", None), getattr(args, "train_store", None)
    if models is not None and store is not None:
        raise ConfigError("--models and --train-store are exclusive: pick one benchmark")
    if models is not None:
        from naslib_anb.benchmark import load_benchmark

        if name == "toy":
            raise ConfigError("--models and --benchmark toy are exclusive: pick one benchmark")
        # --benchmark member:K picks one member of this model set's ensembles
        return load_benchmark(model_dir=models, variant=None if name == "anb" else name)
    if store is not None:
        from naslib_anb.benchmark.training import TrainingBenchmark

        recipe = None
        if args.train_recipe is not None or args.train_data is not None:
            from naslib_anb.training.config import load_config

            over = {"data_dir": str(args.train_data.resolve())} if args.train_data is not None else {}
            recipe = load_config(args.train_recipe, over) if args.train_recipe is not None else None
            if recipe is None:  # only --train-data: the store's recipe, on this data
                recipe = load_config(store / "config.yaml", over)
        return TrainingBenchmark(store, recipe, executor=args.train_executor, workers=args.train_workers)
    from naslib_anb.search.driver import get_benchmark

    return get_benchmark(name)


#: More queries than this is a typo, not a search: the run keeps every query in memory and on disk.
MAX_BUDGET = 1_000_000


def config_from_args(args: argparse.Namespace, extra: Optional[dict[str, Any]] = None, *,
                     require_optimizer: bool = False):
    """YAML file (if any) as defaults, then explicit flags on top."""
    from naslib_anb.search.records import SearchConfig

    d: dict[str, Any] = {}
    if getattr(args, "config", None) is not None:
        d.update(read_yaml_mapping(args.config, "--config"))
    if require_optimizer and getattr(args, "optimizer", None) is None and "optimizer" not in d:
        where = f" or an 'optimizer:' key in --config {args.config}" if getattr(args, "config", None) else ""
        raise ConfigError(f"--optimizer is required (rs, re, reinforce){where}")
    for flag, fld in _FIELD_OF.items():
        v = getattr(args, flag, None)
        if v is not None:
            d[fld] = v
    if getattr(args, "allow_infeasible", False):
        d["feasible_only"] = False
    opt_kw = parse_key_values(getattr(args, "opt", []) or [], "--opt")
    if opt_kw:
        d["optimizer_kwargs"] = {**d.get("optimizer_kwargs", {}), **opt_kw}
    d.update(extra or {})
    cfg = SearchConfig.from_dict(d)
    if cfg.budget > MAX_BUDGET:
        raise ConfigError(f"--budget {cfg.budget:,} is more than {MAX_BUDGET:,} queries (every query is kept in "
                          f"memory and in queries.csv); valid: 1..{MAX_BUDGET:,}, e.g. several seeds instead")
    return cfg


def run(args: argparse.Namespace) -> int:
    from naslib_anb.search.driver import run_search
    from naslib_anb.search.output import ACCURACY_PLOT, RUN_FILES, format_pareto, prepare_out_dir, write_run

    from naslib_anb.outdir import RUN_SIGNATURE, staged_output

    cfg = config_from_args(args, require_optimizer=True)  # every argument validated before anything is loaded
    prepare_out_dir(args.out, args.force)  # fail fast, before loading the benchmark
    bench = benchmark_from_args(args, cfg.benchmark)
    out = args.out
    # one writer; swapped in whole at the end
    with staged_output(out, force=args.force, signature=RUN_SIGNATURE) as staging:
        result = run_search(cfg, bench, progress=not args.no_progress)
        summary = write_run(result, bench, staging, plots=not args.no_plots)
    if args.json:
        print(json.dumps(summary, indent=2, default=str))
        return 0
    _print_summary(cfg, result, summary)
    import pandas as pd

    print(format_pareto(pd.read_csv(out / "pareto.csv"), cfg.accuracy, result.device_target))
    written = [f for f in (*RUN_FILES, ACCURACY_PLOT) if (out / f).exists()]
    print(f"wrote {out}/: {', '.join(written)}")
    return 0


def _print_summary(cfg, result, summary: dict) -> None:
    """The run in a few lines: each figure named (a reward is not an accuracy) and tied to its architecture."""
    print(f"{cfg.optimizer} seed {cfg.seed} on benchmark {summary['benchmark']!r}"
          + (" (analytic smoke test: not ANB predictions)" if summary["benchmark"] == "toy" else "")
          + f": {summary['queries']} queries in {summary['elapsed_s']:.2f} s; {result.objective_description}")
    acc, dev = cfg.accuracy, result.device_target
    vals = summary["best_values"]
    shown = ", ".join(f"{t} {vals[t]:.4g}" for t in (acc, dev) if t is not None and t in vals)
    if summary["best_by"] == "reward":
        print(f"best by reward: {summary['best_arch']} (reward {summary['best_reward']:.3f}; {shown})")
    else:
        print(f"best by {summary['best_by']}: {summary['best_arch']} ({shown})")
    top = summary["highest_accuracy"]
    if top["arch"] != summary["best_arch"]:
        print(f"highest {acc} queried: {top['value']:.3f} ({top['arch']})")
    if summary.get("hypervolume") is not None:
        print(f"hypervolume {summary['hypervolume']:.4f}")
    bf = summary.get("best_feasible")
    scope = "feasible only" if cfg.feasible_only else "--allow-infeasible"
    print(f"{summary['infeasible_queries']} infeasible queries ({scope}); best feasible by {summary['best_by']}: "
          + (f"{bf['value']:.3f} ({bf['arch']}, {bf['nearest_measured']} decisions from the data)" if bf else "none"))
    if cfg.max_distance is not None:
        print(f"trust region: max_distance {cfg.max_distance}; the farthest query was "
              f"{summary['max_nearest_measured']} decisions from the nearest measured architecture")
    b0 = summary.get("efficientnet_b0")
    if b0:
        print(f"EfficientNet-B0 on this benchmark: {acc} {b0[acc]:.3f}, {dev} {b0[dev]:.4g}; dominated by "
              f"{b0['dominated_by_n_archs']} evaluated architectures")
