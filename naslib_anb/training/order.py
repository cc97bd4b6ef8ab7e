"""Which images a rank reads in an epoch, and in what order: the one place that derives per-epoch
randomness from (seed, epoch, rank).

:func:`epoch_seed` seeds the global generators at the start of every epoch (what makes a resumed run
bit-identical) and the loaders' augmentation. :func:`epoch_shard` is the DALI loader's sampler; like
torch's ``DistributedSampler`` it gives every epoch a fresh permutation that depends on the seed and
splits the (padded) set into disjoint equal shards, one per rank. Unlike it, the shards rotate: the
set is cut into ``world`` fixed blocks (a seeded permutation) and rank ``r`` reads block
``(r + epoch) % world`` in a fresh order, so every rank sees every image within ``world`` epochs
(DistributedSampler only does so in expectation).
"""
from __future__ import annotations

import numpy as np

from naslib_anb.errors import ConfigError


def epoch_seed(seed: int, epoch: int, rank: int) -> int:
    """A 31-bit seed per (run seed, epoch, rank); the formula checkpoints were written under."""
    return (seed * 1_000_003 + epoch * 7919 + rank * 104_729) % 2**31


def epoch_shard(n: int, seed: int, epoch: int, rank: int, world: int) -> np.ndarray:
    """Indices into a set of ``n`` items that ``rank`` of ``world`` reads in ``epoch``, in order.

    Every rank gets ``ceil(n / world)`` indices (the set is padded by wrapping around, as
    DistributedSampler pads), so all ranks run the same number of steps.
    """
    if n < 1 or world < 1 or not 0 <= rank < world or epoch < 0:
        raise ConfigError(f"epoch_shard needs n >= 1, world >= 1, 0 <= rank < world, epoch >= 0; got n={n}, "
                          f"world={world}, rank={rank}, epoch={epoch}")
    per_rank = -(-n // world)
    blocks = np.random.default_rng([seed, 0x5EED]).permutation(n)
    blocks = np.resize(blocks, per_rank * world).reshape(world, per_rank)  # np.resize wraps around
    b = (rank + epoch) % world
    return blocks[b][np.random.default_rng([seed, epoch, b]).permutation(per_rank)]
