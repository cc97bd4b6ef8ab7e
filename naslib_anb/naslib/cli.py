"""Entry points of ``runners/naslib_search.py``, ``runners/naslib_predictors.py``, ``runners/naslib_compare.py``.

Overrides follow NASLib's runner convention: trailing ``key value`` pairs, e.g.
``search.epochs 20 seed 3 optimizer bananas search.predictor_type xgb``.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Optional, Sequence

from naslib_anb.errors import ANBError, ConfigError

logger = logging.getLogger(__name__)


def _setup(verbose: bool) -> None:
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    if not verbose:
        for name in ("naslib", "fvcore"):
            logging.getLogger(name).setLevel(logging.WARNING)
    if "OMP_NUM_THREADS" not in os.environ:
        logger.warning("OMP_NUM_THREADS is not set: XGBoost fits inside NASLib can be ~100x slower; "
                       "export OMP_NUM_THREADS=1 before starting Python")


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", required=True,
                   help="NASLib-style YAML: a path, or a name in configs/naslib (re, bananas, ...)")
    p.add_argument("--out-dir", help="overrides out_dir")
    p.add_argument("--seeds", help="comma-separated seeds, one run each (overrides seed)")
    p.add_argument("-v", "--verbose", action="store_true", help="NASLib's INFO log on stderr")
    p.add_argument("opts", nargs=argparse.REMAINDER, help="key value overrides, NASLib style")


def _run_many(args: argparse.Namespace, fn_name: str) -> int:
    from naslib_anb.naslib import run

    _setup(args.verbose)
    overrides = list(args.opts or [])
    if args.out_dir:
        overrides += ["out_dir", args.out_dir]
    seeds = [s.strip() for s in args.seeds.split(",")] if args.seeds else [None]
    for seed in seeds:
        ov = overrides + (["seed", seed] if seed is not None else [])
        config = run.load_config(args.config, ov)
        result = getattr(run, fn_name)(config)
        print(json.dumps(asdict(result), default=str))
    return 0


def _config_main(argv: Optional[Sequence[str]], prog: str, description: str, fn_name: str) -> int:
    p = argparse.ArgumentParser(prog=prog, description=description)
    _common(p)
    args = p.parse_args(argv)
    try:
        return _run_many(args, fn_name)
    except ANBError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def search_main(argv: Optional[Sequence[str]] = None) -> int:
    return _config_main(argv, "naslib_search",
                        "Run a NASLib NAS config on the ANB space (Trainer.search/evaluate)", "run_search")


def predictors_main(argv: Optional[Sequence[str]] = None) -> int:
    return _config_main(argv, "naslib_predictors",
                        "Run a NASLib predictor-evaluation config on the ANB space", "run_predictor_eval")


def statistics_main(argv: Optional[Sequence[str]] = None) -> int:
    return _config_main(argv, "naslib_statistics",
                        "Run NASLib's StatisticsEvaluator on the measured ANB architectures", "run_statistics")


def zerocost_main(argv: Optional[Sequence[str]] = None) -> int:
    from naslib_anb.naslib.zerocost import main

    return main(argv)


def compare_main(argv: Optional[Sequence[str]] = None) -> int:
    from naslib_anb.io import atomic_write_json
    from naslib_anb.naslib import compare

    p = argparse.ArgumentParser(prog="naslib_compare",
                                description="Plot optimizers x seeds from NASLib errors.json files")
    p.add_argument("root", help="directory holding <optimizer>/<seed>/errors.json (any depth)")
    p.add_argument("--out", default=None, help="plot file (default: <root>/comparison.png)")
    p.add_argument("--optimizers", help="comma-separated subset")
    p.add_argument("--metric", default="valid_acc", choices=("valid_acc", "test_acc"))
    args = p.parse_args(argv)
    try:
        opts = args.optimizers.split(",") if args.optimizers else None
        runs = compare.find_runs(args.root, opts)
        agg = compare.aggregate(runs, args.metric)
        out = compare.plot(agg, args.out or os.path.join(args.root, "comparison.png"))
        table = compare.summary_table(agg)
        atomic_write_json(out.with_suffix(".json"), {"metric": args.metric, "runs": len(runs), "table": table})
        for row in table:
            print(f"{row['optimizer']:>12}  seeds={row['seeds']}  queries={row['queries']}  "
                  f"final={row['final_mean']:.3f} +- {row['final_sem']:.3f}")
        print(f"plot: {out}")
        return 0
    except ANBError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def variants_main(argv: Optional[Sequence[str]] = None) -> int:
    """``naslib_compare.py ROOT --variants all [--configs a.yaml,b.yaml --seeds 0-9] --budgets 100,300``."""
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


def _variants_run(args: argparse.Namespace) -> int:
    from naslib_anb.benchmark.variants import parse_variants
    from naslib_anb.io import atomic_write_json, atomic_write_text, parse_int_ranges
    from naslib_anb.naslib.compare import find_runs, run_variant_searches, variant_finals, variant_root
    from naslib_anb.search.robustness import format_report, robustness

    variants = parse_variants(args.variants)
    opts = args.optimizers.split(",") if args.optimizers else None
    budgets = parse_int_ranges(args.budgets, "budget") if args.budgets else None
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
        seeds = parse_int_ranges(args.seeds, "seed")
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
