"""naslib_anb.optuna: ANB as an OptunaHub problem, run by Optuna's own samplers (small budgets)."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

optuna = pytest.importorskip("optuna", reason="the optuna extra is not installed (pip install naslib_anb[optuna])")
optunahub = pytest.importorskip("optunahub", reason="the optuna extra is not installed (optunahub)")

from naslib_anb._frameworks import params_of  # noqa: E402
from naslib_anb.benchmark import FunctionBenchmark, load_benchmark  # noqa: E402
from naslib_anb.errors import (  # noqa: E402
    ConfigError,
    InvalidArchitectureError,
    UnknownDeviceError,
    UnknownMetricError,
    UnknownOptionError,
    UnknownTargetError,
)
from naslib_anb.optuna import ANBProblem, search_space  # noqa: E402
from naslib_anb.space import EFFICIENTNET_B0, configuration_space, nearest_measured, sample  # noqa: E402
from naslib_anb.space.trainability import FEASIBLE_MAX_GIB, feasible  # noqa: E402

MAX, MIN = optuna.study.StudyDirection.MAXIMIZE, optuna.study.StudyDirection.MINIMIZE


@pytest.fixture(scope="module")
def bench():
    return load_benchmark()


@pytest.fixture(scope="module")
def infeasible_arch():
    archs = sample(np.random.default_rng(0), 2000, feasible_only=False)
    return next(a for a, ok in zip(archs, feasible(archs)) if not ok)


def _quiet():
    optuna.logging.set_verbosity(optuna.logging.WARNING)


def test_search_space_is_the_upstream_configspace():
    """28 categoricals with the ConfigSpace's names and choices, in its order."""
    cs = configuration_space()
    space = search_space()
    assert list(space) == [hp.name for hp in cs.values()]
    for hp in cs.values():
        assert isinstance(space[hp.name], optuna.distributions.CategoricalDistribution)
        assert list(space[hp.name].choices) == list(hp.choices)


def test_problem_is_an_optunahub_problem(bench):
    assert isinstance(ANBProblem(bench), optunahub.benchmarks.BaseProblem)
    assert ANBProblem(bench).directions == [MAX]
    assert ANBProblem(bench, device="vck190").directions == [MAX, MAX]
    assert ANBProblem(bench, device="vck190", metric="latency").directions == [MAX, MIN]
    assert ANBProblem(bench, device="a100").targets == ("val_top1", "throughput_a100")


@pytest.mark.parametrize("noise_seed", [None, 7])
def test_evaluate_is_bench_query(bench, noise_seed):
    """The same value as bench.query for the same architecture and noise seed."""
    problem = ANBProblem(bench, device="zcu102", metric="latency", noise_seed=noise_seed)
    for arch in [EFFICIENTNET_B0, *sample(np.random.default_rng(1), 5)]:
        acc, lat = problem.evaluate(params_of(arch))
        assert acc == bench.query(arch, "val_top1", noise_seed=noise_seed)
        assert lat == bench.query(arch, device="zcu102", metric="latency", noise_seed=noise_seed)
    if noise_seed is not None:  # the seed is really used
        assert problem.evaluate(params_of(EFFICIENTNET_B0))[0] != bench.query(EFFICIENTNET_B0)


def test_trainability_constraint(bench, infeasible_arch):
    """train_memory_gib - 21.3 GiB: <= 0 exactly for the feasible architectures."""
    problem = ANBProblem(bench)
    for arch in [EFFICIENTNET_B0, infeasible_arch]:
        c = problem.evaluate_constraints(params_of(arch))
        assert list(c) == ["train_memory_gib"]
        assert c["train_memory_gib"] == pytest.approx(bench.train_memory_gib(arch) - FEASIBLE_MAX_GIB)
        assert (c["train_memory_gib"] <= 0) == bench.feasible(arch)
    assert problem.evaluate_constraints(params_of(infeasible_arch))["train_memory_gib"] > 0
    assert ANBProblem(bench, max_gib=None).evaluate_constraints(params_of(infeasible_arch)) == {}


def test_max_distance_constraint(bench):
    arch = sample(np.random.default_rng(2), 1)[0]
    d = int(nearest_measured([arch])[0])
    assert d > 0
    tight = ANBProblem(bench, max_distance=d - 1).evaluate_constraints(params_of(arch))
    loose = ANBProblem(bench, max_distance=d).evaluate_constraints(params_of(arch))
    assert tight["max_distance"] == 1.0 and loose["max_distance"] == 0.0
    with pytest.raises(ConfigError, match="max_distance"):
        ANBProblem(bench, max_distance=-1)
    with pytest.raises(ConfigError, match="max_distance"):
        ANBProblem(bench, max_distance=2.5)


@pytest.mark.parametrize("sampler,device", [("TPESampler", None), ("NSGAIISampler", "vck190"),
                                            ("TPESampler", "vck190")])
def test_study_optimize_unchanged(bench, sampler, device):
    """study.optimize(problem) as for any OptunaHub problem: values, constraints and arch per trial."""
    _quiet()
    problem = ANBProblem(bench, device=device, max_distance=12)
    study = optuna.create_study(directions=problem.directions, sampler=getattr(optuna.samplers, sampler)(seed=0))
    study.optimize(problem, n_trials=25)
    assert len(study.trials) == 25
    for t in study.trials:
        arch = t.user_attrs["arch"]
        assert t.values[0] == bench.query(arch, "val_top1")
        if device:
            assert t.values[1] == bench.query(arch, device=device)
        assert set(t.constraints) == {"train_memory_gib", "max_distance"}
        assert t.constraints["max_distance"] == nearest_measured([arch])[0] - 12
    best = study.best_trials
    assert best and all(max(t.constraints.values()) <= 0 for t in best)  # Optuna ranks feasible trials only


def test_gp_sampler(bench):
    pytest.importorskip("torch", reason="Optuna's GPSampler needs torch")
    _quiet()
    problem = ANBProblem(bench)
    study = optuna.create_study(directions=problem.directions,
                                sampler=optuna.samplers.GPSampler(seed=0, n_startup_trials=5))
    study.optimize(problem, n_trials=8)
    assert [t.values[0] for t in study.trials] == [bench.query(t.user_attrs["arch"]) for t in study.trials]


def test_same_seed_same_study(bench):
    _quiet()

    def run():
        problem = ANBProblem(bench)
        study = optuna.create_study(directions=problem.directions, sampler=optuna.samplers.TPESampler(seed=3))
        study.optimize(problem, n_trials=15)
        return [t.user_attrs["arch"] for t in study.trials]

    assert run() == run()


def test_any_benchmark_plugs_in():
    """A benchmark object of any kind (a variant, a refitted set) is what gets queried."""
    fb = FunctionBenchmark({"val_top1": lambda archs: [float(a.depth) for a in archs]}, name="depth")
    problem = ANBProblem(fb)
    assert problem.evaluate(params_of(EFFICIENTNET_B0)) == float(EFFICIENTNET_B0.depth)
    assert problem.metadata["benchmark"] == "depth"
    with pytest.raises(UnknownTargetError, match="throughput_vck190"):
        ANBProblem(fb, device="vck190")  # the benchmark serves no such target
    with pytest.raises(ConfigError, match="Benchmark"):
        ANBProblem("anb")


def test_bad_params_are_one_line_typed_errors(bench):
    problem = ANBProblem(bench)
    good = params_of(EFFICIENTNET_B0)
    cases = [({**good, "block0_e": 2}, InvalidArchitectureError, "block0_e"),
             ({**good, "block5_l": 5}, InvalidArchitectureError, "1, 2, 3, 4"),
             ({**good, "block0_e": True}, InvalidArchitectureError, "block0_e"),
             ({**good, "block2_se": "yes"}, InvalidArchitectureError, "block2_se"),
             ({k: v for k, v in good.items() if k != "block3_k"}, InvalidArchitectureError, "block3_k"),
             ({**good, "lr": 0.1}, UnknownOptionError, "lr")]
    for params, err, text in cases:
        with pytest.raises(err, match=text) as info:
            problem.evaluate(params)
        assert "\n" not in str(info.value)
    assert problem.evaluate({**good, "block0_e": np.int64(1), "block0_se": np.bool_(True)}) == bench.query(
        EFFICIENTNET_B0)


def test_bad_objectives(bench):
    with pytest.raises(UnknownDeviceError, match="gpu9"):
        ANBProblem(bench, device="gpu9")
    with pytest.raises(UnknownMetricError, match="latency"):
        ANBProblem(bench, device="a100", metric="latency")
    with pytest.raises(ConfigError, match="needs a device"):
        ANBProblem(bench, metric="latency")
    with pytest.raises(UnknownTargetError, match="val_top1"):
        ANBProblem(bench, accuracy="train_time")
    with pytest.raises(ConfigError, match="noise_seed"):
        ANBProblem(bench, noise_seed=-1)


def test_core_imports_neither_framework():
    code = ("import sys, naslib_anb, naslib_anb.benchmark, naslib_anb.space, naslib_anb.optimizers, "
            "naslib_anb.search, naslib_anb.surrogates\n"
            "bad = [m for m in ('optuna', 'optunahub', 'syne_tune') if m in sys.modules]\n"
            "assert not bad, bad\n")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_bench_script_trajectories():
    """benchmarks/bench_frameworks_optuna.py: infeasible trials never count; HV as the search driver's."""
    from _scripts import load_script

    from naslib_anb.search.pareto import hypervolume

    mod = load_script("benchmarks/bench_frameworks_optuna.py")
    pts = [(60.0, 1000.0, True), (69.0, 4000.0, False), (55.0, 3000.0, True)]
    tr = mod._trajectories(pts)
    assert tr["best_accuracy"] == [60.0, 60.0, 60.0]
    expected = hypervolume({"val_top1": np.array([60.0, 55.0]), "throughput_vck190": np.array([1000.0, 3000.0])},
                           ["val_top1", "throughput_vck190"])
    assert tr["hypervolume"][-1] == pytest.approx(expected) and 0 < tr["hypervolume"][0] < expected
    runs = {f"re|{s}": {"best_accuracy": [60.0 + s, 61.0 + s]} for s in range(2)}
    assert "| re | 60.5 +- 0.5 | 61.5 +- 0.5 |" in mod.table(runs, ["re"], 2, [1, 2])


@pytest.mark.parametrize("module,extra", [("naslib_anb.optuna", "optuna"), ("naslib_anb.synetune", "synetune")])
def test_missing_extra_names_it(module, extra):
    """Without the framework, importing the adapter fails with the extra to install."""
    blocked = "optuna" if extra == "optuna" else "syne_tune"
    code = (f"import sys\nsys.modules[{blocked!r}] = None\n"
            f"try:\n    import {module}\nexcept ImportError as exc:\n    print(exc)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert f'pip install "naslib_anb[{extra}]"' in out
