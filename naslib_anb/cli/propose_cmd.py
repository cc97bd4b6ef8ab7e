"""``naslib-anb propose``: write a plan of architectures to measure next (where optimizers go and
the benchmark variants disagree); ``runners/collect.py --plan`` trains them."""
from __future__ import annotations

import argparse
import shlex
from pathlib import Path

from naslib_anb.errors import ConfigError


def add_parser(sub) -> None:
    p = sub.add_parser("propose", help="choose architectures to measure next (writes a plan file)",
                       description=__doc__)
    p.add_argument("--n", type=int, required=True, help="architectures in the plan")
    p.add_argument("--out", type=Path, required=True, help="plan file to create (never overwritten)")
    p.add_argument("--variants", default=None, metavar="V[,V...]",
                   help="benchmark variants whose disagreement counts: 'all' or a comma list "
                        "(default: every variant but the ensemble: each member alone, each second family)")
    p.add_argument("--optimizers", nargs="+", default=None, metavar="OPT",
                   help="optimizers whose visits count (default: rs re reinforce)")
    p.add_argument("--seeds", type=int, default=2, help="seeds per optimizer and variant (default 2)")
    p.add_argument("--budget", type=int, default=1000, help="queries per run (default 1000)")
    p.add_argument("--devices", nargs="+", default=(), metavar="DEVICE",
                   help="also count MnasNet-reward searches for these devices (default: accuracy only)")
    p.add_argument("--radius", type=int, default=1, choices=(0, 1),
                   help="visits counted at the architecture (0) or also at its one-decision neighbours (1, default)")
    p.add_argument("--pool-factor", type=int, default=10,
                   help="k-centre picks among POOL_FACTOR x N best scored candidates (default 10)")
    p.add_argument("--exclude", nargs="+", type=Path, default=(), metavar="PLAN",
                   help="earlier plan files whose architectures are never proposed again")
    p.add_argument("--seed", type=int, default=0, help="seed every optimizer run derives from (default 0)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def _config(args: argparse.Namespace):
    from naslib_anb.benchmark.variants import parse_variants
    from naslib_anb.plan import read_plan
    from naslib_anb.search.propose import DEFAULT_OPTIMIZERS, ProposeConfig

    variants = tuple(parse_variants(args.variants)) if args.variants is not None else ()
    exclude = tuple(str(a) for path in args.exclude for a in read_plan(path).archs)
    return ProposeConfig(n=args.n, variants=variants, optimizers=tuple(args.optimizers or DEFAULT_OPTIMIZERS),
                         seeds=args.seeds, budget=args.budget, devices=tuple(args.devices), radius=args.radius,
                         pool_factor=args.pool_factor, seed=args.seed, exclude=exclude)


def _command(args: argparse.Namespace, cfg) -> str:
    """The command line that makes this plan again (every option spelled out)."""
    parts = ["naslib-anb", "propose", "--n", str(cfg.n), "--out", str(args.out),
             "--optimizers", *cfg.optimizers, "--seeds", str(cfg.seeds), "--budget", str(cfg.budget),
             "--radius", str(cfg.radius), "--pool-factor", str(cfg.pool_factor), "--seed", str(cfg.seed)]
    if cfg.variants:
        parts += ["--variants", ",".join(cfg.variants)]
    if cfg.devices:
        parts += ["--devices", *cfg.devices]
    if args.exclude:
        parts += ["--exclude", *map(str, args.exclude)]
    return shlex.join(parts)


def run(args: argparse.Namespace) -> int:
    from naslib_anb.cli.main import print_json
    from naslib_anb.plan import write_plan
    from naslib_anb.search.propose import propose

    if args.out.exists():  # before minutes of optimizer runs, not after
        raise ConfigError(f"plan file {args.out} exists; choose another --out (plans are never overwritten)")
    if not args.out.parent.is_dir():
        raise ConfigError(f"--out {args.out}: directory {args.out.parent} does not exist")
    cfg = _config(args)
    plan = propose(cfg, progress=not args.no_progress, command=_command(args, cfg))
    path = write_plan(args.out, plan)
    visits = sorted(sum(a["visits"]) for a in plan.meta["per_arch"])
    print_json({"out": str(path), "n": len(plan.archs), "variants": plan.meta["variants"],
                "runs": plan.meta["runs"], "candidates": plan.meta["candidates"],
                "visits_median": visits[len(visits) // 2],
                "min_pairwise_distance": plan.meta["min_pairwise_distance"]})
    return 0
