"""The search space as a set: size, seeded sampling, mutation, neighbourhood, enumeration.

Randomness always comes from a ``numpy.random.Generator`` passed in (or built from an
int seed here); nothing touches a global RNG.
"""
from __future__ import annotations

import itertools
from typing import Any, Iterator, Optional, Sequence

import numpy as np

from naslib_anb.errors import ConfigError, InfeasibleArchitectureError
from naslib_anb.space.arch import configuration_space  # noqa: F401  (re-exported: its home before)
from naslib_anb.space.arch import FIELDS, NUM_STAGES, Arch, Stage, field_choices
from naslib_anb.space.codes import (  # noqa: F401  (re-exported: their home before the codes module)
    CARDINALITIES,
    DECISIONS,
    NUM_NEIGHBOURS,
    SPACE_SIZE,
    _indices,
    arch_from_indices,
    arch_to_indices,
)
from naslib_anb.space.memory import row_terms, stage_term
from naslib_anb.space.seeding import SeedLike, make_rng  # noqa: F401  (re-exported)
from naslib_anb.space.trainability import feasible, max_bytes
from naslib_anb.space.trust_region import check_max_distance, is_constraining, sample_codes, within

#: the most architectures one ``sample`` call returns as a list (use :func:`iter_samples` beyond)
MAX_SAMPLE = 10_000_000


def _feasible_codes(codes: np.ndarray) -> np.ndarray:
    return feasible(codes)


def _as_arch(arch: Any) -> Arch:
    """Any spelling :meth:`Arch.parse` reads (an Arch, 'e1k3l1s1-...', 'b0', a dict, ...)."""
    return arch if isinstance(arch, Arch) else Arch.parse(arch)


def _check_count(n: Any, name: str = "n", limit: Optional[int] = None) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ConfigError(f"{name} must be an int >= 0, got {n!r}")
    if limit is not None and n > limit:
        raise ConfigError(f"{name} is {n:,}: too many architectures for one list (at most {limit:,}); "
                          "draw them in bounded memory with naslib_anb.space.space.iter_samples")
    return int(n)


def sample(rng: SeedLike, n: int | None = None, *, feasible_only: bool = True,
           max_distance: int | None = None) -> Arch | list[Arch]:
    """Uniform sample(s) over the feasible architectures (``feasible_only=False``: the whole space).

    Feasible means trainable with the recipe behind the labels
    (:mod:`naslib_anb.space.trainability`, about 92.6 % of the space). Rows are drawn as
    before and the infeasible ones skipped, so ``sample(seed, n)[:k] == sample(seed, k)``.
    With ``max_distance=D`` the samples are uniform over the (feasible) architectures within
    D decisions of a measured one (:mod:`naslib_anb.space.trust_region`; D = 28 is no constraint).
    Uniform over the space is not the distribution the dataset was collected with
    (three campaigns, see :mod:`naslib_anb.space.campaigns`), which matters for coverage claims.
    """
    g = make_rng(rng)
    count = 1 if n is None else _check_count(n, limit=MAX_SAMPLE)
    max_distance = check_max_distance(max_distance)
    if is_constraining(max_distance):
        rows = sample_codes(g, count, max_distance, feasible_only)
        archs = [arch_from_indices(row) for row in rows]
        return archs[0] if n is None else archs
    cards = np.asarray(CARDINALITIES)
    kept: list[np.ndarray] = []
    missing = count
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
    _check_count(n)
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


def mutate(arch: Any, rng: SeedLike, *, feasible_only: bool = True, max_distance: int | None = None) -> Arch:
    """Change exactly one of the 28 decisions to a different value (upstream RE operator).

    ``arch`` is any spelling :meth:`Arch.parse` reads. With ``feasible_only`` (default) draws
    are repeated until the child is feasible, and with ``max_distance=D`` until it is within D
    decisions of the data; the child is uniform over the parent's admissible neighbours. A
    parent without one raises :class:`~naslib_anb.errors.InfeasibleArchitectureError`.
    """
    arch = _as_arch(arch)
    g = make_rng(rng)
    max_distance = check_max_distance(max_distance)
    base = _indices(arch)
    # a child differs in one decision, so only a parent at distance >= D can leave the region
    check_region = is_constraining(max_distance) and not within(np.asarray([base]), max_distance - 1)[0]
    if feasible_only:
        fixed, terms = row_terms(base)
        room = max_bytes() - fixed - sum(terms)  # bytes left below the threshold (negative: over it)
    for _ in range(256):
        idx = list(base)
        d = int(g.integers(len(DECISIONS)))
        new = int(g.integers(CARDINALITIES[d] - 1))
        idx[d] = new if new < idx[d] else new + 1
        s = d // 4  # memory is additive over stages: only stage s changes
        if feasible_only and stage_term(s, *idx[4 * s:4 * s + 4]) - terms[s] > room:
            continue
        if check_region and not within(np.asarray([idx]), max_distance)[0]:
            continue
        return arch_from_indices(idx)
    return _admissible_neighbour(arch, base, g, feasible_only, max_distance)


def _admissible_neighbour(arch: Arch, base: Sequence[int], g: np.random.Generator, feasible_only: bool,
                          max_distance: int | None) -> Arch:
    """Uniform over the admissible neighbours, by enumeration (after many rejections)."""
    rows = _admissible(_neighbour_codes(base), feasible_only, max_distance)
    if not len(rows):
        why = "feasible under the training recipe" if feasible_only else ""
        if is_constraining(max_distance):
            why += (" and " if why else "") + f"within max_distance={max_distance} of the data"
        raise InfeasibleArchitectureError(
            arch, f"no one-step neighbour is {why}; pass feasible_only=False or a larger max_distance")
    return arch_from_indices(rows[int(g.integers(len(rows)))])


def _admissible(rows: np.ndarray, feasible_only: bool, max_distance: int | None) -> np.ndarray:
    if feasible_only and len(rows):
        rows = rows[_feasible_codes(rows)]
    if is_constraining(max_distance) and len(rows):
        rows = rows[within(rows, max_distance)]
    return rows


def _neighbour_codes(base: Sequence[int]) -> np.ndarray:
    rows = []
    for d, card in enumerate(CARDINALITIES):
        for j in range(card):
            if j != base[d]:
                idx = list(base)
                idx[d] = j
                rows.append(idx)
    return np.asarray(rows, dtype=np.int64)


def neighbours(arch: Any, *, feasible_only: bool = True, max_distance: int | None = None) -> list[Arch]:
    """The architectures one decision away (all 43, or the admissible ones), in a fixed order.

    ``arch`` is any spelling :meth:`Arch.parse` reads; ``feasible_only`` keeps the trainable
    ones, ``max_distance=D`` those within D decisions of the data.
    """
    max_distance = check_max_distance(max_distance)
    rows = _admissible(_neighbour_codes(_indices(_as_arch(arch))), feasible_only, max_distance)
    return [arch_from_indices(r) for r in rows]


def enumerate_space(
    stages: Sequence[int] | None = None, base: Arch | None = None
) -> Iterator[Arch]:
    """Every architecture that varies only the given stages of ``base`` (all stages: 1e11, beware)."""
    from naslib_anb.space.arch import EFFICIENTNET_B0

    base = _as_arch(base) if base is not None else EFFICIENTNET_B0
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
