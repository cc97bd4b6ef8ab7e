"""ANB as a Syne Tune blackbox whose elapsed time is the predicted ``train_time``.

With Syne Tune's simulator backend (``UserBlackboxBackend``) this answers "what would an
asynchronous search on N workers reach in T hours of a real cluster": each trial occupies a
worker for the architecture's predicted ``train_time``, a p* run (16 epochs, 192-256 px
progressive resizing) on one node of 4 RTX 3090s, so simulated time is in those units.

ANB has one fidelity: each architecture was trained once, to the end of p*, and the surrogates
predict that final value, so the blackbox has one fidelity value (``epoch`` = 1) and one result
per trial. Multi-fidelity schedulers (ASHA, Hyperband) have nothing to stop early here.

Needs the ``synetune`` extra: ``pip install "naslib_anb[synetune]"``.
"""
from __future__ import annotations

import contextlib
import io
from numbers import Number
from typing import Any, Mapping, Optional, Sequence

import numpy as np

try:
    from syne_tune.blackbox_repository.blackbox import Blackbox
    from syne_tune.config_space import choice, randint
except ImportError as exc:  # pragma: no cover - the message is the point
    raise ImportError(f"naslib_anb.synetune needs the synetune extra: pip install \"naslib_anb[synetune]\" "
                      f"({exc})") from exc

from naslib_anb._frameworks import PARAMS, StudySpec, arch_from_params, default_benchmark, params_of
from naslib_anb.benchmark.base import Benchmark, _target_names
from naslib_anb.errors import ConfigError
from naslib_anb.space.trainability import FEASIBLE_MAX_GIB
from naslib_anb.targets import ACCURACY_TARGETS

__all__ = ["ANBBlackbox", "ELAPSED_TIME_ATTR", "FIDELITY", "config_space", "params_of", "simulate"]

#: the result key holding the time a trial took (the predicted p* training time, seconds)
ELAPSED_TIME_ATTR = "train_time"
#: the one fidelity attribute (one p* run per architecture)
FIDELITY = "epoch"


def config_space() -> dict[str, Any]:
    """The 28 decisions as Syne Tune categoricals, named as the upstream ConfigSpace."""
    return {name: choice(list(choices)) for name, choices in PARAMS.items()}


def _positive(name: str, value: Any, allow_zero: bool = True) -> float:
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
    if not ok or not np.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        raise ConfigError(f"{name} is {value!r}; valid: a finite number {'>= 0' if allow_zero else '> 0'}")
    return float(value)


class ANBBlackbox(Blackbox):
    """Every target of a :class:`~naslib_anb.benchmark.Benchmark` for a config, plus ``feasible``.

    ``targets``: the objectives reported (default: all the benchmark's; ``train_time`` is always
    among them, as the elapsed time). ``noise_seed``: as in ``bench.query``; a ``seed`` passed by
    the backend is used as the noise seed instead (the two may not disagree).

    Feasibility: an architecture over ``max_gib`` of training memory (the trainability limit) or
    more than ``max_distance`` decisions from the nearest measured one is reported as a failed
    run: ``feasible`` = 0, accuracy targets = ``infeasible_value``, ``train_time`` =
    ``infeasible_time_s`` (the time to build it and fail; an assumption, not a measurement).
    Feasible architectures report exactly ``bench.query``'s values.
    """

    def __init__(self, benchmark: Optional[Benchmark] = None, *, targets: Optional[Sequence[str]] = None,
                 noise_seed: Optional[int] = None, max_gib: Optional[float] = FEASIBLE_MAX_GIB,
                 max_distance: Optional[int] = None, infeasible_value: float = 0.0,
                 infeasible_time_s: float = 60.0):
        self.benchmark = default_benchmark(benchmark)
        self.spec = StudySpec(noise_seed=noise_seed, max_gib=max_gib, max_distance=max_distance)
        names = [self.benchmark.resolve(t).name for t in _target_names(targets, self.benchmark.targets)]
        if ELAPSED_TIME_ATTR not in names:
            names.append(self.benchmark.resolve(ELAPSED_TIME_ATTR).name)
        self.targets = tuple(dict.fromkeys(names))
        self.infeasible_value = _positive("infeasible_value", infeasible_value)
        self.infeasible_time_s = _positive("infeasible_time_s", infeasible_time_s, allow_zero=False)
        super().__init__(configuration_space=config_space(), fidelity_space={FIDELITY: randint(1, 1)},
                         objectives_names=[*self.targets, "feasible"])

    @property
    def fidelity_values(self) -> np.ndarray:
        return np.array([1])

    @property
    def metadata(self) -> dict[str, Any]:
        """What this blackbox's values are computed on (store it beside simulated results)."""
        meta = self.spec.metadata(self.benchmark)
        meta.update(targets=list(self.targets), infeasible_value=self.infeasible_value,
                    infeasible_time_s=self.infeasible_time_s)
        return meta

    def objective_function(self, configuration: Mapping[str, Any], fidelity: Any = None,
                           seed: Optional[int] = None):
        """Validates with typed errors (the base class asserts), then evaluates."""
        if fidelity is not None:
            value = fidelity.get(FIDELITY) if isinstance(fidelity, Mapping) and len(fidelity) == 1 else fidelity
            if not isinstance(value, Number) or isinstance(value, bool) or value != 1:
                raise ConfigError(f"fidelity {fidelity!r}: ANB has one fidelity, {FIDELITY}=1 (one p* run)")
        return self._objective_function(configuration, fidelity, seed)

    def _noise_seed(self, seed: Optional[int]) -> Optional[int]:
        own = self.spec.noise_seed
        if seed is None or seed == own:
            return own
        if own is not None:
            raise ConfigError(f"the backend asks for seed {seed!r} but this blackbox was built with "
                              f"noise_seed={own!r}; set one of them")
        StudySpec(noise_seed=int(seed))  # the same check as for the constructor's noise_seed
        return int(seed)

    def _objective_function(self, configuration: Mapping[str, Any], fidelity: Any = None,
                            seed: Optional[int] = None):
        arch = arch_from_params(configuration)
        spec = self.spec
        noise = self._noise_seed(seed)
        if noise != spec.noise_seed:
            spec = StudySpec(noise_seed=noise, max_gib=spec.max_gib, max_distance=spec.max_distance)
        values = spec.values(self.benchmark, arch, self.targets)
        feasible = all(v <= 0 for v in spec.constraints(self.benchmark, arch).values())
        if not feasible:
            values.update({t: self.infeasible_value for t in self.targets if t in ACCURACY_TARGETS})
            values[ELAPSED_TIME_ATTR] = self.infeasible_time_s
        values["feasible"] = float(feasible)
        if fidelity is not None:
            return values
        return np.asarray([[values[n] for n in self.objectives_names]], dtype=np.float64)

    def hyperparameter_objectives_values(self, predict_curves: bool = False):
        raise NotImplementedError("ANBBlackbox is a surrogate over a 1e11-architecture space, not a table: "
                                  "query it directly; it needs no add_surrogate")


def simulate(scheduler: Any, blackbox: ANBBlackbox, *, n_workers: int, max_wallclock_time_s: float,
             seed: int = 0, tuner_name: Optional[str] = None, verbose: bool = False):
    """Run ``scheduler`` on ``blackbox`` with Syne Tune's simulator; the results as a DataFrame.

    A thin wrapper over ``UserBlackboxBackend`` + ``Tuner`` + ``SimulatorCallback`` (the
    documented recipe): ``st_tuner_time`` in the result is simulated seconds of p* training.
    Syne Tune writes its usual tuner folder (under ``$SYNETUNE_FOLDER``, default ~/syne-tune).
    ``seed`` seeds the run (see :func:`_global_numpy_seed`); pass the scheduler's ``random_seed``
    too. ``verbose``: Syne Tune's own per-trial log lines (off by default).
    """
    from syne_tune import StoppingCriterion, Tuner
    from syne_tune.backend.simulator_backend.simulator_callback import SimulatorCallback
    from syne_tune.blackbox_repository.simulated_tabular_backend import UserBlackboxBackend

    if isinstance(n_workers, bool) or not isinstance(n_workers, (int, np.integer)) or n_workers < 1:
        raise ConfigError(f"n_workers is {n_workers!r}; valid: an int >= 1")
    _positive("max_wallclock_time_s", max_wallclock_time_s, allow_zero=False)
    backend = UserBlackboxBackend(blackbox=blackbox, elapsed_time_attr=ELAPSED_TIME_ATTR)
    callback = SimulatorCallback()
    tuner = Tuner(trial_backend=backend, scheduler=scheduler, n_workers=int(n_workers), sleep_time=0,
                  stop_criterion=StoppingCriterion(max_wallclock_time=float(max_wallclock_time_s)),
                  callbacks=[callback], results_update_interval=1e9, print_update_interval=1e9,
                  tuner_name=tuner_name or f"anb-sim-{int(seed)}", save_tuner=False,
                  metadata={"anb": blackbox.metadata, "seed": int(seed)})
    with _global_numpy_seed(int(seed)), \
            contextlib.nullcontext() if verbose else contextlib.redirect_stdout(io.StringIO()):
        tuner.run()  # Syne Tune prints its status tables to stdout
    return callback.dataframe()


@contextlib.contextmanager
def _global_numpy_seed(seed: int):
    """Syne Tune's random configs come from numpy's global RNG (``Domain.sample()`` without a
    ``random_state``; a scheduler's ``random_seed`` does not reach it), so a run is seeded by
    seeding that RNG for its duration; the caller's global state is restored afterwards."""
    state = np.random.get_state()
    np.random.seed(seed)
    try:
        yield
    finally:
        np.random.set_state(state)
