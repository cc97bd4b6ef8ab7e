"""`propose`: visitation x variant spread, greedy k-centre, the plan it writes, its one-line errors."""
from collections import Counter

import numpy as np
import pytest

from naslib_anb.benchmark import FunctionBenchmark
from naslib_anb.cli.main import main
from naslib_anb.errors import ConfigError
from naslib_anb.plan import read_plan
from naslib_anb.search.propose import (
    ProposeConfig,
    candidates,
    greedy_k_centre,
    objective_spread,
    propose,
    score,
    visit_density,
)
from naslib_anb.space import EFFICIENTNET_B0, arch_from_indices, measured_codes, nearest_measured, sample
from naslib_anb.space.support import codes_of
from naslib_anb.space.trainability import feasible


def _neighbour(arch, j=0):
    code = list(codes_of([arch])[0])
    code[j] = (code[j] + 1) % 3
    return arch_from_indices(code)


def test_k_centre_takes_one_per_cluster_best_scored_first():
    centres = np.array([[0] * 28, [1] * 28, [2] * 28])
    rows, scores = [], []
    for c in range(3):
        for i in range(5):  # five rows one decision from their cluster's centre
            r = centres[c].copy()
            r[i] = (r[i] + 1) % 3
            rows.append(r)
            scores.append(10.0 * (c == 1) + i)
    chosen = greedy_k_centre(np.array(rows), np.array(scores), 3)
    assert chosen[0] == 9  # the best scored (cluster 1, i = 4)
    assert sorted(i // 5 for i in chosen) == [0, 1, 2]  # one per cluster
    with pytest.raises(ConfigError, match="cannot choose 16 of 15"):
        greedy_k_centre(np.array(rows), np.array(scores), 16)


def test_k_centre_prefers_the_better_scored_among_equally_far():
    rows = np.array([[0] * 28, [1] + [0] * 27, [0, 1] + [0] * 26])
    assert greedy_k_centre(rows, np.array([5.0, 1.0, 2.0]), 2) == [0, 2]


def test_visit_density_counts_the_architecture_and_its_one_step_neighbours():
    a, far = EFFICIENTNET_B0, sample(3)
    b = _neighbour(a, 0)
    visits = Counter({str(a): 2, str(b): 3, str(far): 1})
    assert visit_density(visits, [a, b, far], radius=0).tolist() == [2, 3, 1]
    assert visit_density(visits, [a, b, far], radius=1).tolist() == [5, 5, 1]
    with pytest.raises(ConfigError, match="radius"):
        visit_density(visits, [a], radius=2)


def test_candidates_are_feasible_unmeasured_and_not_excluded():
    measured = arch_from_indices(measured_codes()[0])
    pool = sample(1, 50, feasible_only=False)
    visits = Counter({str(a): 1 for a in [*pool, measured]})
    excluded = str(pool[0])
    got = candidates(visits, exclude=[excluded])
    assert got, "some of 50 random architectures are feasible and unmeasured"
    assert all(feasible(got)) and (nearest_measured(got) > 0).all()
    assert excluded not in {str(a) for a in got} and str(measured) not in {str(a) for a in got}
    assert [str(a) for a in got] == sorted(str(a) for a in got)
    assert len(got) == sum(1 for a in pool[1:] if feasible([a])[0] and nearest_measured([a])[0] > 0)


def test_score_sums_visits_times_spread_over_objectives():
    s = score([np.array([1, 2, 4]), np.array([0, 3, 1])], [np.array([0.1, 0.2, 0.4]), np.array([1.0, 1.0, 2.0])])
    assert np.allclose(s, [0.1, 0.4 + 3.0, 1.6 + 2.0])


def test_objective_spread_is_the_std_of_what_the_optimizer_is_told():
    from naslib_anb.search.objectives import make_objective

    archs = sample(4, 3)
    def const(v):
        return lambda x: np.full(len(x), v)

    a = FunctionBenchmark({"val_top1": const(60.0), "throughput_a100": const(9e3)})
    b = FunctionBenchmark({"val_top1": const(62.0), "throughput_a100": const(9e3)})
    assert np.allclose(objective_spread(archs, {"a": a, "b": b}, make_objective("accuracy")), 1.0)
    reward = make_objective("reward", device="a100")
    told = [reward({"val_top1": np.array([v]), "throughput_a100": np.array([9e3])})[0] for v in (60.0, 62.0)]
    assert np.allclose(objective_spread(archs, {"a": a, "b": b}, reward), abs(told[1] - told[0]) / 2)


def _variants(disagree_where_e6: bool = True):
    """Two accuracy surrogates that agree (up to a constant) except where stage 0 has expansion 6
    (if asked); neither cares about stage 0 otherwise."""
    def base(archs):
        return np.asarray([60.0 + sum(s.e * s.l for s in a.stages[1:]) / 10 for a in archs])

    def other(archs):
        bump = np.asarray([2.0 if (a.stages[0].e == 6 and disagree_where_e6) else 0.01 for a in archs])
        return base(archs) + bump

    return {"a": FunctionBenchmark({"val_top1": base}), "b": FunctionBenchmark({"val_top1": other})}


def test_propose_is_seeded_and_writes_how_it_was_made():
    cfg = ProposeConfig(n=12, seeds=1, budget=150, optimizers=("rs", "re"))
    plan = propose(cfg, _variants(), progress=False)
    again = propose(cfg, _variants(), progress=False)
    other = propose(ProposeConfig(n=12, seeds=1, budget=150, optimizers=("rs", "re"), seed=1), _variants(),
                    progress=False)
    assert [str(a) for a in plan.archs] == [str(a) for a in again.archs]
    assert [str(a) for a in plan.archs] != [str(a) for a in other.archs]
    assert len({str(a) for a in plan.archs}) == 12
    assert feasible(plan.archs).all() and (nearest_measured(plan.archs) > 0).all()
    meta = plan.meta
    assert meta["variants"] == ["a", "b"] and meta["config"]["seed"] == 0 and meta["runs"] == 4
    assert all(len(p["visits"]) == len(p["spread"]) == 1 for p in meta["per_arch"])
    assert meta["queries"] == 4 * 150 and len(meta["per_arch"]) == 12
    codes = codes_of(plan.archs)
    pairwise = (codes[:, None] != codes[None]).sum(axis=2)[np.triu_indices(12, 1)]
    assert meta["min_pairwise_distance"] == pairwise.min() > 0


def test_propose_goes_where_the_variants_disagree():
    cfg = ProposeConfig(n=20, seeds=1, budget=300, optimizers=("rs", "re"), pool_factor=2)
    share = [np.mean([a.stages[0].e == 6 for a in propose(cfg, _variants(flag), progress=False).archs])
             for flag in (True, False)]
    assert share[0] > 0.9 and share[0] > share[1] + 0.3


def test_propose_needs_two_variants_and_enough_candidates():
    with pytest.raises(ConfigError, match="at least 2 benchmark variants"):
        propose(ProposeConfig(n=3, seeds=1, budget=10), {"a": _variants()["a"]}, progress=False)
    with pytest.raises(ConfigError, match="fewer than n = 50"):
        propose(ProposeConfig(n=50, seeds=1, budget=10, optimizers=("rs",)), _variants(), progress=False)


@pytest.mark.parametrize("argv, match", [
    (["--n", "0"], "n must be an int >= 1, got 0"),
    (["--n", "3", "--variants", "member:99"], "unknown benchmark variant 'member:99'"),
    (["--n", "3", "--budget", "-1"], "budget must be an int >= 1"),
    (["--n", "3", "--optimizers", "nope"], "nope"),
])
def test_bad_values_are_one_line_errors(tmp_path, capsys, argv, match):
    assert main(["propose", *argv, "--out", str(tmp_path / "p.json")]) == 2
    err = capsys.readouterr().err
    assert match in err and err.count("\n") == 1
    assert not (tmp_path / "p.json").exists()


def test_cli_writes_a_plan_and_never_overwrites_it(tmp_path, capsys):
    out = tmp_path / "plan.json"
    argv = ["propose", "--n", "6", "--out", str(out), "--seeds", "1", "--budget", "60",
            "--variants", "member:0,member:1", "--no-progress"]
    assert main(argv) == 0
    plan = read_plan(out)
    assert len(plan.archs) == 6 and plan.meta["variants"] == ["member:0", "member:1"]
    assert plan.meta["command"].startswith(f"naslib-anb propose --n 6 --out {out}")
    assert "--variants member:0,member:1" in plan.meta["command"]
    before = out.read_bytes()
    capsys.readouterr()
    assert main(argv) == 2
    assert "exists" in capsys.readouterr().err and out.read_bytes() == before
    # a second round leaves out what the first plan holds
    out2 = tmp_path / "plan2.json"
    assert main([*argv[:3], "--out", str(out2), *argv[5:], "--exclude", str(out)]) == 0
    assert not {str(a) for a in read_plan(out2).archs} & {str(a) for a in plan.archs}


def test_config_checks_variants_and_reads_aliases():
    from naslib_anb.benchmark.variants import UnknownVariantError

    assert ProposeConfig(n=1, variants=("anb", "member:1", "member:1")).variants == ("ensemble", "member:1")
    with pytest.raises(UnknownVariantError, match="member:K"):
        ProposeConfig(n=1, variants=("member:x",))


def test_simulated_round_pieces():
    """bench_active_round: oracle records are valid ANB records, random additions are new, the table reads."""
    from _scripts import load_script

    from naslib_anb.benchmark import load_benchmark
    from naslib_anb.data.records import parse_record

    mod = load_script("benchmarks/bench_active_round.py")
    oracle = load_benchmark(variant="member:0")
    archs = mod.random_new(30, 0, exclude={str(EFFICIENTNET_B0)})
    assert len({str(a) for a in archs}) == 30 and feasible(archs).all() and (nearest_measured(archs) > 0).all()
    assert [str(a) for a in archs] == [str(a) for a in mod.random_new(30, 0, set())]
    recs = mod.oracle_records(archs[:3], oracle, "x")
    assert [parse_record(r.to_json(), r.name) for r in recs] == recs
    assert recs[0].val_top1 == pytest.approx(oracle.query(archs[0], "val_top1"))
    row = {"acc_err_mean": 0.1, "acc_err_abs": 0.2, "dev_err_pct_abs": 1.0, "tau": [1.0, 0.33],
           "oracle_top1_at_accuracy_optima": 67.0, "uniform_acc_mae": 0.1}
    text = mod.table({**row, "dev_target": "throughput_a100"}, [{"proposed": row, "random": row}] * 2,
                     type("A", (), {"n": 200})())
    assert text.count("\n") == 4 and "+ 200 proposed" in text and "1.00 +- 0.00 / 0.33 +- 0.00" in text
