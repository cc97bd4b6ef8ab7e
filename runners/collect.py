#!/usr/bin/env python
"""Collect new ANB data: sample N architectures (seeded), train each with p*, write ANB JSONs.

Local machine (submitit's local executor, one process per chunk; waits, Ctrl-C stops the workers):
    python runners/collect.py --n 100 --seed 1 --data /path/to/imagenet --out collect_out --executor local

Exactly the architectures of a plan file written by ``naslib-anb propose`` (instead of --n/--sampler):
    python runners/collect.py --plan plan.json --data /path/to/imagenet --out collect_out --executor local

SLURM job array, one array task per architecture, 4 GPUs each (torchrun inside the task); returns
once submitted, tasks are requeued on preemption/timeout and resume from their last epoch:
    python runners/collect.py --n 5000 --seed 1 --data /path/to/imagenet --out collect_out \\
        --executor slurm --nproc 4 --slurm slurm_partition=gpu gpus_per_node=4 \\
        cpus_per_task=32 timeout_min=2880 slurm_array_parallelism=24

Rerunning the same command resubmits only what is missing (finished, running, memory-skipped and
given-up architectures are left alone); --status prints progress read from --out and the
scheduler. The exit status is 1 only while some architectures are pending after a waited run.
See docs/training.md.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys

from naslib_anb.training.cli import add_recipe_args, recipe_from_args


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description="Sample, train with p*, and write ANB-schema JSONs.")
    which = p.add_mutually_exclusive_group()
    which.add_argument("--n", type=int, default=None, help="number of architectures to sample (or --plan)")
    which.add_argument("--plan", default=None, metavar="PLAN",
                       help="train exactly the architectures of this plan file (naslib-anb propose --out PLAN)")
    p.add_argument("--seed", type=int, default=None, help="sampler seed (default 0; not with --plan)")
    p.add_argument("--sampler", default=None,
                   help="uniform (default) | regime1 | regime2 | regime3 | anb_mix (upstream's campaign mix)")
    p.add_argument("--exclude-dataset", default=None,
                   help="skip architectures already in this ANB dataset (tarball or JSON directory)")
    add_recipe_args(p)
    p.add_argument("--out", required=True)
    p.add_argument("--executor", default="local", help="slurm | local | debug | inline")
    p.add_argument("--nproc", type=int, default=1, help="torchrun processes (GPUs) per architecture")
    p.add_argument("--chunk-size", type=int, default=1, help="architectures per job / array task")
    p.add_argument("--max-retries", type=int, default=2)
    p.add_argument("--slurm", nargs="*", default=[], metavar="KEY=VALUE",
                   help="submitit parameters, e.g. slurm_partition=gpu gpus_per_node=4 slurm_array_parallelism=6")
    w = p.add_mutually_exclusive_group()
    w.add_argument("--wait", action="store_true", help="SLURM: block until the job array ends")
    w.add_argument("--no-wait", action="store_true", help="submit and return (the default for SLURM)")
    p.add_argument("--keep-checkpoints", action="store_true", help="keep runs/<arch>/checkpoint.pt when done")
    p.add_argument("--save-weights", action="store_true", help="write runs/<arch>/model.pt (final weights)")
    p.add_argument("--status", action="store_true", help="print progress of --out and exit")
    p.add_argument("-v", "--verbose", action="store_true")
    return p


def _spec(args: argparse.Namespace):
    """The CollectSpec of the command line: sampled (--n) or a plan file's architectures (--plan)."""
    from naslib_anb.errors import ConfigError
    from naslib_anb.training.collect import CollectSpec

    if args.plan is not None:
        set_too = [f for f, v in (("--seed", args.seed), ("--sampler", args.sampler),
                                  ("--exclude-dataset", args.exclude_dataset)) if v is not None]
        if set_too:
            raise ConfigError(f"--plan fixes the architectures; {', '.join(set_too)} would be ignored: drop "
                              f"{'it' if len(set_too) == 1 else 'them'} or use --n instead of --plan")
    exclude = []
    if args.exclude_dataset:
        from naslib_anb.data import load_dataset

        exclude = [str(r.arch) for r in load_dataset(args.exclude_dataset, allow_download=False)]
    cfg = recipe_from_args(args)
    return CollectSpec(os.path.abspath(args.out), args.n if args.plan is None else 0,
                       0 if args.seed is None else args.seed, args.sampler or "uniform", cfg.to_dict(), args.nproc,
                       args.max_retries, exclude, plan_file=args.plan)


def main(argv=None) -> int:
    p = _parser()
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING)

    from naslib_anb.errors import ANBError
    from naslib_anb.io import ensure_writable_dir
    from naslib_anb.training.collect import run_collection, status
    from naslib_anb.training.config import parse_overrides

    try:
        if args.status:
            print(json.dumps(status(args.out), indent=1))
            return 0
        if args.n is None and args.plan is None:
            p.error("--n or --plan is required (unless --status)")
        wait = True if args.wait else False if args.no_wait else None
        spec = _spec(args)
        ensure_writable_dir(args.out)
        res = run_collection(spec, args.executor, args.chunk_size, wait=wait, slurm=parse_overrides(args.slurm),
                             keep_checkpoints=args.keep_checkpoints, save_weights=args.save_weights)
    except ANBError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    res.pop("outcomes", None)
    print(json.dumps(res, indent=1))
    # skipped (memory filter) and given-up architectures are final and listed in the output; after a
    # waited run only architectures still waiting to be trained or retried make the exit status 1
    waited = wait if wait is not None else args.executor != "slurm"
    return 0 if res.get("pending", 0) == 0 or not waited else 1


if __name__ == "__main__":
    sys.exit(main())
