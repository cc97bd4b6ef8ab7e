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

    def __init__(self, models: ModelSet, name: str = "anb", member: Optional[int] = None,
                 variant: str = "ensemble"):
        self.models = models
        self.name = name
        #: the benchmark variant (see :mod:`.variants`) recorded with every result computed on it
        self.variant = variant
        #: with a member index the mean is that member's prediction alone; the std stays the ensemble's
        self.member = member
        if member is not None:
            sizes = {t: e.size for t, e in models.ensembles.items()}
            if not 0 <= member < min(sizes.values()):
                raise UnknownChoiceError(f"member:{member}", [f"member:{k}" for k in range(min(sizes.values()))],
                                         "members of the model set")
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

    def _mean_and_member_std(self, name: str, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(prediction, ensemble mean, member std): the prediction is the mean, or member K's value."""
        ens = self._ens[name]
        if self.member is None:
            mean, sd = ens.predict_codes(codes)
            return mean, mean, sd
        vals = ens.member_predictions_codes(codes)
        return vals[:, self.member], vals.mean(axis=1), vals.std(axis=1)

    def _predict(self, archs: list[Arch], target: Target, std: bool = True) -> tuple[np.ndarray, np.ndarray]:
        pred, mean, sd = self._mean_and_member_std(target.name, stage_codes(archs))
        if std:
            sd = self._std(target.name, mean, sd, lambda: self._distance(archs))
        return pred, sd

    def _noise_std(self, archs: list[Arch], target: Target, mean: np.ndarray) -> np.ndarray:
        ale = self._ale.get(target.name)
        if ale is None:  # an older model set: the member std, as before
            return self._mean_and_member_std(target.name, stage_codes(archs))[2]
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
            pred, mean, sd = self._mean_and_member_std(n, codes)
            out[n] = (pred, self._std(n, mean, sd, distance)) if std else pred
        return out


_DEFAULT_CACHE: dict[tuple, SurrogateBenchmark] = {}
_LOCK = threading.Lock()

#: Named benchmarks available offline; ``list_benchmarks()`` reports them.
BENCHMARKS = {"anb": "ImageNet MnasNet space, GP and XGBoost ensembles for 11 targets (shipped)"}


def list_benchmarks() -> dict[str, str]:
    return dict(BENCHMARKS)


def load_benchmark(name: str = "anb", model_dir: Optional[Union[str, Path]] = None,
                   verify: bool = True, variant: Optional[str] = None) -> SurrogateBenchmark:
    """The surrogate benchmark, loaded once per process (same object on repeated calls).

    ``model_dir`` loads a model directory written by ``naslib-anb fit`` instead of the
    shipped one. ``variant`` picks another surrogate of the same data (``list_variants()``):
    ``member:K`` (one member of the ensemble alone) or a second family such as ``lgb``; the
    default is the ensemble. Model files are sha256-checked against their manifest.
    """
    if model_dir is None and name == "anb" and verify and variant is None:
        cached = _DEFAULT_CACHE.get(("anb", None, True))
        if cached is not None:
            return cached
    if name not in BENCHMARKS:
        raise UnknownChoiceError(name, BENCHMARKS, "benchmarks")
    from naslib_anb.benchmark import variants as V

    v = _variant_for(variant, model_dir)
    if v in V.SECOND_FAMILIES:
        return _load_dir(name, V.family_model_dir(v), verify, v, ("anb", v, bool(verify)))
    base = _load_default(name, model_dir, verify)
    k = V.member_index(v)
    if k is None:
        return base
    key = (name, str(base.models.path), bool(verify), v)
    bench = _DEFAULT_CACHE.get(key)
    if bench is None:
        bench = SurrogateBenchmark(base.models, name=f"{name}[{v}]", member=k, variant=v)
        _DEFAULT_CACHE[key] = bench
    return bench


def _variant_for(variant: Optional[str], model_dir) -> str:
    """The canonical variant; with ``model_dir`` only the ensemble and its members exist."""
    from naslib_anb.benchmark import variants as V

    if variant is None:
        return V.DEFAULT_VARIANT
    if model_dir is None:
        return V.resolve_variant(variant)
    v = V.ALIASES.get(variant, variant) if isinstance(variant, str) else variant
    if v == V.DEFAULT_VARIANT:
        return v
    if isinstance(v, str) and v.startswith(V.MEMBER_PREFIX) and v[len(V.MEMBER_PREFIX):].isdigit() \
            and str(int(v[len(V.MEMBER_PREFIX):])) == v[len(V.MEMBER_PREFIX):]:
        return v  # K is checked against this model set's ensembles when it is loaded
    raise V.UnknownVariantError(variant, [V.DEFAULT_VARIANT, f"{V.MEMBER_PREFIX}K"],
                                f"a model directory ({model_dir}) has its ensemble and its members only")


def _load_default(name: str, model_dir, verify: bool) -> SurrogateBenchmark:
    from naslib_anb.surrogates import default_model_dir

    path = Path(model_dir) if model_dir is not None else default_model_dir()
    bench = _load_dir(name, path, verify, "ensemble", None)
    if model_dir is None:
        _DEFAULT_CACHE[(name, None, bool(verify))] = bench
    return bench


def _load_dir(name: str, path: Path, verify: bool, variant: str, alias_key) -> SurrogateBenchmark:
    key = (name, str(path.resolve()), bool(verify))
    bench = _DEFAULT_CACHE.get(key)
    if bench is None:
        with _LOCK:
            bench = _DEFAULT_CACHE.get(key)
            if bench is None:
                shown = name if variant == "ensemble" else f"{name}[{variant}]"
                bench = SurrogateBenchmark.from_dir(path, verify=verify, name=shown)
                bench.variant = variant
                _DEFAULT_CACHE[key] = bench
    if alias_key is not None:
        _DEFAULT_CACHE[alias_key] = bench
    return bench


def list_variants() -> dict[str, str]:
    """Benchmark variants (name -> one-line description); see :mod:`naslib_anb.benchmark.variants`."""
    from naslib_anb.benchmark.variants import list_variants as _list

    return _list()


__all__ = ["SurrogateBenchmark", "load_benchmark", "list_benchmarks", "list_variants", "BENCHMARKS", "TARGETS"]
