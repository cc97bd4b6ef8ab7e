"""Zero-cost NAS on the benchmark: objectives, the search loop, Pareto/hypervolume, plots, compare.

Entry points: :func:`run_search` (a :class:`SearchConfig`), :func:`run_loop` (any optimizer,
benchmark and objective), :func:`run_compare` (optimizers x seeds in parallel processes).
"""
from naslib_anb.search.bounds import DEFAULT_REWARD_TARGET, OBJECTIVE_BOUNDS, REFERENCE_POINT
from naslib_anb.search.driver import get_benchmark, run_loop, run_search
from naslib_anb.search.objectives import (
    AccuracyObjective,
    MnasNetReward,
    Objective,
    ParetoObjective,
    make_objective,
)
from naslib_anb.search.pareto import hypervolume, non_dominated_rank, normalize, pareto_mask
from naslib_anb.search.records import QueryRecord, SearchConfig, SearchResult

__all__ = [
    "SearchConfig", "SearchResult", "QueryRecord", "run_search", "run_loop", "get_benchmark",
    "Objective", "AccuracyObjective", "MnasNetReward", "ParetoObjective", "make_objective",
    "hypervolume", "pareto_mask", "non_dominated_rank", "normalize",
    "OBJECTIVE_BOUNDS", "DEFAULT_REWARD_TARGET", "REFERENCE_POINT", "run_compare",
]


def __getattr__(name):
    if name == "run_compare":
        from naslib_anb.search.compare import run_compare

        return run_compare
    raise AttributeError(name)
