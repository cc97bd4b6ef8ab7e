"""Fitting pipeline: K members per target on K folds of train+val; test is never touched."""
from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Optional, Sequence

import numpy as np

from naslib_anb.data.records import Record
from naslib_anb.errors import ConfigError, UnknownChoiceError
from naslib_anb.surrogates._calibration import DISTANCE_RULES, SCALE_RULES, STD_SHAPES
from naslib_anb.surrogates._data import TRAIN_TIME_OUTLIER_S, records_sha256, usable, xy
from naslib_anb.surrogates._ensemble import SurrogateEnsemble
from naslib_anb.surrogates._persist import ModelSet, library_versions
from naslib_anb.surrogates._registry import (
    DEFAULT_FAMILY,
    PRESETS,
    families_for,
    get_family,
    make_estimator,
    preset_params,
)
from naslib_anb.targets import TARGETS, get_target

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FitConfig:
    """What ``naslib-anb fit`` does; saved in the manifest."""

    family: str = DEFAULT_FAMILY
    targets: tuple[str, ...] = tuple(TARGETS)
    members: int = 5
    n_folds: int = 9
    seed: int = 0
    preset: str = "anb"
    n_jobs: int = 2
    overrides: dict = field(default_factory=dict)
    #: held-out folds of ``KFold(6, shuffle, random_state=123)`` over train+val, besides the
    #: upstream train -> val split, on which the predictive std is calibrated (0: no calibration)
    calibration_folds: int = 2
    #: seeded held-out sets (40 records each) refitted behind buffers of BUFFER_RADII decisions,
    #: plus a size-matched control, whose errors join the std's shape fit (0: none); see
    #: :func:`buffered_splits`
    calibration_buffer_reps: int = 0
    #: which distance slope of the std to keep (``DISTANCE_RULES``): "cautious", the largest the
    #: errors support (upper end of its 95 % profile-likelihood interval), or "mle"
    distance_rule: str = "cautious"
    #: the epistemic std's floors (``STD_SHAPES``): "floors" (member std, relative, absolute and
    #: fitted-space floors) or "power", which adds ``h * |m / m_ref|^p`` with the power fitted
    #: by the held-out errors (errors relative to the value, or growing faster, where they do)
    std_shape: str = "power"
    #: what the std's coverage factor ``k`` answers for (``SCALE_RULES``): "all" validation errors
    #: in their bands, or "fastest": that and the fastest third of a device target's validation
    #: errors (by measured value) at FAST_MIN68 / FAST_MIN95 or more
    std_scale: str = "fastest"

    def __post_init__(self) -> None:
        if self.family != DEFAULT_FAMILY:
            get_family(self.family)
        for t in self.targets:
            get_target(t)
        if not self.targets:
            raise ConfigError("targets must not be empty")
        if self.members < 1:
            raise ConfigError(f"members must be >= 1, got {self.members}")
        for name in ("members", "n_folds", "seed", "n_jobs"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
                raise ConfigError(f"{name} must be an int, got {v!r}")
        if self.n_folds < 2:
            raise ConfigError(f"n_folds must be >= 2, got {self.n_folds}")
        if self.members > self.n_folds:
            raise ConfigError(f"members ({self.members}) > folds ({self.n_folds}): members would share held-out "
                              f"folds and early-stop on the same data; use --folds >= --members")
        if not 0 <= self.seed < 2**32 - 64:
            raise ConfigError(f"seed must be an int in [0, 2**32 - 64) (member i uses seed + i), got {self.seed}")
        if self.preset not in PRESETS:
            raise ConfigError(f"preset must be one of {PRESETS}, got {self.preset!r}")
        if self.n_jobs < 1:
            raise ConfigError(f"n_jobs must be >= 1, got {self.n_jobs}")
        if not 0 <= self.calibration_folds <= 6:
            raise ConfigError(f"calibration_folds must be in 0..6, got {self.calibration_folds}")
        reps = self.calibration_buffer_reps
        if isinstance(reps, bool) or not isinstance(reps, (int, np.integer)) or not 0 <= reps <= 100:
            raise ConfigError(f"calibration_buffer_reps must be an int in 0..100, got {reps!r}")
        if self.distance_rule not in DISTANCE_RULES:
            raise ConfigError(f"distance_rule must be one of {list(DISTANCE_RULES)}, got {self.distance_rule!r}")
        if self.std_shape not in STD_SHAPES:
            raise ConfigError(f"std_shape must be one of {list(STD_SHAPES)}, got {self.std_shape!r}")
        if self.std_scale not in SCALE_RULES:
            raise ConfigError(f"std_scale must be one of {list(SCALE_RULES)}, got {self.std_scale!r}")
        if reps and not self.calibration_folds:
            raise ConfigError(f"calibration_buffer_reps {reps} needs calibration_folds >= 1: the buffered errors "
                              "shape the std, the validation folds set its scale")
        # an override goes to every family that has the parameter; one no family has is a typo
        families = {f for t in self.targets for f in families_for(t, self.family, self.preset)}
        accepted = set().union(*(get_family(f)().get_params() for f in families))
        unknown = sorted(set(self.overrides) - accepted)
        if unknown:
            raise UnknownChoiceError(unknown[0], sorted(accepted), f"parameters of the families {sorted(families)}")


def member_folds(n: int, members: int, n_folds: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """(train, val) index pairs: member i holds out fold i mod n_folds of a seeded KFold."""
    from sklearn.model_selection import KFold

    folds = list(KFold(n_splits=n_folds, shuffle=True, random_state=seed).split(np.arange(n)))
    return [folds[i % n_folds] for i in range(members)]


def fit_ensemble(records: Sequence[Record], target: str, cfg: FitConfig,
                 shared_by_family: Optional[dict[str, dict]] = None) -> tuple[SurrogateEnsemble, dict]:
    """Fit cfg.members members per family on folds of ``records`` (train+val); returns (ensemble, info).

    See :func:`_fit_ensemble`."""
    return _fit_ensemble(records, target, cfg, shared_by_family)


def _fit_ensemble(records: Sequence[Record], target: str, cfg: FitConfig,
                  shared_by_family: Optional[dict[str, dict]] = None) -> tuple[SurrogateEnsemble, dict]:
    """Fit cfg.members members per family on folds of ``records`` (train+val); returns (ensemble, info).

    Within a family, member i uses seed ``cfg.seed + i`` and holds out fold i; values a
    family shares across members (a GP's hyperparameters) come from its first member, or
    from ``shared_by_family`` when given (the calibration refits reuse the shipped ensemble's).
    """
    archs, y = xy(records, target)
    if len(y) < 2:
        raise ConfigError(f"{target}: only {len(y)} usable records")
    members, seeds, info_members, params = [], [], [], {}
    folds = member_folds(len(y), cfg.members, cfg.n_folds, cfg.seed)
    for family in families_for(target, cfg.family, cfg.preset):
        accepted = get_family(family)().get_params()
        overrides = {k: v for k, v in cfg.overrides.items() if k in accepted}
        shared: dict[str, Any] = dict((shared_by_family or {}).get(family, {}))
        for i, (tr, va) in enumerate(folds):
            seed = cfg.seed + i
            est = make_estimator(family, target, seed=seed, preset=cfg.preset, n_jobs=cfg.n_jobs,
                                 **{**overrides, **shared})
            t0 = time.perf_counter()
            est.fit([archs[j] for j in tr], y[tr], eval_set=([archs[j] for j in va], y[va]))
            if i == 0:
                params[family] = {k: v for k, v in est.get_params().items() if k not in ("random_state", "n_jobs")}
                shared = shared or est.shared_params()
            members.append(est)
            seeds.append(seed)
            info_members.append({"family": family, "seed": seed, "fold": i % cfg.n_folds, "n_train": int(len(tr)),
                                 "n_val": int(len(va)), "best_iteration": getattr(est, "best_iteration_", None),
                                 "fit_seconds": round(time.perf_counter() - t0, 3)})
    info = {"params": params, "seeds": seeds, "members": info_members, "n_records": int(len(y))}
    return SurrogateEnsemble(target, members), info


#: Records below which the std calibration (held-out folds of KFold(6)) would rest on noise.
MIN_CALIBRATION_RECORDS = 60


def require_calibration_records(n: int, folds: int) -> None:
    """Refuse, before any fitting, a calibration that ``n`` records cannot support."""
    if folds and n < MIN_CALIBRATION_RECORDS:
        raise ConfigError(f"calibration_folds {folds} calibrates the predictive std on held-out folds of KFold(6), "
                          f"which needs at least {MIN_CALIBRATION_RECORDS} records, but there are {n}; "
                          "valid: calibration_folds 0 (--calibration-folds 0: member std, no calibration) "
                          "or more records")


def validation_splits(n: int, n_train: Optional[int], folds: int) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """(name, train, val) index splits of train+val for calibration: the upstream train -> val
    split (when ``n_train`` is given) and the first ``folds`` folds of KFold(6, shuffle, 123)."""
    from sklearn.model_selection import KFold

    require_calibration_records(n, folds)
    out = []
    if n_train is not None and 0 < n_train < n and folds > 0:
        out.append(("upstream", np.arange(n_train), np.arange(n_train, n)))
    for i, (tr, va) in enumerate(KFold(6, shuffle=True, random_state=123).split(np.arange(n))):
        if i >= folds:
            break
        out.append((f"fold{i}", tr, va))
    return out


#: Buffer widths (decisions) of the buffered calibration splits, and their held-out set size.
BUFFER_RADII = (10, 12)
BUFFER_HELD_OUT = 40


def buffered_splits(records: Sequence[Record], reps: int, seed: int = 0, radii: Sequence[int] = BUFFER_RADII,
                    held_out: int = BUFFER_HELD_OUT) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """Held-out sets that sit far from their training data, for the std's shape.

    The validation splits hold out records 4-9 decisions from the rest, as close as test
    records and uniform samples are; they cannot show how errors grow further out. Each of
    ``reps`` seeded sets of ``held_out`` records is held out behind each buffer of
    ``radii`` (every record closer than that many decisions to one of them leaves the
    training part too: spatial block cross-validation), and once with a random training
    part as large as the widest buffer leaves (a control: a buffer also shrinks the
    training set, and the control lets the likelihood tell the two apart). Splits are
    grouped by arm (each radius, then the control), repetitions in order.
    """
    from naslib_anb.space.support import codes_of, nearest_in, reference_tables

    codes = codes_of([r.arch for r in records])
    rng = np.random.default_rng(seed)
    radii = sorted(int(r) for r in radii)
    arms: dict[str, list] = {**{f"buffer{r}": [] for r in radii}, "control": []}
    for rep in range(reps):
        held = np.sort(rng.choice(len(records), size=held_out, replace=False))
        to_held = nearest_in(codes, reference_tables(codes[held]))  # 0 for the held-out records
        for r in radii:
            train = np.flatnonzero(to_held >= max(r, 1))
            if len(train) < MIN_CALIBRATION_RECORDS:
                raise ConfigError(f"a {r}-decision buffer around {held_out} held-out records leaves "
                                  f"{len(train)} of {len(records)} records to train on, fewer than "
                                  f"{MIN_CALIBRATION_RECORDS}; valid: calibration_buffer_reps 0 or more records")
            arms[f"buffer{r}"].append((f"buffer{r}_{rep}", train, held))
        pool = np.flatnonzero(to_held >= 1)
        size = len(arms[f"buffer{radii[-1]}"][-1][1])
        arms["control"].append((f"control_{rep}", np.sort(rng.choice(pool, size=size, replace=False)), held))
    return [split for arm in arms.values() for split in arm]


def calibrate(oos: dict[str, np.ndarray], far: Optional[dict[str, np.ndarray]], aleatoric, transform: str,
              distance_rule: str = "cautious", std_shape: str = "floors", fast_end: Optional[str] = None):
    """The std calibration from validation errors ``oos`` and, when given, buffered errors ``far``:
    the likelihood sees both, the coverage factor ``k`` only the validation errors (test records
    sit as close to the training data as those do). ``fast_end``: see ``fit_calibration``."""
    from naslib_anb.surrogates._calibration import fit_calibration

    keys = ("err", "mean", "member_std", "distance")
    if not far:
        return fit_calibration(*(oos[k] for k in keys), aleatoric, transform=transform, distance_rule=distance_rule,
                               std_shape=std_shape, fast_end=fast_end)
    pooled = [np.concatenate([oos[k], far[k]]) for k in keys]
    on_validation = np.concatenate([np.ones(len(oos["err"]), bool), np.zeros(len(far["err"]), bool)])
    return fit_calibration(*pooled, aleatoric, transform=transform, scale_on=on_validation,
                           distance_rule=distance_rule, std_shape=std_shape, fast_end=fast_end)


def calibrate_noise(candidates, oos: dict[str, np.ndarray], far: Optional[dict[str, np.ndarray]], transform: str,
                    cfg: FitConfig, target: str):
    """(noise, calibration) of ``target``: calibrated under each candidate noise shape
    (``noise_candidates``), the most likely kept (``choose_noise``)."""
    from naslib_anb.surrogates._calibration import choose_noise

    fast_end = fast_end_of(target) if cfg.std_scale == "fastest" else None
    n = len(oos["err"]) + (len(far["err"]) if far else 0)
    return choose_noise([(ale, ll, calibrate(oos, far, ale, transform, cfg.distance_rule, cfg.std_shape, fast_end), n)
                         for ale, ll in candidates])


def fast_end_of(target: str) -> Optional[str]:
    """Which end of ``target``'s values is fast (``FAST_ENDS``), or None for a target with no speed."""
    return {"throughput": "high", "latency": "low"}.get(get_target(target).metric)


def buffered_summary(far: dict[str, np.ndarray], reps: int, cal) -> dict:
    """What the manifest says of the buffered errors a calibration saw, and how its std covers them."""
    from naslib_anb.surrogates._calibration import coverage

    c68, c95 = coverage(far["err"], cal.total(far["mean"], far["member_std"], far["distance"]))
    return {"reps": int(reps), "radii": list(BUFFER_RADII), "held_out": BUFFER_HELD_OUT, "n": int(len(far["err"])),
            "median_distance": float(np.median(far["distance"])), "coverage_68": round(c68, 4),
            "coverage_95": round(c95, 4)}


def out_of_sample(records: Sequence[Record], target: str, cfg: FitConfig,
                  splits: Sequence[tuple[str, np.ndarray, np.ndarray]],
                  shared_by_family: Optional[dict[str, dict]] = None) -> dict[str, np.ndarray]:
    """Ensemble predictions on each split's held-out part, fitted like the shipped ensemble on the
    rest: ``err`` (label - mean), ``mean``, ``member_std`` and ``distance`` (decisions to the
    nearest training architecture), concatenated over splits."""
    from naslib_anb.space.support import codes_of, nearest_in, reference_tables
    from naslib_anb.surrogates._encoding import stage_codes

    parts: dict[str, list] = {"err": [], "mean": [], "member_std": [], "distance": []}
    for _name, tr, va in splits:
        train = [records[i] for i in tr]
        ens, _ = _fit_ensemble(train, target, cfg, shared_by_family)
        archs, y = xy([records[i] for i in va], target)
        if not len(y):
            continue
        mean, sd = ens.predict_codes(stage_codes(archs))
        parts["err"].append(y - mean)
        parts["mean"].append(mean)
        parts["member_std"].append(sd)
        parts["distance"].append(nearest_in(archs, reference_tables(codes_of(xy(train, target)[0]))))
    return {k: np.concatenate(v) for k, v in parts.items()}


def fit_model_set(trainval: Sequence[Record], cfg: FitConfig, split_info: Optional[dict] = None,
                  progress: bool = True, resume_dir: Optional[Path] = None, n_train: Optional[int] = None,
                  noise_records: Optional[Sequence[Record]] = None) -> ModelSet:
    """Fit every target of ``cfg`` on the train+val records; manifest filled except metrics.

    With ``resume_dir``, each finished target is written there at once and a rerun with the
    same config and data loads it instead of fitting it again (a killed fit keeps its targets).
    With ``cfg.calibration_folds`` the predictive std of every target is calibrated on
    validation splits of ``trainval`` (``n_train``: the first ``n_train`` records are the upstream
    train part, the rest its val part). Label noise is estimated from ``noise_records``
    (default: ``trainval``; pass the records of repeated architectures too, never test ones).
    """
    from naslib_anb.space.support import codes_of
    from naslib_anb.surrogates._calibration import estimate_aleatoric, noise_candidates

    ensembles, entries = {}, {}
    fingerprint = _fingerprint(cfg, trainval, split_info)
    done = _ResumeDir(Path(resume_dir), fingerprint) if resume_dir is not None else None
    t0 = time.perf_counter()
    splits = validation_splits(len(trainval), n_train, cfg.calibration_folds) if cfg.calibration_folds else []
    far_splits = (buffered_splits(trainval, cfg.calibration_buffer_reps, cfg.seed)
                  if splits and cfg.calibration_buffer_reps else [])
    it: Any = cfg.targets
    if progress:
        from tqdm import tqdm

        it = tqdm(cfg.targets, desc="fitting surrogates", unit="target")
    for target in it:
        finished = done.load(target) if done is not None else None
        if finished is not None:
            ensembles[target], entries[target] = finished
            log.info("%s: kept from the interrupted fit in %s", target, resume_dir)
            continue
        _stage(it, f"{target}: fitting {cfg.members} members")
        ens, info = fit_ensemble(trainval, target, cfg)
        _, dropped = usable(trainval, target)
        info["dropped_records"] = dropped
        noise_recs = list(noise_records if noise_records is not None else trainval)
        aleatoric = estimate_aleatoric(noise_recs, target)
        info["aleatoric"] = asdict(aleatoric)  # the noise the duplicates alone support, unless calibrated below
        if splits:
            # GP hyperparameters are the shipped ensemble's (a marginal-likelihood search per split
            # would triple the fit time for a handful of kernel constants)
            shared = ens.shared_by_family()
            _stage(it, f"{target}: calibrating the std on {len(splits) + len(far_splits)} held-out sets")
            oos = out_of_sample(trainval, target, cfg, splits, shared)
            far = out_of_sample(trainval, target, cfg, far_splits, shared) if far_splits else None
            aleatoric, cal = calibrate_noise(noise_candidates(noise_recs, target), oos, far, ens.transform, cfg, target)
            info["calibration"] = cal.to_json()
            info["calibration"]["splits"] = [name for name, _, _ in splits]
            if far is not None:
                info["calibration"]["buffered"] = buffered_summary(far, cfg.calibration_buffer_reps, cal)
        info["aleatoric"] = asdict(aleatoric)  # the same noise the calibration adds
        if done is not None:
            done.save(target, ens, info)
        ensembles[target] = ens
        entries[target] = info
    manifest = {
        "config": {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(cfg).items()},
        "library_versions": library_versions(),
        "data": {"records_sha256": records_sha256(trainval), "n_records": len(trainval)},
        "split": split_info or {},
        "train_time_outlier_s": TRAIN_TIME_OUTLIER_S,
        "fit_seconds": round(time.perf_counter() - t0, 2),
        "targets": entries,
    }
    support = np.unique(codes_of([r.arch for r in trainval]), axis=0).astype(np.uint8)
    return ModelSet(cfg.family, ensembles, manifest, support_codes=support)


def _stage(bar: Any, text: str) -> None:
    """Name the step on the progress bar: one target can take minutes."""
    if hasattr(bar, "set_postfix_str"):
        bar.set_postfix_str(text)


def _fingerprint(cfg: FitConfig, trainval: Sequence[Record], split_info: Optional[dict]) -> str:
    """What a finished target depends on: config, training records, split."""
    import hashlib
    import json

    text = json.dumps({"config": asdict(cfg), "records": records_sha256(trainval), "split": split_info or {}},
                      sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


class _ResumeDir:
    """Finished targets of one fit, each written whole (files, then its entry last) under ``root/finished``."""

    def __init__(self, root: Path, fingerprint: str):
        import shutil

        self.root = root / "finished"
        stamp = root / "fit_fingerprint.txt"
        if stamp.exists() and stamp.read_text().strip() != fingerprint:
            log.warning("%s holds targets of a different fit (config or data changed); starting afresh", root)
            shutil.rmtree(self.root, ignore_errors=True)
        self.root.mkdir(parents=True, exist_ok=True)
        from naslib_anb.io import atomic_write_text

        atomic_write_text(stamp, fingerprint + "\n")

    def load(self, target: str):
        import json

        from naslib_anb.errors import ModelFileError
        from naslib_anb.surrogates._persist import load_target

        entry_path = self.root / target / "entry.json"
        if not entry_path.exists():
            return None
        try:
            entry = json.loads(entry_path.read_text())
            ens = load_target(self.root, target, entry, verify=True)
            ens.members  # noqa: B018  (native members are rewritten into the final directory)
        except (ModelFileError, OSError, ValueError, KeyError) as exc:
            log.warning("%s: the kept fit is unusable (%s); fitting it again", target, exc)
            return None
        info = {k: v for k, v in entry.items() if k not in ("transform", "files", "tables")}
        return ens, info

    def save(self, target: str, ens: SurrogateEnsemble, info: dict) -> None:
        import shutil

        from naslib_anb.io import atomic_write_json
        from naslib_anb.surrogates._persist import write_target_files

        shutil.rmtree(self.root / target, ignore_errors=True)
        entry = write_target_files(self.root, target, ens, dict(info))
        atomic_write_json(self.root / target / "entry.json", entry)  # last: its presence marks the target done


__all__ = ["BUFFER_HELD_OUT", "BUFFER_RADII", "FitConfig", "buffered_splits", "calibrate", "calibrate_noise",
           "fast_end_of", "fit_ensemble", "fit_model_set", "member_folds", "out_of_sample", "preset_params", "validation_splits"]
