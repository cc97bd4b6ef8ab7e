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
    p.add_argument("--data", default=None, help="dataset tarball or directory of result_*.json (default: "
                                                 "$NASLIB_ANB_DATA, else ../shared/anb/ beside the checkout, "
                                                 "else ~/.cache/naslib_anb/)")
    p.add_argument("--targets", nargs="+", default=None, metavar="T",
                   help="targets to score, e.g. val_top1 throughput_vck190 (default: every target of the model set)")
    p.add_argument("--json", action="store_true", help="print the full figures as JSON")
    p.set_defaults(func=run)


def _fmt(x: float, nd: int = 4) -> str:
    return "nan" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{nd}f}"


def run(args: argparse.Namespace) -> int:
    from naslib_anb.cli.main import print_json
    from naslib_anb.data import load_dataset
    from naslib_anb.surrogates import default_model_dir, evaluate_model_set, load_model_set
    from naslib_anb.targets import get_target

    model_dir = args.models or default_model_dir()
    if args.targets:
        for t in args.targets:
            get_target(t)  # an unknown name fails before anything is read
    _step(f"loading the models in {model_dir}")
    models = load_model_set(model_dir, targets=args.targets)
    split = models.manifest.get("split", {}).get("name")
    if split != "default":
        raise ConfigError(f"{model_dir} was fitted with split {split!r} (every record, the test split "
                          "included): test figures would be in-sample. Evaluate a model set fitted with "
                          "`naslib-anb fit --split default`")
    _step("reading the dataset")
    ds = load_dataset(args.data, how_to_pass="--data PATH")
    test = list(_default_split(ds, args.data or ds.source).test)
    _step(f"scoring {len(models.ensembles)} targets on the {len(test)} test architectures")
    res = evaluate_model_set(models, test)
    if args.json:
        print_json({"models": str(model_dir), "split": f"default test ({len(test)} architectures)",
                    "targets": res})
        return 0
    print(f"default test split ({len(test)} architectures), models {model_dir}")
    print(f"{'target':34s} {'unit':6s} {'single R2':>9s} {'KT':>6s} | {'ens R2':>7s} {'KT':>6s} "
          f"{'Spearman':>8s} {'MAE':>9s}  bar")
    for t, v in res.items():
        bar = v.get("bar")
        mark = "" if bar is None else ("met" if bar["met"] else "MISSED")
        if "whole_split" in v:  # e.g. train_time: stragglers left out of the first row, not the second
            print(_row(f"{t} (without {v['excluded']} excluded)", t, v, mark))
            print(_row(f"{t} (whole split)", t, v["whole_split"], ""))
        else:
            print(_row(t, t, v, mark))
    return 0


def _row(label: str, target: str, v: dict, mark: str) -> str:
    from naslib_anb.targets import TARGETS

    s, e = v["single"], v["ensemble"]
    return (f"{label:34s} {TARGETS[target].unit:6s} {_fmt(s['r2']):>9s} {_fmt(s['kendall_tau']):>6s} | "
            f"{_fmt(e['r2']):>7s} {_fmt(e['kendall_tau']):>6s} {_fmt(e['spearman']):>8s} "
            f"{_fmt(e['mae'], 3):>9s}  {mark}")


def _step(message: str) -> None:
    """A line per step on a terminal: evaluating takes ~10 s and must not look stuck."""
    from naslib_anb.cli.progress import step

    step("evaluate", message)


def _default_split(ds, data):
    """The test split is upstream's: a dataset of one's own has none of its file names."""
    from naslib_anb.errors import ANBError

    try:
        return ds.default_split()
    except ANBError as exc:
        raise ConfigError(f"{exc} -- evaluate scores the upstream default test split of the ANB files; "
                          f"for a dataset you collected yourself ({data}) fit with `naslib-anb fit --split "
                          "random --data DIR`, which scores its own held-out test records") from None
