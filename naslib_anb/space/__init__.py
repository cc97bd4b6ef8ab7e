"""The ImageNet MnasNet/EfficientNet search space of Accel-NASBench.

Modules import one way (tests/test_space_layering.py checks it), bottom to top:

1. ``arch`` (the architecture as frozen data), ``seeding`` (explicit RNGs);
2. ``codes`` (the 28 ordinal choice indices);
3. ``cost`` (analytic params/MACs), then ``memory`` (training memory);
4. ``support`` (distance to the measured data), ``trainability`` (the feasibility rule);
5. ``trust_region`` (``max_distance``), then ``space`` (sampling, mutation, neighbours);
6. ``encoding``, ``campaigns``.
"""
from naslib_anb.space.arch import EFFICIENTNET_B0, NUM_STAGES, Arch, Stage, configuration_space
from naslib_anb.space.seeding import make_rng
from naslib_anb.space.codes import (
    CARDINALITIES,
    DECISIONS,
    NUM_NEIGHBOURS,
    SPACE_SIZE,
    arch_from_indices,
    arch_to_indices,
)
from naslib_anb.space.cost import ArchCost, arch_cost
from naslib_anb.space.memory import P_STAR, TrainingRecipe, train_memory, train_memory_gib
from naslib_anb.space.support import measured_codes, nearest_measured
from naslib_anb.space.trainability import FEASIBLE_MAX_GIB, feasible, feasible_fraction, is_feasible
from naslib_anb.space.trust_region import MAX_DISTANCE_LIMIT, check_max_distance
from naslib_anb.space.space import describe, enumerate_space, mutate, neighbours, sample
from naslib_anb.space.encoding import encode, features, onehot, ordinal

__all__ = [
    "Arch", "Stage", "EFFICIENTNET_B0", "NUM_STAGES", "SPACE_SIZE", "CARDINALITIES", "DECISIONS",
    "NUM_NEIGHBOURS", "ArchCost", "arch_cost", "encode", "ordinal", "onehot", "features",
    "sample", "mutate", "neighbours", "enumerate_space", "configuration_space", "describe",
    "make_rng", "arch_from_indices", "arch_to_indices", "measured_codes", "nearest_measured",
    "P_STAR", "TrainingRecipe", "train_memory", "train_memory_gib", "FEASIBLE_MAX_GIB", "feasible",
    "is_feasible", "feasible_fraction", "MAX_DISTANCE_LIMIT", "check_max_distance",
]
