"""REINFORCE as a NASLib discrete optimizer, wrapping the core ask/tell REINFORCE.

One epoch = one ``ask``, one ``Metric.VAL_ACCURACY`` query, one ``tell`` (the core optimizer
does its own batched policy updates), so "epochs" equal queries as in NASLib's RS/RE/LS.
Settings come from an optional ``search.reinforce`` section of the NASLib config
(``lr``, ``batch_size``, ``baseline_decay``, ``entropy_weight``); the seed is ``search.seed``.
The controller's randomness is its own seeded Generator, not NASLib's global RNG.
"""
from __future__ import annotations

from typing import Any

from naslib_anb.naslib import SPACE_NAME, import_naslib

import_naslib()

import torch  # noqa: E402
from naslib.optimizers.core.metaclasses import MetaOptimizer  # noqa: E402
from naslib.search_spaces.core.query_metrics import Metric  # noqa: E402

from naslib_anb.errors import ConfigError  # noqa: E402

#: ``search.reinforce`` keys passed to the core optimizer
REINFORCE_KEYS = ("lr", "batch_size", "baseline_decay", "entropy_weight")
HISTORY_SIZE = 100


def _section(node: Any, key: str) -> dict[str, Any]:
    try:
        sub = node[key] if key in node else None
    except (TypeError, KeyError):
        sub = None
    return dict(sub) if sub else {}


def _config_seed(config: Any) -> int:
    search = getattr(config, "search", None)
    seed = getattr(search, "seed", None) if search is not None else None
    if seed is None:
        seed = getattr(config, "seed", None)
    if seed is None:
        raise ConfigError("the NASLib config has neither search.seed nor seed")
    return int(seed)


class Reinforce(MetaOptimizer):
    """NASLib ``MetaOptimizer`` around :class:`naslib_anb.optimizers.reinforce.Reinforce`."""

    using_step_function = False

    def __init__(self, config: Any):
        super().__init__()
        from naslib_anb.optimizers import get_optimizer

        self.config = config
        self.epochs = config.search.epochs
        self.dataset = config.dataset
        self.performance_metric = Metric.VAL_ACCURACY
        opts = _section(config.search, "reinforce")
        unknown = sorted(set(opts) - set(REINFORCE_KEYS))
        if unknown:
            raise ConfigError(f"unknown search.reinforce keys {unknown}; valid: {list(REINFORCE_KEYS)}")
        self.seed = _config_seed(config)
        from naslib_anb.space.trust_region import check_max_distance

        limit = check_max_distance(config.search.get("max_distance", None), "search.max_distance")
        self.core = get_optimizer("reinforce", seed=self.seed, max_distance=limit, **opts)
        self.history = torch.nn.ModuleList()
        self.last = None
        self.search_space = None
        self.dataset_api = None

    def adapt_search_space(self, search_space: Any, scope: Any = None, dataset_api: Any = None) -> None:
        if not getattr(search_space, "QUERYABLE", False):
            raise ConfigError("REINFORCE runs on queryable (benchmark) search spaces only")
        if search_space.get_type() != SPACE_NAME:
            raise ConfigError(f"this REINFORCE samples ANB architectures; got search space "
                              f"{search_space.get_type()!r}, expected {SPACE_NAME!r}")
        self.search_space = search_space.clone()
        self.scope = scope if scope else search_space.OPTIMIZER_SCOPE
        self.dataset_api = dataset_api

    def new_epoch(self, epoch: int) -> None:
        if self.search_space is None:
            raise ConfigError("call adapt_search_space before new_epoch")
        arch = self.core.ask()
        model = torch.nn.Module()
        model.arch = self.search_space.clone()
        model.arch.set_spec(arch)
        model.accuracy = model.arch.query(self.performance_metric, self.dataset, dataset_api=self.dataset_api)
        self.core.tell(arch, model.accuracy)
        self.last = model
        self._update_history(model)

    def _update_history(self, model: Any) -> None:
        if len(self.history) < HISTORY_SIZE:
            self.history.append(model)
            return
        worst = min(range(len(self.history)), key=lambda i: self.history[i].accuracy)
        if model.accuracy > self.history[worst].accuracy:
            self.history[worst] = model

    def train_statistics(self, report_incumbent: bool = True):
        arch = self.get_final_architecture() if report_incumbent else self.last.arch
        q = lambda m: arch.query(m, self.dataset, dataset_api=self.dataset_api)  # noqa: E731
        return (q(Metric.TRAIN_ACCURACY), q(Metric.VAL_ACCURACY), q(Metric.TEST_ACCURACY), q(Metric.TRAIN_TIME))

    def test_statistics(self):
        return self.get_final_architecture().query(Metric.RAW, self.dataset, dataset_api=self.dataset_api)

    def get_final_architecture(self):
        if not len(self.history):
            raise ConfigError("no architecture evaluated yet")
        return max(self.history, key=lambda m: m.accuracy).arch

    def get_op_optimizer(self):
        raise NotImplementedError("REINFORCE queries a benchmark; it trains no weights")

    def get_checkpointables(self):
        return {"model": self.history}

    def get_model_size(self) -> float:
        return 0.0
