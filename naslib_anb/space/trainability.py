"""Which architectures the recipe behind the labels could train: a memory rule calibrated on the data.

Rule: an architecture is **feasible** when :func:`~naslib_anb.space.memory.train_memory_gib`
(batch 512, 192 px, AMP; a lower bound of the allocator's peak) is at most
:data:`FEASIBLE_MAX_GIB` = 21.3 GiB.

Why there: upstream trained on 24 GB RTX 3090s and skipped designs that did not fit. Its
explicit check (``mem > 22.0`` GB) compared peaks from ``torch.cuda.max_memory_allocated``,
which is never reset between designs, so after the first design of a process it measured
almost nothing; the binding limit was running out of memory in training, which abandoned
the design. What survived shows a sharp edge: the largest measured architecture needs
21.28 GiB, the three campaigns' maxima agree within 0.03 GiB, and below the edge the
campaigns' samplers predict the observed counts while above it they predict hundreds of
designs where the data has none (docs/surrogates.md, "Trainability", with the command).
The 21.3 GiB threshold is the measured maximum rounded up to 0.1 GiB: the 0.02 GiB margin
covers the analytic figure's difference from PyTorch's own accounting (under 0.1 %), and a
larger one would admit architectures that the data says did not train. The 2.7 GiB between
the threshold and the card's 24 GiB is what this figure leaves out (CUDA context, cuDNN
workspace, gradients alive during backward, allocator slack).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from naslib_anb.errors import ConfigError
from naslib_anb.space.arch import Arch
from naslib_anb.space.codes import CARDINALITIES, arch_to_indices, codes_of
from naslib_anb.space.memory import GIB, P_STAR, TrainingRecipe, row_terms, train_memory_gib
from naslib_anb.space.seeding import make_rng

#: GiB of :func:`train_memory_gib` up to which an architecture counts as trainable under p*.
FEASIBLE_MAX_GIB = 21.3


def _check_max(max_gib: float) -> float:
    try:
        v = float(max_gib)
    except (TypeError, ValueError):
        raise ConfigError(f"max_gib is {max_gib!r}; valid: a positive number of GiB") from None
    if not np.isfinite(v) or v <= 0:
        raise ConfigError(f"max_gib is {max_gib!r}; valid: a positive number of GiB")
    return v


def feasible(archs, max_gib: float = FEASIBLE_MAX_GIB, recipe: TrainingRecipe = P_STAR) -> np.ndarray:
    """(n,) bool: trainable with ``recipe`` within ``max_gib`` (architectures or (n, 28) codes)."""
    limit = _check_max(max_gib)
    codes = codes_of(archs)
    if len(codes) <= 4 and recipe == P_STAR:  # a few rows: plain Python beats numpy's per-call overhead
        return np.asarray([feasible_code(row, limit) for row in codes.tolist()], dtype=bool)
    return train_memory_gib(codes, recipe) <= limit


def max_bytes(max_gib: float = FEASIBLE_MAX_GIB) -> float:
    """The threshold in bytes."""
    return _check_max(max_gib) * GIB


def feasible_code(code, max_gib: float = FEASIBLE_MAX_GIB) -> bool:
    """One 28-int ordinal code (any sequence of ints) is feasible under p*; pure Python, microseconds."""
    fixed, terms = row_terms(code)
    return fixed + sum(terms) <= max_bytes(max_gib)


def is_feasible(arch, max_gib: float = FEASIBLE_MAX_GIB) -> bool:
    """One architecture (or one 28-int code row) is feasible."""
    if isinstance(arch, np.ndarray) and arch.ndim == 1:
        return feasible_code(codes_of(arch)[0].tolist(), max_gib)
    if isinstance(arch, Arch):
        return feasible_code(arch_to_indices(arch), max_gib)
    return bool(feasible([arch], max_gib)[0])


@dataclass(frozen=True)
class FractionEstimate:
    """A Monte-Carlo fraction with its 95 % Wilson interval."""

    n: int
    hits: int
    fraction: float
    ci_low: float
    ci_high: float
    seed: int

    def __str__(self) -> str:
        return (f"{self.fraction:.4f} (95 % CI {self.ci_low:.4f}-{self.ci_high:.4f}; "
                f"{self.hits:,} of {self.n:,} uniform samples, seed {self.seed})")


def wilson_interval(hits: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    p = hits / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return float(centre - half), float(centre + half)


def feasible_fraction(n: int = 1_000_000, seed: int = 0, max_gib: float = FEASIBLE_MAX_GIB) -> FractionEstimate:
    """Fraction of the space (uniform over all 1.04e11 architectures) that is feasible."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ConfigError(f"n is {n!r}; valid: a positive int")
    g = make_rng(seed)
    cards = np.asarray(CARDINALITIES)
    hits = 0
    for lo in range(0, int(n), 200_000):
        k = min(200_000, int(n) - lo)
        hits += int(feasible((g.random((k, len(cards))) * cards).astype(np.int64), max_gib).sum())
    low, high = wilson_interval(hits, int(n))
    return FractionEstimate(int(n), hits, hits / int(n), low, high, int(seed))


__all__ = ["FEASIBLE_MAX_GIB", "feasible", "is_feasible", "feasible_code", "max_bytes", "feasible_fraction", "FractionEstimate",
           "wilson_interval"]
