"""``naslib-anb digits``: write scikit-learn's handwritten digits as an ImageFolder (real images, no download)."""
from __future__ import annotations

import argparse
from pathlib import Path


def add_parser(sub) -> None:
    p = sub.add_parser("digits", help="write sklearn's 1,797 digit images as an ImageFolder (train/ and val/)",
                       description="Write scikit-learn's handwritten digits (1,797 real 8x8 scans, 10 classes) "
                                   "upsampled to --size px as OUT/train/<digit>/*.png and OUT/val/<digit>/*.png "
                                   "with a stratified, seeded split. Idempotent.")
    p.add_argument("--out", required=True, type=Path, help="ImageFolder root to write")
    p.add_argument("--size", type=int, default=32, help="image size in px (default 32)")
    p.add_argument("--val-fraction", type=float, default=0.2, help="share of each class in val/ (default 0.2)")
    p.add_argument("--seed", type=int, default=0, help="seed of the split (default 0)")
    p.add_argument("--per-class", type=int, default=None, help="keep only N images per class (smoke tests)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from naslib_anb.cli.main import print_json
    from naslib_anb.training.digits import write_digits

    meta = write_digits(args.out, args.size, args.val_fraction, args.seed, args.per_class)
    print_json({"out": str(args.out), **meta})
    return 0
