"""True search: a :class:`Benchmark` whose answers are measured by training, not predicted.

``TrainingBenchmark(store, recipe)`` answers ``val_top1``, ``val_top5`` and ``train_time`` of any
architecture by training it with the recipe through the collection engine
(:mod:`naslib_anb.training.collect`), in this process or in parallel local processes (submitit).
Every result is kept in ``store`` in the dataset's schema, so:

- nothing trains twice: a later query (in this process or any other, now or after a restart)
  reads ``store/results/result_<arch>.json``; ``naslib_anb.load_dataset(store / "results")``
  loads them as a dataset and ``naslib-anb fit`` can fit surrogates on them;
- a killed search loses at most the epoch in progress: rerunning it resumes the interrupted
  architecture from its last checkpoint (the engine's per-epoch checkpoints) and replays the
  finished ones from the store.

The store is an engine results directory (:mod:`naslib_anb.training.evaluate`) and is bound to one
recipe (its ``campaign.json``): opening it with another recipe is a ConfigError naming the
differing fields. The optimizers, the search loop and
``naslib-anb search --train-store`` use it unchanged, as the paper's "true runs" did.
"""
from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any, Iterable, Mapping, Optional, Sequence, Union

import numpy as np

from naslib_anb.benchmark.base import ArchLike, Benchmark, _target_names, as_archs
from naslib_anb.errors import ConfigError, DataError, UnknownChoiceError
from naslib_anb.space.arch import Arch
from naslib_anb.targets import Target

log = logging.getLogger(__name__)

#: what one training run measures (the dataset's schema fields)
MEASURED_TARGETS = ("val_top1", "val_top5", "train_time")
#: how missing architectures are trained: "inline" (this process, one after another) or "local"
#: (submitit's local executor: ``workers`` processes on this machine, one chunk of the batch each)
EXECUTORS = ("inline", "local")


def _as_config(recipe: Any):
    """A TrainConfig from a TrainConfig, a mapping of its fields or a YAML path (typed errors on bad input)."""
    from naslib_anb.training.config import TrainConfig, load_config

    if isinstance(recipe, TrainConfig):
        return recipe
    if isinstance(recipe, Mapping):
        return TrainConfig.from_dict(recipe)
    if isinstance(recipe, (str, Path)):
        return load_config(recipe)
    raise ConfigError(f"recipe is a {type(recipe).__name__}; valid: a TrainConfig, a mapping of its fields "
                      "or the path of a YAML recipe")


def _check_data(cfg) -> None:
    if cfg.data_dir is None:
        raise ConfigError("the recipe's data_dir is None; valid: an ImageFolder root holding "
                          f"{cfg.train_split}/ and {cfg.val_split}/")
    for split in (cfg.train_split, cfg.val_split):
        p = Path(cfg.data_dir) / split
        if not p.is_dir():
            raise DataError(f"the recipe's data_dir {cfg.data_dir!r} has no {split}/ folder "
                            f"(expected {cfg.data_dir}/{split}/<class>/<image>)")


class TrainingBenchmark(Benchmark):
    """Measured ``val_top1`` (%), ``val_top5`` (%) and ``train_time`` (s) of any architecture.

    ``store``: the results directory of the cached results (created on first training).
    ``recipe``: the training recipe (TrainConfig, mapping or YAML path); None reopens an existing
    store with its own recipe. ``executor``/``workers``: how a batch of new architectures is trained
    (see :data:`EXECUTORS`). ``max_retries``: a failing architecture is retried on later queries up
    to this many times, then answered with NaN (the search loop reports NaN as an error to the
    optimizer); so is a memory-filtered one. ``task_factory``: the engine's per-task class
    (:class:`naslib_anb.training.evaluate.ArchTask` or a subclass, e.g. with an epoch hook).
    """

    name = "true"

    def __init__(self, store: Union[str, Path], recipe: Any = None, *, executor: str = "inline",
                 workers: int = 1, max_retries: int = 1, task_factory: Any = None):
        if executor not in EXECUTORS:
            raise UnknownChoiceError(executor, EXECUTORS, "the training executor")
        if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
            raise ConfigError(f"workers is {workers!r}; valid: an int >= 1")
        from naslib_anb.training.evaluate import ArchTask, EvalOptions, Layout

        self.options = EvalOptions(max_retries=max_retries)  # validates max_retries
        self.store = Path(store).resolve()
        self._layout = Layout(self.store)
        self.config = self._bind_recipe(recipe)
        _check_data(self.config)
        self.executor, self.workers = executor, workers
        self.task_factory = task_factory or ArchTask
        self._records: dict[str, dict[str, Any]] = {}
        self.trained: list[str] = []  # architectures this object trained (cache hits are not listed)

    # -- the recipe the store is bound to -----------------------------------------------
    def _bind_recipe(self, recipe: Any):
        from naslib_anb.training.config import TrainConfig
        from naslib_anb.training.engine import recipe_key

        camp = self._layout.campaign
        stored = TrainConfig.from_dict(json.loads(camp.read_text())["config"]) if camp.is_file() else None
        if recipe is None:
            if stored is None:
                raise ConfigError(f"{self.store} holds no results yet (no {camp.name}); pass a recipe to create "
                                  "the store")
            return stored
        cfg = _as_config(recipe)
        if stored is None:
            return cfg
        old, new = recipe_key(stored), recipe_key(cfg)
        diff = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
        if diff:
            detail = ", ".join(f"{k}: {old.get(k)!r} in the store, {new.get(k)!r} given" for k in diff)
            raise ConfigError(f"{self.store} caches results of another recipe ({detail}); use a new store "
                              "or the store's recipe (recipe=None)")
        return stored  # the same recipe (paths and loader settings as the store recorded them)

    @property
    def results_dir(self) -> Path:
        """Where the dataset-schema records are (``load_dataset(bench.results_dir)``)."""
        return self.store / "results"

    @property
    def targets(self) -> tuple[str, ...]:
        return MEASURED_TARGETS

    # -- cache ------------------------------------------------------------------------------
    def _cached(self, a: str) -> Optional[dict[str, Any]]:
        rec = self._records.get(a)
        if rec is None:
            p = self._layout.result(a)
            if p.is_file():
                rec = self._records[a] = json.loads(p.read_text())
        return rec

    def cached_archs(self) -> list[str]:
        """Architectures with a stored result (any process may have trained them)."""
        return sorted(p.name[len("result_"):-len(".json")] for p in self.results_dir.glob("result_*.json"))

    def _train(self, archs: list[str]) -> None:
        """Train ``archs`` through the collection engine (:func:`evaluate_archs`); results land in the store."""
        from naslib_anb.training.evaluate import evaluate_archs

        parallel = self.executor == "local" and self.workers > 1 and len(archs) > 1
        chunk = -(-len(archs) // self.workers) if parallel else max(1, len(archs))
        evaluate_archs(archs, self.config, self.store, executor="local" if parallel else "inline",
                       chunk_size=chunk, options=self.options, task_factory=self.task_factory)
        self.trained.extend(a for a in archs if self._layout.result(a).is_file())

    def measure(self, archs: Union[ArchLike, Iterable[ArchLike]]) -> list[Optional[dict[str, Any]]]:
        """The stored record (dataset schema) of each architecture, training the missing ones first.

        None for an architecture that could not be measured (memory filter, or failed beyond
        ``max_retries``)."""
        from naslib_anb.training.evaluate import final_verdict

        items, _ = as_archs(archs)
        keys = [str(a) for a in items]
        missing = [a for a in dict.fromkeys(keys) if self._cached(a) is None
                   and final_verdict(self._layout, a, self.options.max_retries) is None]
        if missing:
            log.info("training %d architecture(s) with recipe %r", len(missing), self.config.name)
            self._train(missing)
        return [self._cached(a) for a in keys]

    # -- Benchmark API ---------------------------------------------------------------------
    def _values(self, archs: list[Arch], names: Sequence[str]) -> dict[str, np.ndarray]:
        recs = self.measure(archs)
        return {n: np.asarray([np.nan if r is None else float(r["metrics"][n]) for r in recs], dtype=np.float64)
                for n in names}

    def _predict(self, archs: list[Arch], target: Target, std: bool = True) -> tuple[np.ndarray, np.ndarray]:
        mean = self._values(archs, [target.name])[target.name]  # a measurement: no predictive std (0)
        return mean, np.zeros_like(mean)

    def query_all(self, archs: Union[ArchLike, Iterable[ArchLike]],
                  targets: Optional[Sequence[str]] = None) -> dict[str, np.ndarray]:
        """Every target (or the given ones) for a batch; the batch's new architectures train together."""
        items, _ = as_archs(archs)
        names = [self.resolve(n).name for n in _target_names(targets, self.targets)]
        return self._values(items, names)


__all__ = ["TrainingBenchmark", "MEASURED_TARGETS", "EXECUTORS"]
