"""The ImageNet MnasNet/EfficientNet search space of Accel-NASBench."""
from naslib_anb.space.arch import EFFICIENTNET_B0, NUM_STAGES, Arch, Stage
from naslib_anb.space.cost import ArchCost, arch_cost
from naslib_anb.space.encoding import encode, features, onehot, ordinal
from naslib_anb.space.memory import P_STAR, TrainingRecipe, train_memory, train_memory_gib
from naslib_anb.space.support import measured_codes, nearest_measured
from naslib_anb.space.trainability import FEASIBLE_MAX_GIB, feasible, feasible_fraction, is_feasible
from naslib_anb.space.space import (
    CARDINALITIES,
    DECISIONS,
    NUM_NEIGHBOURS,
    SPACE_SIZE,
    arch_from_indices,
    arch_to_indices,
    configuration_space,
    describe,
    enumerate_space,
    make_rng,
    mutate,
    neighbours,
    sample,
)

__all__ = [
    "Arch", "Stage", "EFFICIENTNET_B0", "NUM_STAGES", "SPACE_SIZE", "CARDINALITIES", "DECISIONS",
    "NUM_NEIGHBOURS", "ArchCost", "arch_cost", "encode", "ordinal", "onehot", "features",
    "sample", "mutate", "neighbours", "enumerate_space", "configuration_space", "describe",
    "make_rng", "arch_from_indices", "arch_to_indices", "measured_codes", "nearest_measured",
    "P_STAR", "TrainingRecipe", "train_memory", "train_memory_gib", "FEASIBLE_MAX_GIB", "feasible",
    "is_feasible", "feasible_fraction",
]
