"""The surrogate benchmark: shipped (or refitted) ensembles behind the ``Benchmark`` API.

``load_benchmark()`` returns the package's default XGBoost model set, loaded once per
process. Units: val_top1/val_top5 in %, train_time in s, throughput in img/s, latency
in ms (see :mod:`naslib_anb.targets`).
"""
from __future__ import annotations

import threading
from pathlib import Path
from typing import Callable, Iterable, Optional, Sequence, Union

import numpy as np

from naslib_anb.benchmark.base import ArchLike, Benchmark, _check_flag, _target_names, as_archs
from naslib_anb.errors import UnknownChoiceError
from naslib_anb.space.arch import Arch
from naslib_anb.surrogates._calibration import Aleatoric, StdCalibration
from naslib_anb.surrogates._encoding import stage_codes
from naslib_anb.surrogates._persist import ModelSet, load_model_set
from naslib_anb.targets import TARGETS, Target


class SurrogateBenchmark(Benchmark):
    """Ensemble mean and calibrated predictive std of a :class:`ModelSet` per target.

    The std combines an epistemic part (member std, scaled, floored and inflated with the
    distance to the training architectures; calibrated on validation splits) and the
    aleatoric label noise; ``noise_seed`` draws the aleatoric part only. Model sets without a
    calibration fall back to the member std for both.
    """

    def __init__(self, models: ModelSet, name: str = "anb"):
        self.models = models
        self.name = name
        self._targets = models.targets
        self._ens = dict(models.ensembles)
        self._cal: dict[str, StdCalibration] = {}
        self._ale: dict[str, Aleatoric] = {}
        for t, entry in models.manifest.get("targets", {}).items():
            if "calibration" in entry:
                self._cal[t] = StdCalibration.from_json(entry["calibration"])
            if "aleatoric" in entry:
                self._ale[t] = Aleatoric.from_json(entry["aleatoric"])
        self._support = models.support_codes
        self._support_tables: Optional[np.ndarray] = None

    @classmethod
    def from_dir(cls, model_dir: Union[str, Path], verify: bool = True, name: str = "anb",
                 n_jobs: int = 1) -> "SurrogateBenchmark":
        return cls(load_model_set(Path(model_dir), verify=verify, n_jobs=n_jobs), name=name)

    @property
    def targets(self) -> tuple[str, ...]:
        return self._targets

    @property
    def manifest(self) -> dict:
        return self.models.manifest

    def calibration(self, target: str) -> Optional[StdCalibration]:
        """The std calibration of ``target`` (None for a model set fitted without one)."""
        return self._cal.get(self.resolve(target).name)

    def training_distance(self, archs: Union[ArchLike, Iterable[ArchLike]]) -> np.ndarray:
        """(n,) decisions to the nearest architecture the model set was fitted on (0 if unknown)."""
        items, _ = as_archs(archs)
        return self._distance(items)

    def _distance(self, items: list[Arch]) -> np.ndarray:
        if self._support is None:
            return np.zeros(len(items))
        from naslib_anb.space.support import nearest_in, reference_tables

        if self._support_tables is None:  # built once: per-stage distances to the training architectures
            self._support_tables = reference_tables(self._support)
        return nearest_in(items, self._support_tables).astype(np.float64)

    def _std(self, name: str, mean: np.ndarray, member_std: np.ndarray, distance: Callable[[], np.ndarray]):
        cal = self._cal.get(name)
        if cal is None:
            return member_std
        return cal.total(mean, member_std, distance())

    def _predict(self, archs: list[Arch], target: Target, std: bool = True) -> tuple[np.ndarray, np.ndarray]:
        mean, sd = self._ens[target.name].predict_codes(stage_codes(archs))
        if std:
            sd = self._std(target.name, mean, sd, lambda: self._distance(archs))
        return mean, sd

    def _noise_std(self, archs: list[Arch], target: Target, mean: np.ndarray) -> np.ndarray:
        ale = self._ale.get(target.name)
        if ale is None:  # an older model set: the member std, as before
            return self._ens[target.name].predict_codes(stage_codes(archs))[1]
        return ale.std(mean)

    def query_all(self, archs: Union[ArchLike, Iterable[ArchLike]],
                  targets: Optional[Sequence[str]] = None, std: bool = False):
        """Every target (or the given ones) for a batch: ``{target: (n,) array}``.

        The architectures are encoded once for all targets. With ``std=True`` the values
        are ``(mean, predictive std)`` pairs.
        """
        items, _ = as_archs(archs)
        names = [self.resolve(n).name for n in _target_names(targets, self._targets)]
        std = _check_flag(std, "std")
        codes = stage_codes(items)
        dist: list[np.ndarray] = []

        def distance() -> np.ndarray:  # computed once, for the first target that needs it
            if not dist:
                dist.append(self._distance(items))
            return dist[0]

        out = {}
        for n in names:
            mean, sd = self._ens[n].predict_codes(codes)
            out[n] = (mean, self._std(n, mean, sd, distance)) if std else mean
        return out


_DEFAULT_CACHE: dict[tuple, SurrogateBenchmark] = {}
_LOCK = threading.Lock()

#: Named benchmarks available offline; ``list_benchmarks()`` reports them.
BENCHMARKS = {"anb": "ImageNet MnasNet space, GP and XGBoost ensembles for 11 targets (shipped)"}


def list_benchmarks() -> dict[str, str]:
    return dict(BENCHMARKS)


def load_benchmark(name: str = "anb", model_dir: Optional[Union[str, Path]] = None,
                   verify: bool = True) -> SurrogateBenchmark:
    """The surrogate benchmark, loaded once per process (same object on repeated calls).

    ``model_dir`` loads a model directory written by ``naslib-anb fit`` instead of the
    shipped one. Model files are sha256-checked against their manifest.
    """
    if model_dir is None and name == "anb" and verify:
        cached = _DEFAULT_CACHE.get(("anb", None, True))
        if cached is not None:
            return cached
    if name not in BENCHMARKS:
        raise UnknownChoiceError(name, BENCHMARKS, "benchmarks")
    from naslib_anb.surrogates import default_model_dir

    path = Path(model_dir) if model_dir is not None else default_model_dir()
    key = (name, str(path.resolve()), bool(verify))
    bench = _DEFAULT_CACHE.get(key)
    if bench is None:
        with _LOCK:
            bench = _DEFAULT_CACHE.get(key)
            if bench is None:
                bench = SurrogateBenchmark.from_dir(path, verify=verify, name=name)
                _DEFAULT_CACHE[key] = bench
                if model_dir is None:
                    _DEFAULT_CACHE[(name, None, bool(verify))] = bench
    return bench


__all__ = ["SurrogateBenchmark", "load_benchmark", "list_benchmarks", "BENCHMARKS", "TARGETS"]
