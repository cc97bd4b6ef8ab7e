#!/usr/bin/env python
"""Collect new ANB data: sample N architectures (seeded), train each with p*, write ANB JSONs.

Local machine (submitit's local executor, one process per chunk; waits, Ctrl-C stops the workers):
    python runners/collect.py --n 100 --seed 1 --data /path/to/imagenet --out collect_out --executor local

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
    p.add_argument("--resolution", type=int, default=None,
                   help="train and validate at this size in px (default: the recipe's; ImageNet p*: 160->192, val 256)")
    p.add_argument("--num-classes", type=int, default=None, help="classifier classes (default: class folders)")
    p.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE")
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
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING)

    from naslib_anb.errors import ANBError
    from naslib_anb.io import ensure_writable_dir
    from naslib_anb.training.collect import CollectSpec, run_collection, status
    from naslib_anb.training.config import data_overrides, load_config, parse_overrides

    try:
        if args.status:
            print(json.dumps(status(args.out), indent=1))
            return 0
        if args.n is None:
            p.error("--n is required (unless --status)")
        wait = True if args.wait else False if args.no_wait else None
        over = {**data_overrides(args.data, args.resolution, args.num_classes), **parse_overrides(args.set)}
        cfg = load_config(args.config, over)
        spec = CollectSpec(os.path.abspath(args.out), args.n, args.seed, args.sampler, cfg.to_dict(), args.nproc,
                           args.max_retries)
        exclude = []
        if args.exclude_dataset:
            from naslib_anb.data import load_dataset

            exclude = [str(r.arch) for r in load_dataset(args.exclude_dataset, allow_download=False)]
        spec.exclude = exclude
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
