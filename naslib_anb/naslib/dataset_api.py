"""The NASLib ``dataset_api`` for ANB: the benchmark loaded once, predictions cached by arch hash.

NASLib passes an opaque ``dataset_api`` dict to every ``query``/``sample``/``mutate`` call and
keeps it out of the (constantly deep-copied) search-space objects. Ours holds an
:class:`ANBQueryEngine`, which owns the :class:`~naslib_anb.benchmark.Benchmark`, the measured
:class:`~naslib_anb.data.Dataset` (for ``load_labeled``), a prediction cache and the options
(which device/metric backs ``Metric.LATENCY``, which target backs ``Metric.TEST_ACCURACY``).

This module does not import NASLib: NASLib metrics are handled by their enum *name*.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable, Mapping, Optional, Union

import numpy as np

from naslib_anb.errors import ConfigError, DataError, UnknownChoiceError, UnknownMetricError
from naslib_anb.space import Arch, arch_cost
from naslib_anb.targets import get_target, resolve_target

#: How each NASLib ``Metric`` (by name) is answered for ANB.
METRIC_MAP: dict[str, str] = {
    "VAL_ACCURACY": "val_top1 (%), ImageNet validation top-1 after p* proxy training",
    "TEST_ACCURACY": "the test_target option, default val_top1: ANB has one held-out figure "
                     "(ImageNet val); TEST equals VAL unless another target is chosen",
    "TRAIN_ACCURACY": "-1 (NASLib's value for a missing figure): ANB records no training-set accuracy "
                      "(NASLib's optimizers query it every epoch for logging only)",
    "TRAIN_TIME": "train_time (s), wall-clock of the p* run",
    "LATENCY": "the latency_device/latency_metric option, default latency_zcu102 (ms); "
               "throughput targets (img/s, higher is better) may be chosen explicitly",
    "PARAMETERS": "parameters in millions, computed exactly from the architecture",
    "FLOPS": "multiply-accumulates in millions (MACs) at 224 px, computed exactly",
    "RAW": "dict: every benchmark target, params_m, macs_m, and measured values for labeled archs",
    "HP": "dict {'flops': MACs (M), 'params': params (M), 'latency': the LATENCY value}",
}
SUPPORTED_METRICS = tuple(METRIC_MAP)
#: NASLib metrics that exist only as learning curves (per-epoch training records); ANB has none
LEARNING_CURVE_METRICS = ("TRAIN_LOSS", "VAL_LOSS", "TEST_LOSS", "ALL", "EPOCH", "VAL_TIME", "TEST_TIME")
#: what NASLib's own spaces return for a figure they do not have (keeps errors.json strict JSON)
MISSING = -1.0

_DEFAULT_DATASET = "imagenet"
_BENCHMARK_CACHE: dict[Any, Any] = {}
_LOCK = threading.Lock()

SpecLike = Union[tuple, list, Arch]


@lru_cache(maxsize=200_000)
def spec_to_arch(spec: tuple) -> Arch:
    """28-int spec ``(e, k, l, se) x 7`` -> Arch (cached; specs are NASLib hashes)."""
    return Arch.from_tuple(spec)


@lru_cache(maxsize=200_000)
def _cost(spec: tuple) -> tuple[float, float]:
    c = arch_cost(spec_to_arch(spec))
    return c.params / 1e6, c.macs / 1e6


def metric_name(metric: Any) -> str:
    """NASLib ``Metric`` member or its name -> the name (``"VAL_ACCURACY"``)."""
    if isinstance(metric, str):
        return metric.upper()
    name = getattr(metric, "name", None)
    if isinstance(name, str):
        return name
    raise UnknownMetricError(metric, SUPPORTED_METRICS, "pass a naslib Metric member")


@dataclass(frozen=True)
class MnasObjective:
    """MnasNet's soft-constrained reward, the bi-objective mode NASLib's single-objective optimizers allow.

    The same reward as ``naslib-anb search`` (:class:`naslib_anb.search.objectives.MnasNetReward`):
    ``val_top1 * (value / reference) ** weight`` for throughput and
    ``val_top1 * (reference / value) ** weight`` for latency, ``weight = 0.07``, so beating the
    reference always raises the reward. When set, ``Metric.VAL_ACCURACY`` (what NASLib optimizers
    maximise) returns the reward; ``TEST_ACCURACY`` stays the plain accuracy.
    """

    reference: float
    weight: float = 0.07
    target: Optional[str] = None  # default: the engine's LATENCY target

    def __post_init__(self) -> None:
        try:
            ok = float(self.reference) > 0 and np.isfinite(float(self.reference))
        except (TypeError, ValueError):
            ok = False
        if not ok:
            raise ConfigError(f"objective reference must be a positive number, got {self.reference!r}")
        if not np.isfinite(float(self.weight)):
            raise ConfigError(f"objective weight must be finite, got {self.weight!r}")
        if self.target is not None:
            get_target(self.target)

    @classmethod
    def from_config(cls, obj: Any) -> Optional["MnasObjective"]:
        if obj is None or isinstance(obj, MnasObjective):
            return obj
        if not isinstance(obj, Mapping):
            raise ConfigError(f"objective must be a mapping {{reference, weight, target}}, got {obj!r}")
        extra = set(obj) - {"reference", "weight", "target", "kind"}
        if extra or obj.get("kind", "mnas") != "mnas":
            raise ConfigError(f"objective keys are kind='mnas', reference, weight, target; got {dict(obj)!r}")
        return cls(**{k: v for k, v in obj.items() if k != "kind"})


class ANBQueryEngine:
    """Answers NASLib metric queries for 28-int specs from a benchmark (and measured data).

    Every surrogate prediction is cached by ``(spec, target)``: NASLib's ``train_statistics``
    re-queries the incumbent four times per epoch.
    """

    def __init__(
        self,
        benchmark: Any,
        measured: Any = None,
        *,
        measured_loader: Optional[Callable[[], Any]] = None,
        latency_device: str = "zcu102",
        latency_metric: str = "latency",
        test_target: str = "val_top1",
        val_target: str = "val_top1",
        objective: Any = None,
        noise_seed: Optional[int] = None,
    ):
        if benchmark is None:
            raise ConfigError("ANBQueryEngine needs a benchmark (naslib_anb.benchmark.Benchmark)")
        self.benchmark = benchmark
        self._measured = measured
        self._measured_loader = measured_loader
        self.latency_target = resolve_target(None, latency_device, latency_metric).name
        self.test_target = get_target(test_target).name
        self.val_target = get_target(val_target).name
        self.objective = MnasObjective.from_config(objective)
        if noise_seed is not None:
            from naslib_anb.benchmark.base import standard_normal_per_arch

            standard_normal_per_arch([Arch.from_tuple((4, 3, 2, 0) * 7)], noise_seed)  # validates it
        #: label noise drawn per (noise_seed, architecture) on every surrogate answer; None = the mean
        self.noise_seed = noise_seed
        self.objective_target = (self.objective.target or self.latency_target) if self.objective else None
        self._reward_fn = None
        if self.objective is not None:
            from naslib_anb.search.objectives import MnasNetReward

            t = get_target(self.objective_target)
            if t.device is None:
                raise ConfigError(f"objective target must be a device target, got {t.name!r}")
            self._reward_fn = MnasNetReward(accuracy=self.val_target, device=t.device, metric=t.metric,
                                            T=float(self.objective.reference), w=float(self.objective.weight))
        self.cache: dict[tuple[tuple, str], float] = {}
        #: every spec whose objective (VAL_ACCURACY) was queried, in first-query order
        self.evaluated: dict[tuple, None] = {}
        self._by_arch: Optional[dict[Arch, Any]] = None
        self._labeled_order: Optional[np.ndarray] = None
        self._labeled_cursor = 0
        self._labeled_specs: Optional[list[tuple]] = None
        self.n_predictions = 0

    # -- measured data ---------------------------------------------------------------
    @property
    def measured(self) -> Any:
        """The measured Dataset, loaded on first use."""
        if self._measured is None:
            if self._measured_loader is None:
                raise DataError("no measured dataset: pass measured= or data_path= to get_anb_dataset_api "
                                "to use load_labeled")
            self._measured = self._measured_loader()
        return self._measured

    def _index(self) -> dict[Arch, Any]:
        if self._by_arch is None:
            uniq = self.measured.unique()
            self._by_arch = {r.arch: r for r in uniq}
            self._labeled_specs = [r.arch.to_tuple() for r in uniq]
        return self._by_arch

    def labeled_specs(self) -> list[tuple]:
        """Specs of the measured architectures (one per distinct arch, file order)."""
        self._index()
        assert self._labeled_specs is not None
        return self._labeled_specs

    def sample_measured(self, rng: np.random.Generator) -> tuple:
        """The next measured architecture of one seeded permutation, without replacement.

        NASLib draws its train and test sets with separate calls and no de-duplication, so
        drawing with replacement would put test architectures into the train set.
        """
        specs = self.labeled_specs()
        if self._labeled_order is None:
            self._labeled_order = rng.permutation(len(specs))
        if self._labeled_cursor >= len(specs):
            raise DataError(f"all {len(specs)} measured architectures have been drawn; ask for fewer "
                            "labelled architectures (train + test sizes)")
        spec = specs[int(self._labeled_order[self._labeled_cursor])]
        self._labeled_cursor += 1
        return spec

    def measured_value(self, spec: tuple, target: str) -> float:
        """The measured value of ``target`` for a measured arch; NaN where it was not measured."""
        rec = self._index().get(spec_to_arch(spec))
        if rec is None:
            raise DataError(f"architecture {spec_to_arch(spec)} is not in the measured dataset")
        return float(rec.value(target))

    # -- surrogate -------------------------------------------------------------------
    def predict(self, spec: tuple, target: str) -> float:
        key = (spec, target)
        v = self.cache.get(key)
        if v is None:
            v = float(self.benchmark.query(spec_to_arch(spec), target, noise_seed=self.noise_seed))
            self.cache[key] = v
            self.n_predictions += 1
        return v

    def prefetch(self, specs: list[tuple], targets: tuple[str, ...] = ("val_top1",)) -> None:
        """Predict many archs in one batch per target and fill the cache."""
        todo = list(dict.fromkeys(s for s in specs))
        for t in targets:
            missing = [s for s in todo if (s, t) not in self.cache]
            if not missing:
                continue
            vals = np.atleast_1d(self.benchmark.query([spec_to_arch(s) for s in missing], t,
                                                      noise_seed=self.noise_seed))
            for s, v in zip(missing, vals):
                self.cache[(s, t)] = float(v)
            self.n_predictions += len(missing)

    def _target_value(self, spec: tuple, target: str, labeled: bool) -> float:
        """Labelled archs answer from the measurement where one exists (NASLib's statistics code marks
        mutated, unmeasured archs labelled too), else from the surrogate."""
        if labeled and spec_to_arch(spec) in self._index():
            v = self.measured_value(spec, target)
            if np.isfinite(v):
                return v
        return self.predict(spec, target)

    # -- the NASLib metric table -----------------------------------------------------
    def value(self, spec: tuple, metric: Any, labeled: bool = False) -> Any:
        """Answer one NASLib metric for ``spec``; Python floats (dicts for RAW/HP).

        ``labeled=True`` (archs from ``load_labeled_architecture``) answers from the measured
        record where that target was measured, else from the surrogate.
        """
        name = metric_name(metric)
        if name == "VAL_ACCURACY":
            self.evaluated.setdefault(spec)
            acc = self._target_value(spec, self.val_target, labeled)
            return acc if self.objective is None else self.reward(spec, acc, labeled)
        if name == "TEST_ACCURACY":
            return self._target_value(spec, self.test_target, labeled)
        if name == "TRAIN_ACCURACY":
            return MISSING
        if name == "TRAIN_TIME":
            return self._target_value(spec, "train_time", labeled)
        if name == "LATENCY":
            return self._target_value(spec, self.latency_target, labeled)
        if name == "PARAMETERS":
            return _cost(spec)[0]
        if name == "FLOPS":
            return _cost(spec)[1]
        if name == "HP":
            params, macs = _cost(spec)
            return {"flops": macs, "params": params,
                    "latency": self._target_value(spec, self.latency_target, labeled)}
        if name == "RAW":
            return self.raw(spec, labeled)
        if name in LEARNING_CURVE_METRICS:
            raise UnknownMetricError(name, SUPPORTED_METRICS, "ANB has no learning curves: each architecture "
                                     "has one final measurement, no per-epoch record")
        raise UnknownMetricError(name, SUPPORTED_METRICS, "ANB has no such quantity; see METRIC_MAP")

    def reward(self, spec: tuple, acc: float, labeled: bool = False) -> float:
        """MnasNet soft-constraint reward for ``spec`` (see :class:`MnasObjective`)."""
        if self._reward_fn is None:
            raise ConfigError("this dataset API has no objective; pass objective={...} to get_anb_dataset_api")
        v = self._target_value(spec, self.objective_target, labeled)
        values = {self.val_target: np.array([acc]), self.objective_target: np.array([v])}
        return float(self._reward_fn(values)[0])

    def pareto(self, target: Optional[str] = None) -> list[dict[str, Any]]:
        """Non-dominated evaluated archs on (val accuracy, ``target``), best accuracy first."""
        tname = get_target(target or self.objective_target or self.latency_target).name
        specs = list(self.evaluated)
        if not specs:
            return []
        self.prefetch(specs, (self.val_target, tname))
        from naslib_anb.search.pareto import pareto_mask

        hib = get_target(tname).higher_is_better
        F = np.asarray([[self.cache[(s, self.val_target)], self.cache[(s, tname)]] for s in specs])
        keep = np.flatnonzero(pareto_mask(F, maximize=[True, hib]))
        keep = sorted(keep, key=lambda i: (-F[i, 0], -F[i, 1] if hib else F[i, 1]))
        return [{"arch": str(spec_to_arch(specs[i])), self.val_target: float(F[i, 0]), tname: float(F[i, 1])}
                for i in keep]

    def raw(self, spec: tuple, labeled: bool = False) -> dict[str, Any]:
        params, macs = _cost(spec)
        out: dict[str, Any] = {"arch": str(spec_to_arch(spec)), "params_m": params, "macs_m": macs}
        for t in self.benchmark.targets:
            out[t] = self.predict(spec, t)
        if labeled:
            rec = self._index().get(spec_to_arch(spec))
            if rec is not None:
                out["measured"] = {t: float(rec.value(t)) for t in self.benchmark.targets}
        return out


def _load_benchmark(name: Optional[str], model_dir: Any = None) -> Any:
    key = (name or "default") if model_dir is None else (name or "anb", str(model_dir))
    with _LOCK:
        bm = _BENCHMARK_CACHE.get(key)
        if bm is None:
            from naslib_anb.benchmark import load_benchmark  # the surrogate benchmark
            from naslib_anb.benchmark.surrogate import BENCHMARKS
            from naslib_anb.benchmark.variants import check_variant

            kwargs = {} if model_dir is None else {"model_dir": model_dir}
            if name is None or name in BENCHMARKS:
                bm = load_benchmark(**kwargs) if name is None else load_benchmark(name, **kwargs)
            else:  # member:K, lgb, ...: a variant of the shipped surrogates
                variant = check_variant(name, tuple(BENCHMARKS), "anb.benchmark: anb or a variant of it")
                bm = load_benchmark(variant=variant, **kwargs)
            _BENCHMARK_CACHE[key] = bm
    return bm


def get_anb_dataset_api(
    dataset: str = _DEFAULT_DATASET,
    benchmark: Any = None,
    *,
    measured: Any = None,
    data_path: Any = None,
    latency_device: str = "zcu102",
    latency_metric: str = "latency",
    test_target: str = "val_top1",
    objective: Any = None,
    zc_data: Any = None,
    model_dir: Any = None,
    noise_seed: Optional[int] = None,
) -> dict[str, Any]:
    """Build the ``dataset_api`` dict NASLib passes around.

    ``benchmark``: a Benchmark object (dependency injection, e.g. ``FunctionBenchmark`` in
    tests), a registered benchmark name, or None for the default surrogate benchmark, which is
    loaded once per process; ``model_dir`` loads a model directory written by ``naslib-anb fit``
    instead of the shipped models. ``noise_seed`` adds the benchmark's label noise, drawn per
    ``(noise_seed, architecture)``, to every surrogate answer (None: the mean prediction).
    ``measured`` (a Dataset) or ``data_path`` back ``load_labeled``;
    the data file is read on first use only. ``objective`` (a mapping or :class:`MnasObjective`)
    switches on the bi-objective reward. ``zc_data`` (a mapping of
    :class:`~naslib_anb.naslib.zc_data.ZCDataConfig` fields, e.g. ``{"data_path": ..., "resolution":
    64}``) says what feeds zero-cost proxies; without ``data_path`` they get a labelled synthetic batch
    (see :func:`zc_loader`).
    """
    from naslib_anb.naslib import DATASETS, SPACE_NAME

    if not isinstance(dataset, str) or dataset.lower() not in DATASETS:
        raise UnknownChoiceError(dataset, DATASETS, "ANB is measured on ImageNet only")
    if benchmark is None or isinstance(benchmark, str):
        benchmark = _load_benchmark(benchmark, model_dir)
    elif model_dir is not None:
        raise ConfigError("pass either a Benchmark object or model_dir, not both")
    loader = None
    if measured is None:
        def loader() -> Any:
            from naslib_anb.data import load_dataset

            return load_dataset(data_path)

    engine = ANBQueryEngine(benchmark, measured, measured_loader=loader, latency_device=latency_device,
                            latency_metric=latency_metric, test_target=test_target,
                            objective=objective, noise_seed=noise_seed)
    from naslib_anb.naslib.zc_data import ZCDataConfig

    if zc_data is None or isinstance(zc_data, ZCDataConfig):
        zc_cfg = zc_data or ZCDataConfig()
    elif isinstance(zc_data, Mapping):
        extra = set(zc_data) - set(ZCDataConfig.__dataclass_fields__)
        if extra:
            raise ConfigError(f"unknown zc_data keys {sorted(extra)}; valid: {sorted(ZCDataConfig.__dataclass_fields__)}")
        zc_cfg = ZCDataConfig(**dict(zc_data))
    else:
        raise ConfigError(f"zc_data must be a mapping of {sorted(ZCDataConfig.__dataclass_fields__)}, got {zc_data!r}")
    return {
        "zc_data": zc_cfg,
        "search_space": SPACE_NAME,
        "dataset": dataset.lower(),
        "engine": engine,
        "benchmark": benchmark,
        "cache": engine.cache,
        "options": {"latency_target": engine.latency_target, "test_target": engine.test_target,
                    "benchmark": getattr(benchmark, "name", type(benchmark).__name__),
                    "model_dir": None if model_dir is None else str(model_dir), "noise_seed": noise_seed,
                    "measured_data": None if data_path is None else str(data_path),
                    "objective": None if engine.objective is None else {
                        "kind": "mnas", "reference": engine.objective.reference,
                        "weight": engine.objective.weight, "target": engine.objective_target}},
    }


def engine_of(dataset_api: Optional[Mapping[str, Any]]) -> ANBQueryEngine:
    """The engine inside a dataset_api dict, or a clear error when NASLib passed None."""
    if dataset_api is None:
        raise ConfigError("the ANB space needs dataset_api=get_anb_dataset_api(...); NASLib passed None "
                          "(pass it to adapt_search_space / Trainer.evaluate)")
    try:
        engine = dataset_api["engine"]
    except (KeyError, TypeError):
        raise ConfigError("dataset_api is not an ANB dataset API (no 'engine'); build it with "
                          "get_anb_dataset_api()") from None
    if not isinstance(engine, ANBQueryEngine):
        raise ConfigError(f"dataset_api['engine'] is {type(engine).__name__}, not ANBQueryEngine")
    return engine


def zc_loader(dataset_api: Mapping[str, Any]) -> Any:
    """The data loader zero-cost proxies read, built once per dataset API (needs torch).

    An ImageNet folder when ``zc_data.data_path`` is set, else a clearly labelled synthetic batch
    (:mod:`naslib_anb.naslib.zc_data`); ``loader.zc_data`` records which.
    """
    engine_of(dataset_api)
    loader = dataset_api.get("zc_loader")
    if loader is None:
        from naslib_anb.naslib.zc_data import make_zc_loader

        loader = make_zc_loader(dataset_api["zc_data"])
        dataset_api["zc_loader"] = loader  # type: ignore[index]
    return loader
