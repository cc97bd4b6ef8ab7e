#!/usr/bin/env python
"""Proxy-recipe search (paper section 3.2) on Ray Tune. See docs/training.md.

    python runners/proxy_search.py --reference-dir ref_jsons/ --n-models 20 \\
        --config configs/train/p_star.yaml --data /path/to/imagenet --grid grid.yaml \\
        --t-spec 3.0 --tau-target 0.9 --gpus-per-trial 4 --out proxy_out/

``--reference-dir`` holds ANB-schema JSONs of models trained with the reference recipe
(configs/train/reference.yaml); their ``val_top1`` is A_r. The reference set is chosen from them
by an even spread of MACs and params. ``--grid`` is a YAML mapping knob -> list of values.
"""
from __future__ import annotations

import argparse
import json
import os
import sys

from naslib_anb.training.cli import add_recipe_args, recipe_from_args


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description="Search a training proxy that ranks like the reference recipe.")
    p.add_argument("--reference-dir", required=True, help="directory of ANB JSONs trained with the reference recipe")
    p.add_argument("--n-models", type=int, default=20, help="size of the reference set (paper: 20)")
    p.add_argument("--select-seed", type=int, default=0)
    add_recipe_args(p)  # the base recipe the knobs modify (default p*)
    p.add_argument("--grid", default=None, help="YAML {batch_size: [...], epochs: [...], ...}; default ProxyGrid()")
    p.add_argument("--t-spec", type=float, default=3.0, help="GPU-hours per model (paper: 3)")
    p.add_argument("--tau-target", type=float, default=0.9)
    p.add_argument("--nproc-per-trial", type=int, default=1, help="torchrun processes per model (= GPUs)")
    p.add_argument("--cpus-per-trial", type=float, default=None,
                   help="CPUs per trial (default: min(4, CPUs of this machine))")
    p.add_argument("--gpus-per-trial", type=float, default=0)
    p.add_argument("--max-concurrent", type=int, default=None)
    p.add_argument("--ray-address", default=None, help="existing Ray cluster ('auto' for multi-node)")
    p.add_argument("--num-cpus", type=int, default=None, help="CPUs for a local Ray instance")
    p.add_argument("--out", required=True)
    args = p.parse_args(argv)

    from naslib_anb.data import load_dataset
    from naslib_anb.errors import ANBError
    from naslib_anb.io import read_yaml_mapping
    from naslib_anb.training.proxy_search import ProxyGrid, ProxySearchSpec, run_proxy_search, select_reference_set

    cpus = args.cpus_per_trial if args.cpus_per_trial is not None else float(min(4, os.cpu_count() or 1))
    try:
        from naslib_anb.io import ensure_writable_dir

        ensure_writable_dir(args.out)
        ref = load_dataset(args.reference_dir, allow_download=False).unique()
        idx = select_reference_set([r.macs_m for r in ref], [r.params_m for r in ref], args.n_models, args.select_seed)
        base = recipe_from_args(args)
        grid = ProxyGrid.from_dict(read_yaml_mapping(args.grid, "--grid")) if args.grid else ProxyGrid()
        spec = ProxySearchSpec(base.to_dict(), [str(ref[i].arch) for i in idx], [ref[i].val_top1 for i in idx],
                               os.path.abspath(args.out), args.t_spec, args.tau_target, args.nproc_per_trial)
        summary = run_proxy_search(spec, grid, cpus_per_trial=cpus, gpus_per_trial=args.gpus_per_trial,
                                   max_concurrent=args.max_concurrent, ray_address=args.ray_address,
                                   num_cpus=args.num_cpus)
    except ANBError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps({"best": summary["best"], "target_met": summary["target_met"],
                      "trials": len(summary["trials"])}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
