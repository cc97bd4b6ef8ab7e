"""naslib_anb.synetune: ANB as a Syne Tune blackbox, run by Syne Tune's own simulator backend (small budgets)."""
from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("syne_tune", reason="the synetune extra is not installed (pip install naslib_anb[synetune])")

from syne_tune.blackbox_repository.blackbox import Blackbox  # noqa: E402
from syne_tune.blackbox_repository.simulated_tabular_backend import UserBlackboxBackend  # noqa: E402
from syne_tune.optimizer.baselines import REA, RandomSearch  # noqa: E402

from naslib_anb._frameworks import params_of  # noqa: E402
from naslib_anb.benchmark import FunctionBenchmark, load_benchmark  # noqa: E402
from naslib_anb.errors import (  # noqa: E402
    ConfigError,
    InvalidArchitectureError,
    UnknownOptionError,
    UnknownTargetError,
)
from naslib_anb.synetune import ELAPSED_TIME_ATTR, FIDELITY, ANBBlackbox, config_space, simulate  # noqa: E402
from naslib_anb.space import EFFICIENTNET_B0, configuration_space, nearest_measured, sample  # noqa: E402
from naslib_anb.space.trainability import feasible  # noqa: E402


@pytest.fixture(scope="module")
def bench():
    return load_benchmark()


@pytest.fixture(autouse=True)
def _synetune_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("SYNETUNE_FOLDER", str(tmp_path / "syne-tune"))


@pytest.fixture(scope="module")
def infeasible_arch():
    archs = sample(np.random.default_rng(0), 2000, feasible_only=False)
    return next(a for a, ok in zip(archs, feasible(archs)) if not ok)


def _arch_of(row) -> dict:
    return {k[len("config_"):]: row[k] for k in row.index if k.startswith("config_")}


def test_blackbox_shape(bench):
    bb = ANBBlackbox(bench)
    assert isinstance(bb, Blackbox)
    assert list(bb.configuration_space) == [hp.name for hp in configuration_space().values()]
    assert list(config_space()["block5_l"].categories) == [1, 2, 3, 4]
    assert bb.fidelity_name() == FIDELITY and list(bb.fidelity_values) == [1]  # one p* run per architecture
    assert list(bb.objectives_names) == [*bench.targets, "feasible"]
    assert ANBBlackbox(bench, targets=["val_top1"]).objectives_names == ["val_top1", ELAPSED_TIME_ATTR, "feasible"]


@pytest.mark.parametrize("noise_seed", [None, 5])
def test_values_are_bench_query(bench, noise_seed):
    """Array form (what the simulator reads) and dict form both equal bench.query."""
    bb = ANBBlackbox(bench, noise_seed=noise_seed)
    for arch in [EFFICIENTNET_B0, *sample(np.random.default_rng(1), 4)]:
        row = bb.objective_function(params_of(arch))
        assert row.shape == (1, len(bb.objectives_names))
        as_dict = bb(params_of(arch), fidelity={FIDELITY: 1})
        for j, name in enumerate(bb.objectives_names[:-1]):
            expected = bench.query(arch, name, noise_seed=noise_seed)
            assert row[0, j] == expected and as_dict[name] == expected
        assert as_dict["feasible"] == 1.0
    if noise_seed is not None:
        assert bb(params_of(EFFICIENTNET_B0), fidelity=1)["val_top1"] != bench.query(EFFICIENTNET_B0)


def test_backend_seed_is_the_noise_seed(bench):
    p = params_of(EFFICIENTNET_B0)
    assert ANBBlackbox(bench)(p, fidelity=1, seed=4)["val_top1"] == bench.query(EFFICIENTNET_B0, noise_seed=4)
    with pytest.raises(ConfigError, match="noise_seed"):
        ANBBlackbox(bench, noise_seed=1)(p, fidelity=1, seed=2)


def test_infeasible_is_a_failed_run(bench, infeasible_arch):
    bb = ANBBlackbox(bench, targets=["val_top1", "throughput_vck190"], infeasible_time_s=30.0)
    out = bb(params_of(infeasible_arch), fidelity=1)
    assert out == {"val_top1": 0.0, "throughput_vck190": bench.query(infeasible_arch, device="vck190"),
                   ELAPSED_TIME_ATTR: 30.0, "feasible": 0.0}
    free = ANBBlackbox(bench, targets=["val_top1"], max_gib=None)(params_of(infeasible_arch), fidelity=1)
    assert free["val_top1"] == bench.query(infeasible_arch) and free["feasible"] == 1.0


def test_max_distance(bench):
    arch = sample(np.random.default_rng(2), 1)[0]
    d = int(nearest_measured([arch])[0])
    assert ANBBlackbox(bench, max_distance=d)(params_of(arch), fidelity=1)["feasible"] == 1.0
    assert ANBBlackbox(bench, max_distance=d - 1)(params_of(arch), fidelity=1)["feasible"] == 0.0


def test_bad_configs_are_typed_errors(bench):
    bb = ANBBlackbox(bench)
    good = params_of(EFFICIENTNET_B0)
    for params, err, text in [({**good, "block1_k": 7}, InvalidArchitectureError, "block1_k"),
                              ({**good, "epochs": 3}, UnknownOptionError, "epochs"),
                              ({k: v for k, v in good.items() if k != "block0_e"}, InvalidArchitectureError,
                               "block0_e")]:
        with pytest.raises(err, match=text) as info:
            bb.objective_function(params)
        assert "\n" not in str(info.value)
    with pytest.raises(ConfigError, match="one fidelity"):
        bb(good, fidelity=2)
    for kwargs, err, text in [({"targets": ["val_top9"]}, UnknownTargetError, "val_top9"),
                              ({"infeasible_time_s": 0}, ConfigError, "infeasible_time_s"),
                              ({"noise_seed": -2}, ConfigError, "noise_seed")]:
        with pytest.raises(err, match=text):
            ANBBlackbox(bench, **kwargs)


def test_simulated_time_is_train_time(bench):
    """One worker: each trial ends when the previous one ended plus its own train_time (plus the
    scheduler's own decision time, which Syne Tune's simulator also counts: seconds, not minutes)."""
    bb = ANBBlackbox(bench, targets=["val_top1"])
    df = simulate(RandomSearch(bb.configuration_space, metrics=["val_top1"], do_minimize=False, random_seed=0),
                  bb, n_workers=1, max_wallclock_time_s=6 * 3600)
    df = df.sort_values("st_tuner_time")
    assert len(df) >= 4
    ends = df["st_tuner_time"].to_numpy()
    excess = np.diff(ends) - df[ELAPSED_TIME_ATTR].to_numpy()[1:]
    assert np.all(excess >= -1e-6) and np.all(excess < 120.0), excess
    for _, row in df.iterrows():
        arch = _arch_of(row)
        if row["feasible"]:
            assert row["val_top1"] == pytest.approx(bench.query(arch), abs=1e-9)
            assert row[ELAPSED_TIME_ATTR] == pytest.approx(bench.query(arch, "train_time"), abs=1e-9)


def test_more_workers_more_trials(bench):
    bb = ANBBlackbox(bench, targets=["val_top1"])

    def run(workers):
        sched = REA(bb.configuration_space, metric="val_top1", do_minimize=False, random_seed=1,
                    population_size=5, sample_size=2)
        return simulate(sched, bb, n_workers=workers, max_wallclock_time_s=4 * 3600, seed=1)

    assert run(4)["trial_id"].nunique() > 2 * run(1)["trial_id"].nunique()
    with pytest.raises(ConfigError, match="n_workers"):
        simulate(None, bb, n_workers=0, max_wallclock_time_s=10)


def test_same_seed_same_configs(bench):
    """simulate(seed=...) seeds the numpy RNG Syne Tune's random configs come from: trial i gets the
    same config in every run with that seed, another seed gives other configs."""
    bb = ANBBlackbox(bench, targets=["val_top1"])

    def run(seed):
        sched = RandomSearch(bb.configuration_space, metrics=["val_top1"], do_minimize=False, random_seed=seed)
        df = simulate(sched, bb, n_workers=4, max_wallclock_time_s=4 * 3600, seed=seed)
        return {int(r["trial_id"]): _arch_of(r) for _, r in df.iterrows()}

    first, second, other = run(1), run(1), run(2)
    common = sorted(set(first) & set(second))
    assert len(common) >= 8 and all(first[i] == second[i] for i in common)
    assert any(first[i] != other.get(i) for i in common)
    state = np.random.get_state()[1].copy()
    run(3)
    assert np.array_equal(np.random.get_state()[1], state)  # the caller's global RNG is left as it was


def test_any_benchmark_plugs_in():
    fb = FunctionBenchmark({"val_top1": lambda archs: [float(a.depth) for a in archs],
                            "train_time": lambda archs: [100.0 * a.depth for a in archs]}, name="depth")
    bb = ANBBlackbox(fb)
    assert bb(params_of(EFFICIENTNET_B0), fidelity=1)[ELAPSED_TIME_ATTR] == 100.0 * EFFICIENTNET_B0.depth
    assert bb.metadata["benchmark"] == "depth"
    backend = UserBlackboxBackend(blackbox=bb, elapsed_time_attr=ELAPSED_TIME_ATTR)
    assert backend.blackbox is bb
    with pytest.raises(UnknownTargetError, match="train_time"):
        ANBBlackbox(FunctionBenchmark({"val_top1": lambda archs: [1.0] * len(archs)}))
    with pytest.raises(NotImplementedError, match="surrogate"):
        bb.hyperparameter_objectives_values()


def test_bench_script_best_curve():
    """benchmarks/bench_frameworks_synetune.py: the best feasible accuracy reached by each grid time."""
    import pandas as pd
    from _scripts import load_script

    mod = load_script("benchmarks/bench_frameworks_synetune.py")
    df = pd.DataFrame({"st_tuner_time": [5400.0, 1800.0, 3600.0], "val_top1": [61.0, 60.0, 0.0],
                       "feasible": [1.0, 1.0, 0.0]})
    curve = mod.best_curve(df, 2.0)  # grid 0, 0.25, ..., 2 h
    assert np.isnan(curve[:2]).all() and curve[2:6] == [60.0] * 4 and curve[6:] == [61.0] * 3
