"""``python -m naslib_anb.training`` / ``runners/train.py``: train one architecture (torchrun-ready).

    torchrun --nproc_per_node=4 runners/train.py --config configs/train/p_star.yaml \\
        --arch e6k3l1s0-e4k5l2s0-... --data /path/to/imagenet --out runs/arch0
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from typing import Optional, Sequence

from naslib_anb.errors import ANBError


def add_recipe_args(p: argparse.ArgumentParser) -> argparse._ArgumentGroup:
    """The recipe flags every training runner shares (train, collect, proxy_search); read them back
    with :func:`recipe_from_args`."""
    g = p.add_argument_group("recipe")
    g.add_argument("--config", default=None, help="YAML TrainConfig (default: p* built-in defaults)")
    g.add_argument("--data", default=None, help="ImageFolder root with train/ and val/ (sets data_dir)")
    g.add_argument("--resolution", type=int, default=None,
                   help="train and validate at this size in px (default: the recipe's; ImageNet p*: 160->192, val 256)")
    g.add_argument("--num-classes", type=int, default=None, help="classifier classes (default: class folders)")
    g.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE", help="override config fields")
    return g


def recipe_from_args(args: argparse.Namespace):
    """The TrainConfig of :func:`add_recipe_args`' flags (ConfigError on a bad value)."""
    from naslib_anb.training.config import data_overrides, load_config, parse_overrides

    over = {**data_overrides(args.data, args.resolution, args.num_classes), **parse_overrides(args.set)}
    return load_config(args.config, over)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="train", description="Train one architecture under a recipe (p* by default).")
    p.add_argument("--arch", required=True, help="canonical arch string, e.g. e1k3l1s1-e6k3l2s1-...")
    p.add_argument("--out", required=True, help="run directory (checkpoint, curve.json, result.json)")
    g = add_recipe_args(p)
    g.add_argument("--no-resume", action="store_true", help="ignore an existing checkpoint")
    g.add_argument("--save-weights", action="store_true", help="save final weights (model.pt)")
    g.add_argument("--keep-checkpoint", action="store_true", help="keep checkpoint.pt after the run finishes")
    g.add_argument("--stop-after-epoch", type=int, default=None, help=argparse.SUPPRESS)
    p.add_argument("-v", "--verbose", action="store_true")
    return p


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    rank = int(os.environ.get("RANK", "0"))
    logging.basicConfig(level=logging.INFO if (args.verbose and rank == 0) else logging.WARNING,
                        format="%(asctime)s %(name)s %(message)s")
    try:
        from naslib_anb.training.engine import train_arch

        cfg = recipe_from_args(args)
        if rank == 0:
            from naslib_anb.io import ensure_writable_dir

            ensure_writable_dir(args.out)
        res = train_arch(cfg, args.arch, args.out, resume=not args.no_resume, save_weights=args.save_weights,
                         keep_checkpoint=args.keep_checkpoint,
                         stop_after_epoch=args.stop_after_epoch)
    except ANBError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if rank == 0:
        print(json.dumps({"arch": res.arch, "status": res.status, "val_top1": res.val_top1,
                          "val_top5": res.val_top5, "train_time": res.train_time, "out": res.out_dir}))
    from naslib_anb.training import distributed as D

    D.teardown(D.setup())
    return 0
