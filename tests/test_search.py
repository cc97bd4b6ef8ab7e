"""Objectives (MnasNet reward sign), the search loop, run outputs, and the CLI."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from naslib_anb.errors import ConfigError, UnknownChoiceError, UnknownMetricError
from naslib_anb.optimizers import get_optimizer
from naslib_anb.search import (
    AccuracyObjective,
    MnasNetReward,
    ParetoObjective,
    SearchConfig,
    make_objective,
    run_loop,
    run_search,
)
from naslib_anb.search.output import RUN_FILES, prepare_out_dir, write_run
from naslib_anb.search.toy import toy_benchmark


@pytest.fixture(scope="module")
def make_toy():
    return toy_benchmark()


def test_reward_sign_throughput_prefers_faster():
    r = MnasNetReward(device="vck190", metric="throughput", T=1000.0)
    v = r({"val_top1": np.array([60.0, 60.0]), "throughput_vck190": np.array([2000.0, 500.0])})
    assert v[0] > 60.0 > v[1]
    assert v[0] == pytest.approx(60 * 2 ** 0.07)


def test_reward_sign_latency_prefers_lower_latency():
    """Upstream used (m/T)^w for latency too, rewarding slower models; here (T/m)^w."""
    r = MnasNetReward(device="zcu102", metric="latency", T=5.0)
    v = r({"val_top1": np.array([60.0, 60.0]), "latency_zcu102": np.array([2.5, 10.0])})
    assert v[0] > 60.0 > v[1]
    assert v[0] == pytest.approx(60 * 2 ** 0.07) and v[1] == pytest.approx(60 * 0.5 ** 0.07)


def test_reward_default_T_and_miss_exponent():
    r = MnasNetReward(device="vck190")
    assert r.T == 2330.0
    hard = MnasNetReward(device="vck190", T=1000.0, w=0.0, w_miss=1.0)
    v = hard({"val_top1": np.array([60.0, 60.0]), "throughput_vck190": np.array([3000.0, 500.0])})
    assert v[0] == pytest.approx(60.0) and v[1] == pytest.approx(30.0)


def test_pareto_objective_negates_latency():
    p = ParetoObjective(device="vck190", metric="latency")
    F = p({"val_top1": np.array([60.0]), "latency_vck190": np.array([3.0])})
    np.testing.assert_allclose(F, [[60.0, -3.0]])


def test_make_objective_errors():
    with pytest.raises(UnknownMetricError, match="a100"):
        make_objective("reward", device="a100", metric="latency")
    with pytest.raises(ConfigError, match="needs a device"):
        make_objective("pareto")
    with pytest.raises(UnknownChoiceError):
        make_objective("best")
    assert isinstance(make_objective(), AccuracyObjective)


def test_loop_logs_best_evaluated_value_after_every_query(make_toy):
    recs = run_loop(get_optimizer("re", seed=0), make_toy, AccuracyObjective(), 120)
    assert [r.index for r in recs] == list(range(1, 121))
    acc = np.asarray([r.values["val_top1"] for r in recs])
    np.testing.assert_allclose([r.best_accuracy for r in recs], np.maximum.accumulate(acc))
    assert all(r.hypervolume is None for r in recs)


@pytest.mark.parametrize("name,obj", [("rs", "reward"), ("re", "reward"), ("reinforce", "reward"),
                                      ("re", "pareto"), ("reinforce", "accuracy")])
def test_batched_loop_equals_sequential_loop(make_toy, name, obj):
    """Evaluating independent asks together must not change the trajectory."""
    def go(batch):
        cfg = SearchConfig(optimizer=name, seed=4, budget=90, benchmark="toy", objective=obj,
                           device=None if obj == "accuracy" else "vck190")
        return [r.arch for r in run_loop(cfg.make_optimizer(), make_toy, cfg.make_objective(), 90, batch=batch)]

    assert go(True) == go(False)


def test_hypervolume_trajectory_is_monotone(make_toy):
    cfg = SearchConfig(optimizer="re", seed=1, budget=150, benchmark="toy", device="zcu102", metric="latency",
                       objective="pareto")
    res = run_search(cfg, make_toy)
    hv = np.asarray([r.hypervolume for r in res.records])
    assert np.all(np.diff(hv) >= -1e-12) and 0 < hv[-1] <= 1
    assert res.config.optimizer == "re-pareto"


def test_config_validation():
    with pytest.raises(ConfigError, match="budget"):
        SearchConfig(budget=0)
    with pytest.raises(ConfigError, match="budget"):
        SearchConfig(budget=-5)
    with pytest.raises(UnknownChoiceError, match="optimizer"):
        SearchConfig(optimizer="bayesopt")
    with pytest.raises(UnknownMetricError):
        SearchConfig(device="3090", metric="latency")
    with pytest.raises(ConfigError, match="scalar"):
        SearchConfig(optimizer="reinforce", device="vck190", objective="pareto")
    with pytest.raises(ConfigError, match="needs --device"):
        SearchConfig(metric="latency")
    cfg = SearchConfig(optimizer="re", device="vck190", benchmark="toy")
    r = cfg.resolved()
    assert r.objective == "reward" and r.metric == "throughput" and r.reward_target == 2330.0
    assert SearchConfig.from_dict(r.to_dict()) == r


def test_end_to_end_run_writes_every_file(tmp_path, make_toy):
    cfg = SearchConfig(optimizer="reinforce", seed=0, budget=60, benchmark="toy", device="vck190")
    res = run_search(cfg, make_toy)
    out = prepare_out_dir(tmp_path / "run")
    summary = write_run(res, make_toy, out)
    for f in RUN_FILES:
        assert (out / f).stat().st_size > 0, f
    q = pd.read_csv(out / "queries.csv")
    assert len(q) == 60 and {"arch", "val_top1", "throughput_vck190", "reward", "best_accuracy",
                             "hypervolume"} <= set(q.columns)
    p = pd.read_csv(out / "pareto.csv")
    assert set(make_toy.targets) <= set(p.columns) and summary["pareto_size"] == len(p)
    # every Pareto member is non-dominated among all evaluated points
    for _, row in p.iterrows():
        dom = (q.val_top1 >= row.val_top1) & (q.throughput_vck190 >= row.throughput_vck190) & (
            (q.val_top1 > row.val_top1) | (q.throughput_vck190 > row.throughput_vck190))
        assert not dom.any()
    with pytest.raises(ConfigError, match="not empty"):
        prepare_out_dir(out)
    prepare_out_dir(out, force=True)


def test_same_seed_same_run_across_processes(tmp_path):
    code = ("from naslib_anb.search import SearchConfig, run_search\n"
            "r = run_search(SearchConfig(optimizer='reinforce', seed=3, budget=80, benchmark='toy', device='vck190'))\n"
            "print(';'.join(f'{x.arch},{x.reward:.10g}' for x in r.records))\n")
    outs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           env={"PYTHONHASHSEED": str(h), "PATH": ""}).stdout for h in (0, 1)}
    assert len(outs) == 1


# --- CLI ---------------------------------------------------------------------------------------

def cli(args, **kw):
    return subprocess.run([sys.executable, "-m", "naslib_anb.cli.main", *args], capture_output=True, text=True,
                          **kw)


@pytest.mark.parametrize("args,needle", [
    (["--optimizer", "hyperband"], "unknown optimizer 'hyperband'"),
    (["--optimizer", "re", "--device", "a100", "--metric", "latency"], "device 'a100' has no latency"),
    (["--optimizer", "re", "--budget", "0"], "budget must be a positive int"),
    (["--optimizer", "re", "--budget", "-3"], "budget must be a positive int"),
    (["--optimizer", "re", "--device", "gpu9"], "unknown device 'gpu9'"),
    (["--optimizer", "reinforce", "--device", "vck190", "--objective", "pareto"], "needs a scalar objective"),
])
def test_cli_bad_arguments_exit_2_with_one_line(tmp_path, args, needle):
    r = cli(["search", *args, "--benchmark", "toy", "--out", str(tmp_path / "o")])
    assert r.returncode == 2
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and needle in lines[0], r.stderr
    assert not (tmp_path / "o").exists()


def test_cli_search_end_to_end_prints_pareto_set(tmp_path):
    out = tmp_path / "run"
    r = cli(["search", "--optimizer", "reinforce", "--device", "vck190", "--metric", "throughput",
             "--budget", "120", "--seed", "0", "--out", str(out), "--benchmark", "toy", "--no-progress"])
    assert r.returncode == 0, r.stderr
    assert "Pareto set (" in r.stdout and "throughput_vck190" in r.stdout
    assert (out / "pareto.png").exists() and (out / "trajectory.png").exists()
    r2 = cli(["search", "--optimizer", "re", "--budget", "5", "--out", str(out), "--benchmark", "toy"])
    assert r2.returncode == 2 and "not empty" in r2.stderr


def test_cli_config_file_and_opt_overrides(tmp_path):
    cfg = tmp_path / "c.yaml"
    cfg.write_text("optimizer: re\nbudget: 40\nbenchmark: toy\noptimizer_kwargs: {population_size: 10}\n")
    out = tmp_path / "run"
    r = cli(["search", "--config", str(cfg), "--opt", "sample_size=3", "--seed", "2", "--out", str(out),
             "--no-plots", "--json"])
    assert r.returncode == 0, r.stderr
    s = json.loads(r.stdout)
    assert s["queries"] == 40
    import yaml

    saved = yaml.safe_load((out / "config.yaml").read_text())
    assert saved["optimizer_kwargs"] == {"population_size": 10, "sample_size": 3} and saved["seed"] == 2


def test_compare_runs_in_parallel_and_aggregates(tmp_path):
    out = tmp_path / "cmp"
    r = cli(["compare", "--optimizers", "rs", "re", "--seeds", "0-1", "--budget", "40", "--device", "vck190",
             "--benchmark", "toy", "--jobs", "2", "--out", str(out), "--no-progress"])
    assert r.returncode == 0, r.stderr
    s = json.loads((out / "summary.json").read_text())
    assert set(s["final"]) == {"rs", "re"} and s["seeds"] == [0, 1]
    c = pd.read_csv(out / "curves.csv")
    assert len(c) == 2 * 2 * 40
    assert (out / "best_accuracy.png").exists() and (out / "hypervolume.png").exists()
    # the parallel run equals a direct run of the same config
    direct = run_search(SearchConfig(optimizer="re", seed=1, budget=40, benchmark="toy", device="vck190"))
    np.testing.assert_allclose(c[(c.optimizer == "re") & (c.seed == 1)].best_reward.to_numpy(),
                               [x.best_reward for x in direct.records], rtol=1e-5)
