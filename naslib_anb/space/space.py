"""The search space as a set: size, seeded sampling, mutation, neighbourhood, enumeration.

Randomness always comes from a ``numpy.random.Generator`` passed in (or built from an
int seed here); nothing touches a global RNG.
"""
from __future__ import annotations

import itertools
import math
from functools import lru_cache
from typing import Any, Iterator, Sequence, Union

import numpy as np

from naslib_anb.errors import ConfigError
from naslib_anb.space.arch import (
    FIELDS,
    NUM_STAGES,
    Arch,
    Stage,
    field_choices,
)

SeedLike = Union[int, np.random.Generator, None]

#: Ordered list of the 28 decisions: (stage, field, choices), stage-major as upstream.
DECISIONS: tuple[tuple[int, str, tuple[Any, ...]], ...] = tuple(
    (i, f, field_choices(i, f)) for i in range(NUM_STAGES) for f in FIELDS
)
CARDINALITIES: tuple[int, ...] = tuple(len(c) for _, _, c in DECISIONS)
SPACE_SIZE: int = math.prod(CARDINALITIES)  # 104,485,552,128
NUM_NEIGHBOURS: int = sum(c - 1 for c in CARDINALITIES)  # 43


def make_rng(seed: SeedLike) -> np.random.Generator:
    """A Generator from an int seed, or the Generator itself; ``None`` is refused (explicit seeds only)."""
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool) and seed >= 0:
        return np.random.default_rng(int(seed))
    raise ConfigError(f"seed must be a non-negative int or a numpy Generator, got {seed!r}")


def arch_from_indices(idx: Sequence[int]) -> Arch:
    """Arch from 28 choice indices (the ordinal encoding)."""
    cols: dict[str, list[Any]] = {f: [] for f in FIELDS}
    for (stage, f, choices), j in zip(DECISIONS, idx):
        cols[f].append(choices[int(j)])
    return Arch.from_fields(**cols)


def arch_to_indices(arch: Arch) -> tuple[int, ...]:
    return _indices(arch)


@lru_cache(maxsize=65536)
def _indices(arch: Arch) -> tuple[int, ...]:
    out = []
    for stage, f, choices in DECISIONS:
        out.append(choices.index(getattr(arch.stages[stage], f)))
    return tuple(out)


def _feasible_codes(codes: np.ndarray) -> np.ndarray:
    from naslib_anb.space.trainability import feasible

    return feasible(codes)


def sample(rng: SeedLike, n: int | None = None, *, feasible_only: bool = True) -> Arch | list[Arch]:
    """Uniform sample(s) over the feasible architectures (``feasible_only=False``: the whole space).

    Feasible means trainable with the recipe behind the labels
    (:mod:`naslib_anb.space.trainability`, about 92.6 % of the space). Rows are drawn as
    before and the infeasible ones skipped, so ``sample(seed, n)[:k] == sample(seed, k)``.
    Uniform over the space is not the distribution the dataset was collected with
    (three campaigns, see :mod:`naslib_anb.space.campaigns`), which matters for coverage claims.
    """
    g = make_rng(rng)
    count = 1 if n is None else n
    if isinstance(count, bool) or not isinstance(count, (int, np.integer)) or count < 0:
        raise ConfigError(f"n must be an int >= 0, got {n!r}")
    cards = np.asarray(CARDINALITIES)
    kept: list[np.ndarray] = []
    missing = int(count)
    while missing > 0:
        draws = (g.random((missing, len(cards))) * cards).astype(np.int64)
        if feasible_only:
            draws = draws[_feasible_codes(draws)]
        kept.append(draws)
        missing -= len(draws)
    rows = np.concatenate(kept) if kept else np.zeros((0, len(cards)), dtype=np.int64)
    archs = [arch_from_indices(row) for row in rows]
    return archs[0] if n is None else archs


def iter_samples(rng: SeedLike, n: int, chunk: int = 10_000, *, feasible_only: bool = True) -> Iterator[Arch]:
    """``sample(rng, n)`` one architecture at a time, in bounded memory (same archs, same order).

    The draws are :func:`sample`'s, made in chunks: a Generator's stream does not depend on how
    the rows are split, so rejection rounds over chunks keep exactly the rows ``sample`` keeps.
    """
    g = make_rng(rng)
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ConfigError(f"n must be a non-negative int, got {n!r}")
    cards = np.asarray(CARDINALITIES)
    missing = int(n)
    while missing > 0:
        todo, got = missing, 0
        while todo > 0:
            m = min(chunk, todo)
            draws = (g.random((m, len(cards))) * cards).astype(np.int64)
            if feasible_only:
                draws = draws[_feasible_codes(draws)]
            for row in draws:
                yield arch_from_indices(row)
            got += len(draws)
            todo -= m
        missing -= got


def mutate(arch: Arch, rng: SeedLike, *, feasible_only: bool = True) -> Arch:
    """Change exactly one of the 28 decisions to a different value (upstream RE operator).

    With ``feasible_only`` (default) draws are repeated until the child is feasible; a parent
    without any feasible neighbour raises :class:`~naslib_anb.errors.InfeasibleArchitectureError`.
    """
    g = make_rng(rng)
    base = _indices(arch)
    if feasible_only:
        from naslib_anb.space.memory import row_terms, stage_term
        from naslib_anb.space.trainability import max_bytes

        fixed, terms = row_terms(base)
        room = max_bytes() - fixed - sum(terms)  # bytes left below the threshold (negative: over it)
    tries = 0
    while True:
        idx = list(base)
        d = int(g.integers(len(DECISIONS)))
        card = CARDINALITIES[d]
        new = int(g.integers(card - 1))
        idx[d] = new if new < idx[d] else new + 1
        if not feasible_only:
            return arch_from_indices(idx)
        s = d // 4  # memory is additive over stages: only stage s changes
        if stage_term(s, *idx[4 * s:4 * s + 4]) - terms[s] <= room:
            return arch_from_indices(idx)
        tries += 1
        if tries == 256 and not _feasible_codes(_neighbour_codes(base)).any():
            from naslib_anb.errors import InfeasibleArchitectureError

            raise InfeasibleArchitectureError(
                arch, "no one-step neighbour is feasible under the training recipe; "
                      "pass feasible_only=False to mutate it anyway")


def _neighbour_codes(base: Sequence[int]) -> np.ndarray:
    rows = []
    for d, card in enumerate(CARDINALITIES):
        for j in range(card):
            if j != base[d]:
                idx = list(base)
                idx[d] = j
                rows.append(idx)
    return np.asarray(rows, dtype=np.int64)


def neighbours(arch: Arch, *, feasible_only: bool = True) -> list[Arch]:
    """The architectures one decision away (all 43, or the feasible ones), in a fixed order."""
    rows = _neighbour_codes(_indices(arch))
    if feasible_only:
        rows = rows[_feasible_codes(rows)]
    return [arch_from_indices(r) for r in rows]


def enumerate_space(
    stages: Sequence[int] | None = None, base: Arch | None = None
) -> Iterator[Arch]:
    """Every architecture that varies only the given stages of ``base`` (all stages: 1e11, beware)."""
    from naslib_anb.space.arch import EFFICIENTNET_B0

    base = base or EFFICIENTNET_B0
    stages = list(range(NUM_STAGES)) if stages is None else list(stages)
    per_stage = []
    for i in stages:
        per_stage.append(
            [Stage(*v) for v in itertools.product(*(field_choices(i, f) for f in FIELDS))]
        )
    for combo in itertools.product(*per_stage):
        s = list(base.stages)
        for i, st in zip(stages, combo):
            s[i] = st
        yield Arch(tuple(s))


def configuration_space(seed: int | None = None) -> Any:
    """The upstream ConfigSpace: 28 categoricals ``block{i}_{e,k,l,se}``, same choices, order, defaults."""
    from ConfigSpace import Categorical, ConfigurationSpace

    cs = ConfigurationSpace(seed=seed)
    hps = []
    for stage, f, choices in DECISIONS:
        default = False if f == "se" else choices[0]
        hps.append(Categorical(f"block{stage}_{f}", list(choices), default=default))
    cs.add(hps)
    return cs


def describe() -> dict[str, Any]:
    """Plain-data summary for ``naslib-anb space``."""
    return {
        "size": SPACE_SIZE,
        "num_stages": NUM_STAGES,
        "num_decisions": len(DECISIONS),
        "num_neighbours": NUM_NEIGHBOURS,
        "choices": {
            f"block{stage}_{f}": [c if f != "se" else bool(c) for c in choices]
            for stage, f, choices in DECISIONS
        },
        "canonical_form": "e{e}k{k}l{l}s{0|1} per stage, 7 stages joined by '-'",
        "efficientnet_b0": "e1k3l1s1-e6k3l2s1-e6k5l2s1-e6k3l3s1-e6k5l3s1-e6k5l4s1-e6k3l1s1",
    }
