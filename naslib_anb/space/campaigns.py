"""The samplers of the dataset's three collection campaigns, as ordinal codes.

Upstream drew every choice uniformly with Python's ``random`` (``Searchables.random_searchable``)
and skipped designs that did not train; the campaigns differ only in two choices
(see :data:`naslib_anb.data.records.REGIMES`):

1. files 0-1794: no SE field yet (every ``se`` False), ``block5_l`` in {1, 2, 3};
2. files 1795-4078: ``se`` uniform, ``block5_l`` in {1, 2, 3};
3. files 4079-5137: ``se`` uniform, ``block5_l`` always 4.

Drawing from these distributions tells what the collection would have produced without its
memory filter, which is the evidence for the feasibility threshold
(:mod:`naslib_anb.space.trainability`). This is the vectorised form (millions of codes per
second) of the per-architecture samplers ``regime1..3`` that new collections use
(:func:`naslib_anb.training.collect.sample_archs`); a test checks that both allow the same choices.
"""
from __future__ import annotations

import numpy as np

from naslib_anb.errors import UnknownChoiceError
from naslib_anb.space.codes import CARDINALITIES, DECISIONS
from naslib_anb.space.seeding import SeedLike, make_rng

CAMPAIGNS = (1, 2, 3)
#: records per campaign in the upstream dataset (before de-duplication)
CAMPAIGN_SIZES = {1: 1795, 2: 2284, 3: 1059}

_SE_COLS = [i for i, (_, f, _) in enumerate(DECISIONS) if f == "se"]
_L5_COL = next(i for i, (s, f, _) in enumerate(DECISIONS) if s == 5 and f == "l")
_SE_FALSE = 1  # ordinal index of se=False (upstream order: True first)


def campaign_codes(campaign: int, n: int, rng: SeedLike) -> np.ndarray:
    """(n, 28) int64 ordinal codes drawn as campaign 1, 2 or 3 drew its designs (before filtering)."""
    if campaign not in CAMPAIGNS:
        raise UnknownChoiceError(campaign, CAMPAIGNS, "collection campaigns")
    g = make_rng(rng)
    cards = np.asarray(CARDINALITIES)
    codes = (g.random((n, len(cards))) * cards).astype(np.int64)
    if campaign == 1:
        codes[:, _SE_COLS] = _SE_FALSE
    if campaign in (1, 2):
        codes[:, _L5_COL] = g.integers(0, 3, n)  # l in {1, 2, 3}
    else:
        codes[:, _L5_COL] = 3  # l = 4
    return codes


__all__ = ["CAMPAIGNS", "CAMPAIGN_SIZES", "campaign_codes"]
