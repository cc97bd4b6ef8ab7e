"""ANB as an OptunaHub benchmark problem: ``study.optimize(ANBProblem(...), n_trials=...)``.

:class:`ANBProblem` subclasses ``optunahub.benchmarks.BaseProblem``: ``search_space`` (28 Optuna
categoricals), ``directions``, ``evaluate(params)`` and ``evaluate_constraints(params)``. Calling
the problem with a trial suggests every parameter, sets the constraints on the trial
(``trial.set_constraint``, Optuna >= 5, which TPE, NSGA-II and the GP sampler all read) and
returns ``evaluate``. Needs the ``optuna`` extra: ``pip install "naslib_anb[optuna]"``.
"""
from __future__ import annotations

from typing import Any, Optional, Sequence, Union

try:
    import optuna
    import optunahub
except ImportError as exc:  # pragma: no cover - the message is the point
    raise ImportError(f"naslib_anb.optuna needs the optuna extra: pip install \"naslib_anb[optuna]\" ({exc})") from exc

from naslib_anb._frameworks import PARAMS, StudySpec, arch_from_params, default_benchmark, params_of
from naslib_anb.benchmark.base import Benchmark
from naslib_anb.space.arch import Arch
from naslib_anb.space.trainability import FEASIBLE_MAX_GIB
from naslib_anb.targets import get_target

__all__ = ["ANBProblem", "params_of", "search_space"]


def search_space() -> dict[str, "optuna.distributions.CategoricalDistribution"]:
    """The 28 decisions as Optuna categoricals, named and ordered as the upstream ConfigSpace."""
    return {name: optuna.distributions.CategoricalDistribution(list(choices)) for name, choices in PARAMS.items()}


class ANBProblem(optunahub.benchmarks.BaseProblem):
    """Accuracy (one objective) or accuracy x a device metric (two), under the trainability limit.

    ``benchmark``: any :class:`~naslib_anb.benchmark.Benchmark` (default: ``load_benchmark()``),
    so a variant or refitted model set plugs in. ``device``/``metric``: add a device objective
    (maximised for throughput, minimised for latency). ``noise_seed``: as in ``bench.query``.
    ``max_gib``: the trainability limit on ``train_memory_gib`` as a constraint (default the
    calibrated 21.3 GiB; None drops it). ``max_distance``: decisions from the nearest measured
    architecture, as a second constraint (None: none).
    """

    def __init__(self, benchmark: Optional[Benchmark] = None, *, accuracy: str = "val_top1",
                 device: Optional[str] = None, metric: Optional[str] = None, noise_seed: Optional[int] = None,
                 max_gib: Optional[float] = FEASIBLE_MAX_GIB, max_distance: Optional[int] = None):
        self.benchmark = default_benchmark(benchmark)
        self.spec = StudySpec(accuracy=accuracy, device=device, metric=metric, noise_seed=noise_seed,
                              max_gib=max_gib, max_distance=max_distance)
        self.targets: tuple[str, ...] = self.spec.targets(self.benchmark)

    @property
    def search_space(self) -> dict[str, "optuna.distributions.BaseDistribution"]:
        return search_space()

    @property
    def directions(self) -> list["optuna.study.StudyDirection"]:
        d = optuna.study.StudyDirection
        return [d.MAXIMIZE if get_target(t).higher_is_better else d.MINIMIZE for t in self.targets]

    @property
    def metadata(self) -> dict[str, Any]:
        """What this problem's values are computed on; ``study.set_user_attr("anb", problem.metadata)``."""
        return self.spec.metadata(self.benchmark)

    def arch(self, params: dict[str, Any]) -> Arch:
        """The architecture ``params`` name (typed error naming the bad parameter and its choices)."""
        return arch_from_params(params)

    def evaluate(self, params: dict[str, Any]) -> Union[float, Sequence[float]]:
        """``bench.query`` of each target, in ``directions`` order (a float for one objective)."""
        values = self.spec.values(self.benchmark, self.arch(params), self.targets)
        out = [values[t] for t in self.targets]
        return out[0] if len(out) == 1 else out

    def evaluate_constraints(self, params: dict[str, Any]) -> dict[str, float]:
        """``train_memory_gib - max_gib`` and ``nearest_measured - max_distance`` (feasible when <= 0)."""
        return self.spec.constraints(self.benchmark, self.arch(params))

    def __call__(self, trial: "optuna.Trial") -> Union[float, Sequence[float]]:
        value = super().__call__(trial)
        trial.set_user_attr("arch", str(self.arch(trial.params)))
        return value
