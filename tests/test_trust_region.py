"""The trust region ``max_distance``: sampling, mutation, neighbours, every optimizer, config and CLI."""
from __future__ import annotations

import json
import pickle

import numpy as np
import pytest

from naslib_anb.errors import ANBError, ConfigError, InfeasibleArchitectureError
from naslib_anb.optimizers import get_optimizer, list_optimizers
from naslib_anb.optimizers.random_search import RandomSearch
from naslib_anb.search import SearchConfig, make_objective, run_loop
from naslib_anb.search.toy import toy_benchmark
from naslib_anb.space import Arch, feasible, mutate, nearest_measured, neighbours, sample
from naslib_anb.space import trust_region as tr
from naslib_anb.space.codes import codes_of
from naslib_anb.space.support import measured_codes

BAD_VALUES = [-1, 29, 1.5, 4.0, True, "4", [4]]


def make_archs(n=40, seed=0):
    return sample(seed, n)


# -- the value -----------------------------------------------------------------------------
@pytest.mark.parametrize("bad", BAD_VALUES)
def test_bad_max_distance_is_one_line_config_error(bad):
    """Negative, non-integer, bool, too large: ConfigError naming the value and 0..28."""
    with pytest.raises(ConfigError) as e:
        sample(0, 3, max_distance=bad)
    msg = str(e.value)
    assert "\n" not in msg and repr(bad) in msg and "0..28" in msg
    for call in (lambda: mutate("b0", 0, max_distance=bad), lambda: neighbours("b0", max_distance=bad),
                 lambda: get_optimizer("rs", seed=0, max_distance=bad),
                 lambda: SearchConfig(optimizer="rs", max_distance=bad)):
        with pytest.raises(ConfigError, match="0..28"):
            call()


def test_ball_size_counts_the_ball():
    """|ball(1)| = 1 + 43 neighbours; |ball(28)| is the whole space."""
    from naslib_anb.space import NUM_NEIGHBOURS, SPACE_SIZE

    assert tr.ball_size(0) == 1
    assert tr.ball_size(1) == 1 + NUM_NEIGHBOURS
    assert tr.ball_size(28) == SPACE_SIZE
    assert tr.uses_union_sampler(4) and not tr.uses_union_sampler(12)


# -- sampling --------------------------------------------------------------------------------
@pytest.mark.parametrize("d", [0, 1, 3, 4, 6, 8, 12])
def test_sample_stays_in_region_and_feasible(d):
    """Every sample is within d decisions of the data and trainable."""
    archs = sample(7, 150, max_distance=d)
    assert len(archs) == 150
    assert nearest_measured(archs).max() <= d
    assert feasible(archs).all()


def test_sample_is_seeded_and_prefix_stable():
    a = sample(3, 50, max_distance=4)
    assert a == sample(3, 50, max_distance=4)
    assert sample(3, 20, max_distance=4) == a[:20]
    assert sample(3, max_distance=4) == a[0]
    assert a != sample(4, 50, max_distance=4)


def test_sample_max_distance_28_is_no_constraint():
    """Every architecture is within 28 decisions: the same draws as without a constraint."""
    assert sample(5, 30, max_distance=28) == sample(5, 30)


def test_sample_d0_draws_measured_architectures():
    archs = sample(1, 200, max_distance=0)
    assert (nearest_measured(archs) == 0).all()
    assert len(set(archs)) > 150  # spread over the 5,125, not one point


def test_ball_draws_are_uniform_on_the_ball():
    """Points of the radius-2 ball around one centre come up equally often (chi-square)."""
    from scipy.stats import chisquare

    centre = codes_of(["b0"])
    g = np.random.default_rng(0)
    draws = tr._ball_codes(np.repeat(centre, 60_000, axis=0), 2, g)
    assert (codes_of(draws) != centre).sum(axis=1).max() <= 2
    _, counts = np.unique(draws, axis=0, return_counts=True)
    assert len(counts) == tr.ball_size(2)  # 931 points, every one reached
    assert chisquare(counts).pvalue > 1e-3


def _distance_histogram(monkeypatch, union: bool, d: int, n: int) -> np.ndarray:
    monkeypatch.setattr(tr, "uses_union_sampler", lambda _d: union)
    near = nearest_measured(sample(11, n, max_distance=d))
    return np.bincount(near, minlength=d + 1)


def test_both_samplers_draw_the_same_distribution(monkeypatch):
    """Union-of-balls and uniform rejection are both uniform over the region (D = 7, where both
    are affordable): their histograms of the distance to the data agree (chi-square on 2 x 8)."""
    from scipy.stats import chi2_contingency

    union = _distance_histogram(monkeypatch, True, 7, 3000)
    plain = _distance_histogram(monkeypatch, False, 7, 3000)
    keep = (union + plain) > 0
    assert chi2_contingency(np.vstack([union[keep], plain[keep]])).pvalue > 1e-3
    # uniform over the region puts most mass at the edge: the naive "perturb a measured
    # architecture by up to D changes" would put a 1/(D+1) share at each distance instead
    assert union[7] > 0.5 * union.sum()


def test_sample_too_many_is_config_error():
    """sample(0, 10**12) names the limit instead of numpy's MemoryError."""
    with pytest.raises(ConfigError, match="too many"):
        sample(0, 10 ** 12)
    with pytest.raises(ConfigError, match="too many"):
        sample(0, 10 ** 12, max_distance=4)


# -- mutation and neighbours --------------------------------------------------------------
def _edge_arch(d: int) -> Arch:
    """An architecture exactly d decisions from the data."""
    for a in sample(2, 400, max_distance=d):
        if nearest_measured([a])[0] == d:
            return a
    raise AssertionError("no architecture at the edge")


@pytest.mark.parametrize("d", [2, 5])
def test_mutate_keeps_children_in_region(d):
    """Children of a parent on the region's edge stay within d (and differ in one decision)."""
    parent = _edge_arch(d)
    g = np.random.default_rng(0)
    kids = [mutate(parent, g, max_distance=d) for _ in range(200)]
    assert nearest_measured(kids).max() <= d
    assert all((codes_of([k]) != codes_of([parent])).sum() == 1 for k in kids)
    # the constraint binds: without it some children leave the region
    free = [mutate(parent, g) for _ in range(200)]
    assert nearest_measured(free).max() == d + 1


def test_mutate_and_neighbours_accept_strings():
    """Any Arch spelling, as query and arch_cost take (was AttributeError on str)."""
    s = "e1k3l1s1-e6k3l2s1-e6k5l2s1-e6k3l3s1-e6k5l3s1-e6k5l4s1-e6k3l1s1"
    child = mutate(s, 0)
    assert isinstance(child, Arch) and child != Arch.parse(s)
    assert mutate("b0", 0) == mutate(Arch.parse(s), 0)
    assert neighbours("b0") == neighbours(Arch.parse(s))
    assert len(neighbours(s, feasible_only=False)) == 43
    assert neighbours(Arch.parse(s).to_dict()) == neighbours(s)


def test_neighbours_filter_by_region():
    parent = _edge_arch(4)
    inside = neighbours(parent, max_distance=4)
    allowed = [n for n in neighbours(parent) if nearest_measured([n])[0] <= 4]
    assert inside == allowed and 0 < len(inside) < len(neighbours(parent))


def test_mutate_without_admissible_child_raises():
    """A measured architecture with no measured neighbour has no child at distance 0."""
    from naslib_anb.space.codes import arch_from_indices

    for row in measured_codes()[:200]:
        arch = arch_from_indices(row)
        if not neighbours(arch, max_distance=0):
            with pytest.raises(InfeasibleArchitectureError, match="max_distance=0"):
                mutate(arch, 0, max_distance=0)
            return
    pytest.fail("every tried measured architecture has a measured neighbour")


def test_pull_within_moves_into_region_towards_the_data():
    g = np.random.default_rng(0)
    far = sample(0, 30, feasible_only=False)
    for a in far:
        code = list(codes_of([a])[0])
        moved = tr.pull_within(code, g, 3)
        assert nearest_measured(np.asarray([moved]))[0] <= 3
        if nearest_measured([a])[0] <= 3:
            assert moved == code


# -- every optimizer ---------------------------------------------------------------------------
def _objective_for(name: str):
    pareto = get_optimizer(name, seed=0).multi_objective if name != "reinforce-lstm" else False
    return make_objective("pareto", "a100") if pareto else make_objective("accuracy")


@pytest.mark.parametrize("name", list_optimizers())
@pytest.mark.parametrize("d", [3, 5])
def test_every_optimizer_asks_only_within_region(name, d):
    """Each registered optimizer, told max_distance=d, never asks farther than d from the data;
    the same seed gives the same trajectory; it pickles."""
    if name == "reinforce-lstm":
        pytest.importorskip("torch", reason="reinforce-lstm needs torch (the train extra)")
    bench = toy_benchmark()
    opt = get_optimizer(name, seed=1, max_distance=d)
    assert opt.max_distance == d
    recs = run_loop(opt, bench, _objective_for(name), 120)
    assert max(r.nearest_measured for r in recs) <= d
    assert nearest_measured([Arch.parse(r.arch) for r in recs]).max() <= d
    again = run_loop(get_optimizer(name, seed=1, max_distance=d), bench, _objective_for(name), 120)
    assert [r.arch for r in again] == [r.arch for r in recs]
    restored = pickle.loads(pickle.dumps(opt))
    assert restored.max_distance == d


@pytest.mark.parametrize("name", ["rs", "re", "reinforce"])
def test_unconstrained_optimizers_leave_the_region(name):
    """The constraint is what keeps them in: without it the same runs go past 5 decisions."""
    recs = run_loop(get_optimizer(name, seed=1), toy_benchmark(), make_objective("accuracy"), 120)
    assert max(r.nearest_measured for r in recs) > 5


def test_driver_refuses_an_ask_outside_the_region():
    """An optimizer that ignores the region is stopped before the architecture is queried."""

    class Careless(RandomSearch):
        name = "careless"

        def _ask(self):
            return sample(self.rng, feasible_only=True)  # ignores self.max_distance

    queried = []
    bench = toy_benchmark()
    real = bench.query_all
    bench.query_all = lambda archs, targets=None: queried.append(archs) or real(archs, targets)
    with pytest.raises(ANBError, match="outside max_distance=3"):
        run_loop(Careless(seed=0, max_distance=3), bench, make_objective("accuracy"), 10)
    assert queried == []


# -- config and CLI ------------------------------------------------------------------------------
def test_search_config_records_max_distance():
    cfg = SearchConfig(optimizer="re", budget=50, max_distance=4, benchmark="toy")
    assert cfg.resolved().to_dict()["max_distance"] == 4
    assert SearchConfig.from_dict(cfg.to_dict()) == cfg
    assert cfg.make_optimizer().max_distance == 4
    with pytest.raises(ConfigError, match="twice"):
        SearchConfig(optimizer="re", max_distance=4, optimizer_kwargs={"max_distance": 5})


def test_optimizer_without_max_distance_is_refused():
    """A registered optimizer that cannot honour the region is an error, never silently ignored."""
    from naslib_anb.optimizers import _REGISTRY, register_optimizer

    def plain(seed, feasible_only=True):
        return RandomSearch(seed, feasible_only)

    register_optimizer("plain-test", plain)
    try:
        SearchConfig(optimizer="plain-test")  # fine without the constraint
        with pytest.raises(ConfigError, match="takes no max_distance"):
            SearchConfig(optimizer="plain-test", max_distance=4)
    finally:
        _REGISTRY.pop("plain-test")


def _cli(*argv):
    from naslib_anb.cli.main import main

    return main([str(a) for a in argv])


def test_cli_search_max_distance_toy(tmp_path, capsys):
    out = tmp_path / "run"
    assert _cli("search", "--optimizer", "re", "--budget", 150, "--max-distance", 4, "--benchmark", "toy",
                "--out", out, "--no-plots", "--no-progress") == 0
    import pandas as pd
    import yaml

    q = pd.read_csv(out / "queries.csv")
    assert q["nearest_measured"].max() <= 4
    assert yaml.safe_load((out / "config.yaml").read_text())["max_distance"] == 4
    summary = json.loads((out / "summary.json").read_text())
    assert summary["max_distance"] == 4 and summary["max_nearest_measured"] <= 4
    assert "trust region: max_distance 4" in capsys.readouterr().out


@pytest.mark.parametrize("bad", ["-1", "1.5", "29", "true", "x"])
@pytest.mark.parametrize("cmd", ["search", "compare"])
def test_cli_bad_max_distance_exit_2_one_line(tmp_path, capsys, cmd, bad):
    extra = ["--optimizer", "rs"] if cmd == "search" else ["--optimizers", "rs", "--seeds", "0"]
    rc = _cli(cmd, *extra, "--max-distance", bad, "--benchmark", "toy", "--out", tmp_path / "o")
    err = capsys.readouterr().err.strip()
    assert rc == 2
    assert len(err.splitlines()) == 1 and "0..28" in err and bad in err
    assert not (tmp_path / "o").exists()


def test_cli_search_max_distance_5_on_shipped_surrogates(tmp_path):
    """Acceptance: on the real benchmark, --max-distance 5 neither queries nor returns anything farther."""
    import pandas as pd

    out = tmp_path / "anb"
    assert _cli("search", "--optimizer", "re", "--budget", 300, "--max-distance", 5, "--out", out,
                "--no-plots", "--no-progress") == 0
    assert pd.read_csv(out / "queries.csv")["nearest_measured"].max() <= 5
    assert pd.read_csv(out / "pareto.csv")["nearest_measured"].max() <= 5
    summary = json.loads((out / "summary.json").read_text())
    assert nearest_measured([summary["best_arch"]])[0] <= 5
    assert summary["best_feasible"]["nearest_measured"] <= 5


def test_cli_compare_max_distance_recorded(tmp_path, capsys):
    out = tmp_path / "cmp"
    assert _cli("compare", "--optimizers", "rs", "re", "--seeds", "0-1", "--budget", 60, "--max-distance", 5,
                "--benchmark", "toy", "--jobs", 1, "--out", out, "--no-plots", "--no-progress") == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["config"]["max_distance"] == 5
    assert "within max_distance 5" in capsys.readouterr().out
    import pandas as pd

    for f in (out / "runs").glob("*.csv"):
        assert pd.read_csv(f)["nearest_measured"].max() <= 5


def test_search_configs_take_max_distance(tmp_path):
    """A search YAML may set max_distance (a SearchConfig field); a bad one fails on load."""
    good = tmp_path / "good.yaml"
    good.write_text("optimizer: rs\nbudget: 40\nbenchmark: toy\nmax_distance: 6\n")
    out = tmp_path / "o"
    assert _cli("search", "--config", good, "--out", out, "--no-plots", "--no-progress") == 0
    assert json.loads((out / "summary.json").read_text())["max_nearest_measured"] <= 6
    bad = tmp_path / "bad.yaml"
    bad.write_text("optimizer: rs\nmax_distance: -2\n")
    assert _cli("search", "--config", bad, "--out", tmp_path / "o2") == 2


def test_shipped_trust_region_config_loads():
    """configs/search/re_accuracy_trust_region.yaml is a SearchConfig with max_distance 5."""
    from pathlib import Path

    from naslib_anb.io import read_yaml_mapping

    path = Path(__file__).resolve().parents[1] / "configs" / "search" / "re_accuracy_trust_region.yaml"
    cfg = SearchConfig.from_dict(read_yaml_mapping(path, "--config"))
    assert cfg.max_distance == 5 and cfg.make_optimizer().max_distance == 5
