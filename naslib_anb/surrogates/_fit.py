"""Fitting pipeline: K members per target on K folds of train+val; test is never touched."""
from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Optional, Sequence

import numpy as np

from naslib_anb.data.records import Record
from naslib_anb.errors import ConfigError, UnknownChoiceError
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

    def __post_init__(self) -> None:
        if self.family != DEFAULT_FAMILY:
            get_family(self.family)
        for t in self.targets:
            get_target(t)
        if not self.targets:
            raise ConfigError("targets must not be empty")
        if self.members < 1:
            raise ConfigError(f"members must be >= 1, got {self.members}")
        if self.n_folds < 2:
            raise ConfigError(f"n_folds must be >= 2, got {self.n_folds}")
        if self.preset not in PRESETS:
            raise ConfigError(f"preset must be one of {PRESETS}, got {self.preset!r}")
        if self.n_jobs < 1:
            raise ConfigError(f"n_jobs must be >= 1, got {self.n_jobs}")
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


def fit_ensemble(records: Sequence[Record], target: str, cfg: FitConfig) -> tuple[SurrogateEnsemble, dict]:
    """Fit cfg.members members per family on folds of ``records`` (train+val); returns (ensemble, info).

    Within a family, member i uses seed ``cfg.seed + i`` and holds out fold i; values a
    family shares across members (a GP's hyperparameters) come from its first member.
    """
    archs, y = xy(records, target)
    if len(y) < 2:
        raise ConfigError(f"{target}: only {len(y)} usable records")
    members, seeds, info_members, params = [], [], [], {}
    folds = member_folds(len(y), cfg.members, cfg.n_folds, cfg.seed)
    for family in families_for(target, cfg.family, cfg.preset):
        accepted = get_family(family)().get_params()
        overrides = {k: v for k, v in cfg.overrides.items() if k in accepted}
        shared: dict[str, Any] = {}
        for i, (tr, va) in enumerate(folds):
            seed = cfg.seed + i
            est = make_estimator(family, target, seed=seed, preset=cfg.preset, n_jobs=cfg.n_jobs,
                                 **{**overrides, **shared})
            t0 = time.perf_counter()
            est.fit([archs[j] for j in tr], y[tr], eval_set=([archs[j] for j in va], y[va]))
            if i == 0:
                params[family] = {k: v for k, v in est.get_params().items() if k not in ("random_state", "n_jobs")}
                shared = est.shared_params()
            members.append(est)
            seeds.append(seed)
            info_members.append({"family": family, "seed": seed, "fold": i % cfg.n_folds, "n_train": int(len(tr)),
                                 "n_val": int(len(va)), "best_iteration": getattr(est, "best_iteration_", None),
                                 "fit_seconds": round(time.perf_counter() - t0, 3)})
    info = {"params": params, "seeds": seeds, "members": info_members, "n_records": int(len(y))}
    return SurrogateEnsemble(target, members), info


def fit_model_set(trainval: Sequence[Record], cfg: FitConfig, split_info: Optional[dict] = None,
                  progress: bool = True) -> ModelSet:
    """Fit every target of ``cfg`` on the train+val records; manifest filled except metrics."""
    ensembles, entries = {}, {}
    t0 = time.perf_counter()
    it: Any = cfg.targets
    if progress:
        from tqdm import tqdm

        it = tqdm(cfg.targets, desc="fitting surrogates", unit="target")
    for target in it:
        ens, info = fit_ensemble(trainval, target, cfg)
        _, dropped = usable(trainval, target)
        info["dropped_records"] = dropped
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
    return ModelSet(cfg.family, ensembles, manifest)


__all__ = ["FitConfig", "fit_ensemble", "fit_model_set", "member_folds", "preset_params"]
