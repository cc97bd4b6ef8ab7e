"""``naslib-anb fit``: refit the surrogate ensembles from the dataset and write a model directory."""
from __future__ import annotations

import argparse
import dataclasses
import logging
import math
import os
import sys
from pathlib import Path

import numpy as np

from naslib_anb.errors import ANBError, ConfigError

log = logging.getLogger(__name__)


def add_parser(sub) -> None:
    p = sub.add_parser("fit", help="fit surrogate ensembles from the dataset (writes a model directory)",
                       description=__doc__)
    p.add_argument("--family", default="default",
                   help="surrogate family for every target (xgb, lgb, rf, svr, nu_svr, gp); 'default' uses "
                        "the per-target choice of the shipped set (GP for accuracy, XGBoost + GP for TPUv3, "
                        "XGBoost elsewhere)")
    p.add_argument("--targets", nargs="+", default=None, metavar="T", help="targets (default: all 11)")
    p.add_argument("--out", required=True, type=Path, help="model directory to create")
    p.add_argument("--members", type=int, default=5, help="ensemble members per target (default 5)")
    p.add_argument("--folds", type=int, default=9, help="KFold splits over train+val; member i holds out fold i (default 9)")
    p.add_argument("--seed", type=int, default=0, help="seed of the folds and of member i (seed + i; default 0)")
    p.add_argument("--preset", default="anb", choices=["anb", "upstream"],
                   help="hyperparameters: anb (this package's, as shipped; default) or upstream (the paper's)")
    p.add_argument("--data", default=None, help="dataset tarball or directory of result_*.json (default: "
                                                 "$NASLIB_ANB_DATA, else ../shared/anb/ beside the checkout, "
                                                 "else ~/.cache/naslib_anb/)")
    p.add_argument("--profiles", nargs="+", default=None, metavar="DIR",
                   help="fit the device targets of `naslib-anb profile` output directories instead "
                        "(implies --split all)")
    p.add_argument("--split", default="default", choices=["default", "all", "random"],
                   help="default: fit on the upstream train+val, keep test for evaluation; "
                        "all: fit on every record (no test metrics); random: a seeded split of the records "
                        "(--split-fractions, --split-seed), for datasets you collected yourself (default: default)")
    p.add_argument("--split-fractions", type=float, nargs=3, default=(0.8, 0.1, 0.1), metavar=("TRAIN", "VAL", "TEST"),
                   help="train/val/test shares of --split random (default 0.8 0.1 0.1)")
    p.add_argument("--split-seed", type=int, default=0, help="seed of --split random (default 0)")
    p.add_argument("--threads", type=int, default=2, help="threads per fit (nthread; default 2)")
    p.add_argument("--force", action="store_true", help="replace an existing --out directory")
    p.epilog = ("The model directory is built in OUT.partial and renamed to OUT when complete; a killed fit "
                "leaves OUT.partial with its finished targets, and rerunning the same command resumes from them.")
    p.add_argument("--no-eval", action="store_true", help="skip test-split evaluation")
    p.add_argument("--calibration-folds", type=int, default=None,
                   help="held-out folds (besides the upstream train -> val split) on which the predictive "
                        "std is calibrated; 0 skips calibration (std is then the member std). Default: 2, "
                        "or 0 with a note when there are too few records to calibrate on")
    p.add_argument("--calibration-buffer-reps", type=int, default=0,
                   help="held-out sets of 40 records refitted behind 10- and 12-decision buffers (plus a "
                        "size-matched control) whose errors join the std's likelihood, so it learns how errors "
                        "grow away from the data; the shipped set used 10 (default 0: validation splits only)")
    p.add_argument("--std-distance", default="cautious", choices=["cautious", "mle"],
                   help="distance slope of the std: cautious, the largest the held-out errors support (upper end of "
                        "its 95%% profile-likelihood interval; default), or mle, the most likely")
    p.add_argument("--std-shape", default="power", choices=["power", "floors"],
                   help="floors of the epistemic std: 'power' adds h*|m/m_ref|^p with the power p chosen by the "
                        "held-out errors (default); 'floors' keeps the member-std, relative, absolute and "
                        "fitted-space floors only")
    p.add_argument("--std-scale", default="fastest", choices=["fastest", "all"],
                   help="what the std's coverage factor answers for: 'fastest' (default) keeps the validation "
                        "coverage in its bands and, for device targets, the fastest third's at 60/90%% or more; "
                        "'all' only the former")
    p.add_argument("--collected", nargs="+", type=Path, default=None, metavar="DIR",
                   help="also fit on records you collected (runners/collect.py output directories, or directories "
                        "of result_*.json), added to the training part: an architecture already in train+val is "
                        "averaged with it per target, one in the test split left out; the manifest lists them "
                        "(docs/active_learning.md)")
    p.set_defaults(func=run)


def _add_collected(args: argparse.Namespace, trainval: list, n_train, noise_records, test: list):
    """Train+val with the --collected records added (see :mod:`naslib_anb.surrogates._collected`)."""
    from naslib_anb.surrogates._collected import load_collected, merge_collected

    if args.profiles:
        raise ConfigError("--collected adds records to the dataset's fit; it does not combine with --profiles")
    collected = load_collected(args.collected)
    merged, n_train, info = merge_collected(trainval, n_train, collected, held_out=test)
    test_archs = {r.arch for r in test}
    noise = list(noise_records if noise_records is not None else trainval)
    noise += [r for r in collected if r.arch not in test_archs]  # raw repeats measure the label noise
    info["dirs"] = [str(p) for p in args.collected]
    print(f"collected: {info['used']} of {info['records']} records used ({info['new_architectures']} new "
          f"architectures, {info['averaged_with_train_val']} averaged with train+val, "
          f"{len(info['left_out_in_test'])} left out as test architectures)", file=sys.stderr)
    return merged, n_train, noise, info


def _fit_config(args: argparse.Namespace, targets: tuple):
    from naslib_anb.surrogates import FitConfig

    fractions = args.split_fractions
    if any(not math.isfinite(f) or f < 0 for f in fractions) or not math.isclose(sum(fractions), 1.0):
        raise ConfigError(f"--split-fractions must be three non-negative numbers summing to 1, got "
                          f"{' '.join(map(str, fractions))}")
    if args.split_seed < 0:
        raise ConfigError(f"--split-seed must be >= 0, got {args.split_seed}")
    return FitConfig(family=args.family, targets=targets, members=args.members,
                     n_folds=args.folds, seed=args.seed, preset=args.preset, n_jobs=args.threads,
                     calibration_folds=2 if args.calibration_folds is None else args.calibration_folds,
                     calibration_buffer_reps=args.calibration_buffer_reps, distance_rule=args.std_distance,
                     std_shape=args.std_shape, std_scale=args.std_scale)


def _default_split(ds, data):
    """The default split names upstream files: a dataset of one's own needs ``--split random``."""
    try:
        return ds.default_split()
    except ANBError as exc:
        raise ConfigError(f"{exc} -- --split default is the upstream split of the ANB files; for a dataset "
                          f"you collected yourself ({data}) use --split random (or --split all)") from None


def run(args: argparse.Namespace) -> int:
    os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))
    from naslib_anb.cli.main import print_json
    from naslib_anb.cli.progress import step
    from naslib_anb.data import load_dataset
    from naslib_anb.surrogates import evaluate_model_set, fit_model_set
    from naslib_anb.surrogates._fit import MIN_CALIBRATION_RECORDS, require_calibration_records
    from naslib_anb.targets import BUILTIN_DEVICES, TARGETS

    from naslib_anb.outdir import MODEL_SIGNATURE, check_output, staged_output
    from naslib_anb.surrogates import write_model_dir

    if args.out.exists() and not args.force:
        raise ConfigError(f"{args.out} already exists; pass --force to replace it")
    check_output(args.out, force=True, signature=MODEL_SIGNATURE)
    # every value checked before data is read (a profiled device's targets exist once its profiles are read)
    cfg = _fit_config(args, ("val_top1",) if args.profiles else tuple(args.targets or TARGETS))
    if args.profiles:
        from naslib_anb.profiling.dataset import load_profiles

        ds = load_profiles(args.profiles)  # registers the profiled devices' targets
        measured = [t for t, spec in TARGETS.items() if spec.device not in (None, *BUILTIN_DEVICES)
                    and not np.isnan(ds.values(t)).all()]
        cfg = _fit_config(args, tuple(args.targets or measured))
        args.split = "all"
    else:
        step("fit", "reading the dataset")
        ds = load_dataset(args.data, how_to_pass="--data PATH")
    n_train, noise_records = None, None
    if args.split in ("default", "random"):
        sp = (_default_split(ds, args.data or ds.source) if args.split == "default"
              else ds.random_split(args.split_seed, args.split_fractions))
        trainval, test = list(sp.train) + list(sp.val), list(sp.test)
        n_train = len(sp.train)
        if args.split == "default":
            # repeated architectures left out of the split measure the label noise, unless a twin is in test
            in_split = {r.name for part in (sp.train, sp.val, sp.test) for r in part}
            test_archs = {r.arch for r in sp.test}
            noise_records = trainval + [r for r in ds if r.name not in in_split and r.arch not in test_archs]
        split_info = {"name": args.split, "train": len(sp.train), "val": len(sp.val), "test": len(sp.test),
                      "members": f"KFold({cfg.n_folds}, shuffle, random_state={cfg.seed}) over train+val; "
                                 "member i holds out fold i for early stopping; test never used in fitting"}
        if args.split == "random":
            split_info.update(seed=args.split_seed, fractions=list(args.split_fractions))
    else:
        trainval, test = list(ds.unique()), []
        split_info = {"name": "all", "records": len(trainval)}
    if args.collected:
        trainval, n_train, noise_records, collected_info = _add_collected(args, trainval, n_train, noise_records, test)
        split_info["collected"] = {k: collected_info[k] for k in ("used", "new_architectures")}
    if len(trainval) < cfg.n_folds:  # KFold would fail deep inside scikit-learn
        raise ConfigError(f"--folds {cfg.n_folds} needs at least {cfg.n_folds} records to fit on, but "
                          f"{args.profiles or args.data or 'the dataset'} gives {len(trainval)}; valid: --folds 2..{max(len(trainval), 2)} "
                          "with at least 2 records, or more records")
    if args.calibration_folds is None and len(trainval) < MIN_CALIBRATION_RECORDS:
        print(f"std not calibrated: {len(trainval)} records, fewer than the {MIN_CALIBRATION_RECORDS} a "
              "calibration needs (the std is the member std)", file=sys.stderr)
        cfg = dataclasses.replace(cfg, calibration_folds=0, calibration_buffer_reps=0)
    require_calibration_records(len(trainval), cfg.calibration_folds)  # asked for explicitly: refused
    # staged in <out>.partial under a lock: finished targets survive a kill and a rerun resumes them
    with staged_output(args.out, force=True, resume=True, signature=MODEL_SIGNATURE) as staging:
        models = fit_model_set(trainval, cfg, split_info=split_info, resume_dir=staging, n_train=n_train,
                               noise_records=noise_records)
        models.manifest["data"]["source"] = Path(ds.source or "").name
        if args.collected:
            models.manifest["data"]["collected"] = collected_info
        if test and not args.no_eval:
            models.manifest["metrics"] = evaluate_model_set(models, test)
        write_model_dir(models, staging)
        import shutil

        shutil.rmtree(staging / "finished")
        (staging / "fit_fingerprint.txt").unlink()
    out = args.out
    summary = {t: {k: round(v["ensemble"][k], 4) for k in ("r2", "kendall_tau")}
               for t, v in models.manifest.get("metrics", {}).items()}
    print_json({"out": str(out), "fit_seconds": models.manifest["fit_seconds"], "test": summary})
    return 0
