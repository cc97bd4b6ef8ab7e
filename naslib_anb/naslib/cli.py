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
from typing import Optional, Sequence

from naslib_anb.errors import ANBError

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
