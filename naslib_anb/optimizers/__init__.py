"""Ask/tell optimizers over the MnasNet space, and their registry.

``get_optimizer(name, seed=..., **kwargs)`` builds one; ``list_optimizers()`` names them.
The protocol is documented in :mod:`naslib_anb.optimizers.base`.
"""
from __future__ import annotations

import warnings
from fnmatch import fnmatch
from typing import Any, Callable

from naslib_anb.errors import UnknownChoiceError
from naslib_anb.optimizers.base import Optimizer
from naslib_anb.optimizers.random_search import ParetoRandomSearch, RandomSearch
from naslib_anb.optimizers.regularized_evolution import ParetoRegularizedEvolution, RegularizedEvolution
from naslib_anb.optimizers.reinforce import Reinforce


class UnknownOptimizerError(UnknownChoiceError):
    kind = "optimizer"


_REGISTRY: dict[str, Callable[..., Optimizer]] = {}


def register_optimizer(name: str, factory: Callable[..., Optimizer], *, overwrite: bool = False) -> None:
    """Register an optimizer class/factory under ``name`` (called as ``factory(seed=..., **kw)``)."""
    if name in _REGISTRY and not overwrite:
        warnings.warn(f"optimizer {name!r} is already registered; keeping the old one "
                      "(pass overwrite=True to replace it)", stacklevel=2)
        return
    _REGISTRY[name] = factory


def list_optimizers(pattern: str = "*") -> list[str]:
    return [n for n in _REGISTRY if fnmatch(n, pattern)]


def get_optimizer_class(name: str) -> Callable[..., Optimizer]:
    try:
        return _REGISTRY[name]
    except (KeyError, TypeError):
        raise UnknownOptimizerError(name, _REGISTRY) from None


def get_optimizer(name: str, seed: Any, **kwargs: Any) -> Optimizer:
    """Build a registered optimizer with an explicit seed (int or numpy Generator)."""
    return get_optimizer_class(name)(seed=seed, **kwargs)


def _reinforce_lstm(seed: Any, **kwargs: Any) -> Optimizer:
    from naslib_anb.optimizers.reinforce_lstm import ReinforceLSTM  # torch, imported only when used

    return ReinforceLSTM(seed=seed, **kwargs)


_reinforce_lstm.multi_objective = False  # type: ignore[attr-defined]

for _cls in (RandomSearch, RegularizedEvolution, Reinforce, ParetoRandomSearch, ParetoRegularizedEvolution):
    register_optimizer(_cls.name, _cls)
register_optimizer("reinforce-lstm", _reinforce_lstm)

__all__ = [
    "Optimizer", "RandomSearch", "RegularizedEvolution", "Reinforce", "ParetoRandomSearch",
    "ParetoRegularizedEvolution", "UnknownOptimizerError", "register_optimizer", "list_optimizers",
    "get_optimizer", "get_optimizer_class",
]
