"""Explicit seeds only: an int seed or an injected ``numpy.random.Generator``, never a global RNG."""
from __future__ import annotations

from typing import Union

import numpy as np

from naslib_anb.errors import ConfigError

SeedLike = Union[int, np.random.Generator, None]


def make_rng(seed: SeedLike) -> np.random.Generator:
    """A Generator from an int seed, or the Generator itself; ``None`` is refused (explicit seeds only)."""
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool) and seed >= 0:
        return np.random.default_rng(int(seed))
    raise ConfigError(f"seed must be a non-negative int or a numpy Generator, got {seed!r}")


__all__ = ["SeedLike", "make_rng"]
