"""The surrogate benchmark: shipped (or refitted) ensembles behind the ``Benchmark`` API.

``load_benchmark()`` returns the package's default XGBoost model set, loaded once per
process. Units: val_top1/val_top5 in %, train_time in s, throughput in img/s, latency
in ms (see :mod:`naslib_anb.targets`).
"""
from __future__ import annotations

import threading
from pathlib import Path
from typing import Iterable, Optional, Sequence, Union

import numpy as np

from naslib_anb.benchmark.base import ArchLike, Benchmark, _check_flag, _target_names, as_archs
from naslib_anb.errors import UnknownChoiceError
from naslib_anb.space.arch import Arch
from naslib_anb.surrogates._encoding import stage_codes
from naslib_anb.surrogates._persist import ModelSet, load_model_set
from naslib_anb.targets import TARGETS, Target


class SurrogateBenchmark(Benchmark):
    """Ensemble mean (and member std) of a :class:`ModelSet` per target."""

    def __init__(self, models: ModelSet, name: str = "anb"):
        self.models = models
        self.name = name
        self._targets = models.targets
        self._ens = dict(models.ensembles)

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

    def _predict(self, archs: list[Arch], target: Target) -> tuple[np.ndarray, np.ndarray]:
        return self._ens[target.name].predict_codes(stage_codes(archs))

    def query_all(self, archs: Union[ArchLike, Iterable[ArchLike]],
                  targets: Optional[Sequence[str]] = None, std: bool = False):
        """Every target (or the given ones) for a batch: ``{target: (n,) array}``.

        The architectures are encoded once for all targets. With ``std=True`` the values
        are ``(mean, std)`` pairs.
        """
        items, _ = as_archs(archs)
        names = [self.resolve(n).name for n in _target_names(targets, self._targets)]
        std = _check_flag(std, "std")
        codes = stage_codes(items)
        out = {}
        for n in names:
            mean, sd = self._ens[n].predict_codes(codes)
            out[n] = (mean, sd) if std else mean
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
