#!/usr/bin/env python
"""Collect new ANB data: sample N architectures (seeded), train each with p*, write ANB JSONs.

Local machine (submitit's local executor, one process per chunk):
    python runners/collect.py --n 100 --seed 1 --data /path/to/imagenet --out collect_out --executor local

SLURM job array, 4 GPUs per architecture (torchrun inside each array task):
    python runners/collect.py --n 5000 --seed 1 --data /path/to/imagenet --out collect_out \\
        --executor slurm --nproc 4 --chunk-size 10 --slurm slurm_partition=gpu gpus_per_node=4 \\
        cpus_per_task=32 timeout_min=2880 slurm_array_parallelism=6

Rerunning the same command resumes: finished architectures are skipped, interrupted ones resume
from their last epoch, failed ones are retried up to --max-retries. The printed status lists
architectures skipped by the memory filter ("skipped") and given up after --max-retries
("gave_up") apart from "pending"; the exit status is 1 only while some are pending. See docs/training.md.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description="Sample, train with p*, and write ANB-schema JSONs.")
    p.add_argument("--n", type=int, default=None, help="number of architectures (required unless --status)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--sampler", default="uniform",
                   help="uniform | regime1 | regime2 | regime3 | anb_mix (upstream's campaign mix)")
    p.add_argument("--exclude-dataset", default=None,
                   help="skip architectures already in this ANB dataset (tarball or JSON directory)")
    p.add_argument("--config", default=None, help="TrainConfig YAML (default p*)")
    p.add_argument("--data", default=None, help="ImageFolder root (sets data_dir)")
    p.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE")
    p.add_argument("--out", required=True)
    p.add_argument("--executor", default="local", help="slurm | local | debug | inline")
    p.add_argument("--nproc", type=int, default=1, help="torchrun processes (GPUs) per architecture")
    p.add_argument("--chunk-size", type=int, default=1, help="architectures per job / array task")
    p.add_argument("--max-retries", type=int, default=2)
    p.add_argument("--slurm", nargs="*", default=[], metavar="KEY=VALUE",
                   help="submitit parameters, e.g. slurm_partition=gpu gpus_per_node=4 slurm_array_parallelism=6")
    p.add_argument("--no-wait", action="store_true", help="submit and return (check later with --status)")
    p.add_argument("--status", action="store_true", help="print progress of --out and exit")
    p.add_argument("-v", "--verbose", action="store_true")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING)

    from naslib_anb.errors import ANBError
    from naslib_anb.training.collect import CollectSpec, run_collection, status
    from naslib_anb.training.config import load_config, parse_overrides

    try:
        if args.status:
            print(json.dumps(status(args.out), indent=1))
            return 0
        if args.n is None:
            p.error("--n is required (unless --status)")
        over = parse_overrides(args.set)
        if args.data:
            over["data_dir"] = os.path.abspath(args.data)
        cfg = load_config(args.config, over)
        exclude = []
        if args.exclude_dataset:
            from naslib_anb.data import load_dataset

            exclude = [str(r.arch) for r in load_dataset(args.exclude_dataset, allow_download=False)]
        spec = CollectSpec(os.path.abspath(args.out), args.n, args.seed, args.sampler, cfg.to_dict(), args.nproc,
                           args.max_retries, exclude)
        res = run_collection(spec, args.executor, args.chunk_size, wait=not args.no_wait,
                             slurm=parse_overrides(args.slurm))
    except ANBError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    res.pop("outcomes", None)
    print(json.dumps(res, indent=1))
    # skipped (memory filter) and given-up architectures are final and listed in the output; only
    # architectures still waiting to be trained or retried make the exit status 1
    return 0 if res.get("pending", 0) == 0 or args.no_wait else 1


if __name__ == "__main__":
    sys.exit(main())
