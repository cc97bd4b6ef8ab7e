"""``naslib-anb evaluate``: test-split fidelity of the shipped (or a given) model set."""
from __future__ import annotations

import argparse
import math
from pathlib import Path

from naslib_anb.errors import ConfigError


def add_parser(sub) -> None:
    p = sub.add_parser("evaluate", help="R2 / Kendall tau / Spearman / MAE of the surrogates on the test split",
                       description=__doc__)
    p.add_argument("--models", type=Path, default=None, help="model directory (default: shipped models)")
    p.add_argument("--data", default=None, help="dataset tarball or directory of result_*.json")
    p.add_argument("--targets", nargs="+", default=None, metavar="T")
    p.add_argument("--json", action="store_true", help="print the full figures as JSON")
    p.set_defaults(func=run)


def _fmt(x: float, nd: int = 4) -> str:
    return "nan" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{nd}f}"


def run(args: argparse.Namespace) -> int:
    from naslib_anb.cli.main import print_json
    from naslib_anb.data import load_dataset
    from naslib_anb.surrogates import default_model_dir, evaluate_model_set, load_model_set
    from naslib_anb.targets import TARGETS

    model_dir = args.models or default_model_dir()
    models = load_model_set(model_dir, targets=args.targets)
    split = models.manifest.get("split", {}).get("name")
    if split != "default":
        raise ConfigError(f"{model_dir} was fitted with split {split!r} (every record, the test split "
                          "included): test figures would be in-sample. Evaluate a model set fitted with "
                          "`naslib-anb fit --split default`")
    ds = load_dataset(args.data)
    test = list(ds.default_split().test)
    res = evaluate_model_set(models, test)
    if args.json:
        print_json({"models": str(model_dir), "split": "default test (512 architectures)",
                    "targets": res})
        return 0
    print(f"{'target':18s} {'unit':6s} {'single R2':>9s} {'KT':>6s} | {'ens R2':>7s} {'KT':>6s} "
          f"{'Spearman':>8s} {'MAE':>9s}  bar")
    for t, v in res.items():
        s, e = v["single"], v["ensemble"]
        bar = v.get("bar")
        mark = "" if bar is None else ("met" if bar["met"] else "MISSED")
        print(f"{t:18s} {TARGETS[t].unit:6s} {_fmt(s['r2']):>9s} {_fmt(s['kendall_tau']):>6s} | "
              f"{_fmt(e['r2']):>7s} {_fmt(e['kendall_tau']):>6s} {_fmt(e['spearman']):>8s} "
              f"{_fmt(e['mae'], 3):>9s}  {mark}")
    return 0
