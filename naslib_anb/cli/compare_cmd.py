"""``naslib-anb compare``: optimizers x seeds in parallel processes; mean ± standard-error curves."""
from __future__ import annotations

import argparse
import json
import os

from naslib_anb.cli.search_cmd import add_common_arguments, config_from_args
from naslib_anb.errors import ConfigError
from naslib_anb.io import parse_int_ranges


def add_parser(sub) -> None:
    p = sub.add_parser("compare", help="run several optimizers x seeds and plot mean ± SE curves",
                       description="Writes runs/<optimizer>_seed<k>.csv, curves.csv, summary.json, "
                                   "best_accuracy.png and (with --device) hypervolume.png, best_reward.png.")
    p.add_argument("--optimizers", nargs="+", default=None, metavar="NAME",
                   help="optimizers to compare (default: rs re reinforce; rs re with --objective pareto)")
    p.add_argument("--seeds", nargs="+", default=["0-4"], metavar="S",
                   help="seeds: list and/or ranges like 0-4 (default 0-4)")
    p.add_argument("--jobs", type=int, default=None, help="parallel processes (default: CPU count)")
    add_common_arguments(p)
    p.add_argument("--variants", default=None, metavar="LIST",
                   help="also rerun the comparison on these benchmark variants ('all' or a comma list, e.g. "
                        "member:0,lgb; see docs/robustness.md) and write robustness.json/.txt: mean ± s.e. per "
                        "variant, Kendall tau between rankings, order flips")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.set_defaults(func=run)


def _variants(spec, base) -> list[str]:
    """--variants, validated before any work (none: a plain comparison)."""
    if spec is None:
        return []
    from naslib_anb.benchmark.variants import parse_variants

    if base.benchmark == "toy":
        raise ConfigError("--variants compares variants of the surrogate benchmark; --benchmark toy has none")
    return parse_variants(spec)


def run(args: argparse.Namespace) -> int:
    from naslib_anb.search.compare import format_summary, run_compare
    from naslib_anb.search.output import prepare_out_dir

    seeds = parse_int_ranges(args.seeds, "seed")
    pareto = (args.objective or "") == "pareto"
    optimizers = args.optimizers or (["rs", "re"] if pareto else ["rs", "re", "reinforce"])
    base = config_from_args(args, {"optimizer": optimizers[0], "seed": seeds[0]})
    # validate every optimizer against the objective before any work
    from dataclasses import replace

    for o in optimizers:
        replace(base, optimizer=o)
    jobs = args.jobs if args.jobs is not None else min(os.cpu_count() or 1, len(optimizers) * len(seeds))
    if jobs < 1:
        raise ConfigError(f"--jobs must be >= 1, got {jobs}")
    from naslib_anb.outdir import RUN_SIGNATURE, staged_output

    variants = _variants(args.variants, base)
    out = prepare_out_dir(args.out, args.force)
    # one writer; swapped in whole at the end
    with staged_output(out, force=args.force, signature=RUN_SIGNATURE) as staging:
        if variants:  # the comparison on --benchmark first (written as usual), then on every other variant
            from naslib_anb.search.compare import format_robustness, run_variant_compare

            robust = run_variant_compare(optimizers, seeds, base, staging, variants, jobs=jobs,
                                         progress=not args.no_progress, plots=not args.no_plots)
        else:
            summary = run_compare(optimizers, seeds, base, staging, jobs=jobs, progress=not args.no_progress,
                                  plots=not args.no_plots)
    if variants:
        if args.json:
            print(json.dumps(robust, indent=2, default=str))
        else:
            print(format_robustness(robust))
            png = "" if args.no_plots else " robustness.png,"
            print(f"wrote {out}/: robustness.json, robustness.txt,{png} variants/, and the comparison on "
                  f"{robust['variants'][0]} (curves.csv, summary.json, runs/, plots)")
        return 0
    if args.json:
        print(json.dumps(summary, indent=2, default=str))
    else:
        print(format_summary(summary))
        print(f"wrote {out}/: curves.csv, summary.json, runs/, plots")
    return 0
