"""Contract tests for every registered optimizer, plus RE and REINFORCE specifics."""
from __future__ import annotations

import pickle
import subprocess
import sys

import numpy as np
import pytest

from naslib_anb.errors import ConfigError, UnknownChoiceError
from naslib_anb.optimizers import (
    RegularizedEvolution,
    Reinforce,
    get_optimizer,
    list_optimizers,
    register_optimizer,
)
from naslib_anb.optimizers.policy import NUM_LOGITS, FactorizedCategoricalPolicy
from naslib_anb.space import Arch, arch_to_indices, sample

try:
    import torch  # noqa: F401

    ALL = list_optimizers()
except ImportError:  # reinforce-lstm needs torch
    ALL = [n for n in list_optimizers() if n != "reinforce-lstm"]


def toy_value(arch: Arch):
    """A cheap deterministic objective: more expansion and kernel is better."""
    idx = np.asarray(arch_to_indices(arch), dtype=np.float64)
    return float(np.sum(idx * np.linspace(-1, 1, 28)))


def drive(opt, n: int) -> list[str]:
    out = []
    for _ in range(n):
        a = opt.ask()
        v = toy_value(a)
        opt.tell(a, (v, -v * 0.5 + len(str(a)) % 3) if opt.multi_objective else v)
        out.append(str(a))
    return out


def test_registry_lists_the_three_optimizers_and_pareto_variants():
    assert {"rs", "re", "reinforce", "rs-pareto", "re-pareto"} <= set(ALL)
    assert list_optimizers("re*") == ["re", "reinforce", "re-pareto", "reinforce-lstm"]


def test_unknown_optimizer_lists_valid_names():
    with pytest.raises(UnknownChoiceError) as e:
        get_optimizer("bogus", seed=0)
    assert "bogus" in str(e.value) and "'re'" in str(e.value)


def test_double_registration_warns_and_keeps_first():
    with pytest.warns(UserWarning, match="already registered"):
        register_optimizer("re", Reinforce)
    assert isinstance(get_optimizer("re", seed=0), RegularizedEvolution)


@pytest.mark.parametrize("name", ALL)
def test_ask_returns_valid_archs(name):
    opt = get_optimizer(name, seed=3)
    archs = drive(opt, 60)
    assert all(isinstance(Arch.parse(a), Arch) for a in archs)
    assert opt.n_told == 60 and opt.n_pending == 0


@pytest.mark.parametrize("name", ALL)
def test_same_seed_same_trajectory_and_different_seed_differs(name):
    assert drive(get_optimizer(name, seed=7), 80) == drive(get_optimizer(name, seed=7), 80)
    assert drive(get_optimizer(name, seed=7), 80) != drive(get_optimizer(name, seed=8), 80)


@pytest.mark.parametrize("name", ALL)
def test_generator_seed_is_accepted(name):
    a = drive(get_optimizer(name, seed=np.random.default_rng(5)), 30)
    b = drive(get_optimizer(name, seed=5), 30)
    assert a == b


@pytest.mark.parametrize("name", ALL)
def test_pickle_round_trip_continues_identically(name):
    opt = get_optimizer(name, seed=11)
    drive(opt, 40)
    clone = pickle.loads(pickle.dumps(opt))
    assert drive(clone, 40) == drive(opt, 40)


@pytest.mark.parametrize("name", ["rs", "re", "reinforce"])
def test_same_trajectory_across_processes(name):
    code = (
        "import numpy as np\n"
        "from naslib_anb.optimizers import get_optimizer\n"
        "from naslib_anb.space import arch_to_indices\n"
        f"o = get_optimizer({name!r}, seed=123)\n"
        "for _ in range(50):\n"
        "    a = o.ask(); o.tell(a, float(np.sum(np.asarray(arch_to_indices(a)) * np.linspace(-1, 1, 28))))\n"
        "print(o.ask())\n"
    )
    outs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           env={"PYTHONHASHSEED": str(h), "PATH": ""}).stdout for h in (1, 2)}
    assert len(outs) == 1 and outs.pop().strip().count("-") == 6


@pytest.mark.parametrize("bad", [-1, 1.5, "x", None, True])
def test_bad_seed_raises(bad):
    with pytest.raises(ConfigError):
        get_optimizer("rs", seed=bad)


def test_tell_of_unasked_arch_and_bad_values_raise():
    opt = get_optimizer("re", seed=0)
    a, b = opt.ask(), opt.ask()
    with pytest.raises(ConfigError, match="not asked"):
        opt.tell(sample(99), 1.0)
    with pytest.raises(ConfigError):
        opt.tell(a, float("nan"))
    with pytest.raises(ConfigError):
        opt.tell(a, "high")
    opt.tell(b, 2.0)  # any order among outstanding asks
    opt.tell(a, 1.0)
    assert opt.n_pending == 0


def test_re_initial_population_is_random_then_children_are_one_mutation_from_a_member():
    opt = RegularizedEvolution(seed=0, population_size=8, sample_size=3)
    assert opt.max_pending() == 8
    init = [opt.ask() for _ in range(8)]
    assert opt.max_pending() == 8  # all 8 initial asks may be pending
    for i, a in enumerate(init):
        opt.tell(a, float(i))
    assert opt.max_pending() == 1
    for step in range(30):
        members = {m for m, _ in opt.population}
        child = opt.ask()
        diffs = [sum(x != y for x, y in zip(arch_to_indices(child), arch_to_indices(m))) for m in members]
        assert 1 in diffs
        opt.tell(child, 100.0 + step)
        assert len(opt.population) == 8
        assert opt.population[-1][0] == child  # newest appended, oldest removed (aging)


def test_re_sample_size_one_is_random_parent_and_full_sample_without_replacement_is_best():
    opt = RegularizedEvolution(seed=1, population_size=5, sample_size=5, replace=False)
    init = [opt.ask() for _ in range(5)]
    for i, a in enumerate(init):
        opt.tell(a, float(i))
    best = init[-1]
    for _ in range(5):  # every ask: parent is the best member (value 4), since the sample is the population
        child = opt.ask()
        d = sum(x != y for x, y in zip(arch_to_indices(child), arch_to_indices(best)))
        assert d == 1
        opt.tell(child, -1.0)
    with pytest.raises(ConfigError):
        RegularizedEvolution(seed=0, population_size=3, sample_size=5, replace=False)


def test_re_on_error_during_init_draws_a_replacement():
    opt = RegularizedEvolution(seed=0, population_size=3, sample_size=2)
    a = opt.ask()
    opt.on_error(a)
    xs = [opt.ask() for _ in range(3)]
    for x in xs:
        opt.tell(x, 1.0)
    assert len(opt.population) == 3


def test_pareto_re_prefers_the_non_dominated_member():
    opt = get_optimizer("re-pareto", seed=0, population_size=4, sample_size=4, replace=False)
    init = [opt.ask() for _ in range(4)]
    vals = [(1.0, 1.0), (2.0, 2.0), (0.5, 0.5), (1.5, 0.2)]  # member 1 dominates every other
    for a, v in zip(init, vals):
        opt.tell(a, v)
    for _ in range(5):
        c = opt.ask()
        assert sum(x != y for x, y in zip(arch_to_indices(c), arch_to_indices(init[1]))) == 1
        opt.tell(c, (0.0, 0.0))
        # reset the population so member 1 stays the only non-dominated one
        opt.population.pop()
        opt.population.appendleft((init[0], vals[0]))
    with pytest.raises(ConfigError):
        get_optimizer("re-pareto", seed=0).tell(get_optimizer("re-pareto", seed=0).ask(), 1.0)


def test_policy_gradients_match_finite_differences():
    pol = FactorizedCategoricalPolicy()
    pol.logits = np.random.default_rng(0).normal(size=NUM_LOGITS)
    idx = np.asarray(arch_to_indices(sample(0)))
    g = pol.grad_log_prob(idx[None])[0]
    ge = pol.grad_entropy()
    eps = 1e-6
    for j in (0, 5, 17, 40, 70):
        z = pol.logits.copy()
        pol.logits = z.copy(); pol.logits[j] += eps
        lp1, h1 = pol.log_prob(idx[None])[0], pol.entropy()
        pol.logits = z.copy(); pol.logits[j] -= eps
        lp0, h0 = pol.log_prob(idx[None])[0], pol.entropy()
        pol.logits = z
        assert g[j] == pytest.approx((lp1 - lp0) / (2 * eps), abs=1e-5)
        assert ge[j] == pytest.approx((h1 - h0) / (2 * eps), abs=1e-5)


def test_policy_sampling_follows_probabilities():
    pol = FactorizedCategoricalPolicy()
    pol.logits[:3] = [2.0, 0.0, -1.0]  # decision 0 (stage-0 expansion, 3 choices)
    rng = np.random.default_rng(0)
    draws = np.asarray([pol.sample(rng)[0] for _ in range(4000)])
    freq = np.bincount(draws, minlength=3) / len(draws)
    np.testing.assert_allclose(freq, pol.probs()[:3], atol=0.03)


def test_reinforce_updates_every_batch_and_uses_the_old_baseline():
    opt = Reinforce(seed=0, batch_size=4, lr=0.1)
    for i in range(3):
        a = opt.ask()
        opt.tell(a, 1.0)
        assert opt.n_updates == 0
    assert opt.max_pending() == 1
    a = opt.ask()
    opt.tell(a, 5.0)
    assert opt.n_updates == 1
    # first batch: baseline initialised to the batch mean (2.0), then EMA over the 4 rewards
    b = 2.0
    for r in (1.0, 1.0, 1.0, 5.0):
        b = 0.95 * b + 0.05 * r
    assert opt.baseline == pytest.approx(b)
    assert opt.max_pending() == 4


def test_reinforce_learns_a_simple_objective():
    """On 'sum of indices-weighted' the policy should concentrate on the best choice of decision 27."""
    opt = Reinforce(seed=0, lr=0.1)
    drive(opt, 1200)
    p_last = opt.probabilities()[-1]  # decision 27 has weight +1: the last choice is best
    assert p_last[-1] > 0.8


def test_reinforce_rejects_bad_hyperparameters():
    for kw in ({"lr": 0}, {"batch_size": 0}, {"baseline_decay": 1.0}, {"entropy_weight": -1}):
        with pytest.raises(ConfigError):
            Reinforce(seed=0, **kw)
