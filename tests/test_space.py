"""The search space: canonical forms, conversions, sampling, mutation, neighbours, ConfigSpace parity."""
from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest

from naslib_anb.errors import ConfigError, InvalidArchitectureError
from naslib_anb.space import (
    CARDINALITIES,
    EFFICIENTNET_B0,
    NUM_NEIGHBOURS,
    SPACE_SIZE,
    Arch,
    arch_cost,
    arch_from_indices,
    arch_to_indices,
    configuration_space,
    enumerate_space,
    features,
    mutate,
    neighbours,
    onehot,
    ordinal,
    sample,
)

B0 = "e1k3l1s1-e6k3l2s1-e6k5l2s1-e6k3l3s1-e6k5l3s1-e6k5l4s1-e6k3l1s1"


def test_space_size_matches_product_of_choices():
    assert SPACE_SIZE == 104_485_552_128 == 36**6 * 48
    assert math.prod(CARDINALITIES) == SPACE_SIZE
    assert NUM_NEIGHBOURS == 43


def test_b0_canonical_string_round_trips():
    assert str(EFFICIENTNET_B0) == B0
    assert Arch.from_string(B0) == EFFICIENTNET_B0
    assert EFFICIENTNET_B0.e == (1, 6, 6, 6, 6, 6, 6)
    assert EFFICIENTNET_B0.l == (1, 2, 2, 3, 3, 4, 1)


def test_all_conversions_round_trip():
    for a in sample(1, 50):
        assert Arch.from_string(str(a)) == a
        assert Arch.from_dict(a.to_dict()) == a
        assert Arch.from_lists(a.to_lists()) == a
        assert Arch.from_tuple(a.to_tuple()) == a
        assert Arch.from_config(a.to_config()) == a
        assert arch_from_indices(arch_to_indices(a)) == a
        assert Arch.parse(a.to_dict()) == Arch.parse(str(a)) == Arch.parse(a.to_lists()) == a


def test_arch_is_frozen_and_hashable():
    a = sample(0)
    with pytest.raises(Exception):
        a.stages = ()  # type: ignore[misc]
    assert len({a, Arch.from_string(str(a))}) == 1


def test_timm_arch_def_of_b0_is_timms_own():
    assert EFFICIENTNET_B0.to_arch_def() == [
        ["ds_r1_k3_s1_c16_se0.25"], ["ir_r2_k3_s2_e6_c24_se0.25"], ["ir_r2_k5_s2_e6_c40_se0.25"],
        ["ir_r3_k3_s2_e6_c80_se0.25"], ["ir_r3_k5_s1_e6_c112_se0.25"], ["ir_r4_k5_s2_e6_c192_se0.25"],
        ["ir_r1_k3_s1_e6_c320_se0.25"],
    ]


def test_configuration_space_equals_upstream_layout():
    cs = configuration_space()
    names = list(cs.keys())
    assert len(names) == 28
    assert names[:5] == ["block0_e", "block0_k", "block0_l", "block0_se", "block1_e"]
    assert list(cs["block5_l"].choices) == [1, 2, 3, 4]
    assert list(cs["block0_l"].choices) == [1, 2, 3]
    assert list(cs["block3_e"].choices) == [1, 4, 6]
    assert list(cs["block3_se"].choices) == [True, False]
    assert cs["block2_se"].default_value is False and cs["block2_e"].default_value == 1


def test_ordinal_equals_configspace_get_array():
    cs = configuration_space()
    archs = sample(3, 20)
    enc = ordinal(archs)
    for a, row in zip(archs, enc):
        np.testing.assert_array_equal(a.to_config(cs).get_array(), row)
    # se=True is index 0, as upstream
    assert ordinal([EFFICIENTNET_B0])[0][3] == 0


def test_onehot_has_71_dims_one_per_decision():
    x = onehot(sample(5, 10))
    assert x.shape == (10, 71)
    assert np.all(x.sum(axis=1) == 28)


def test_features_include_exact_costs():
    f = features([EFFICIENTNET_B0])
    c = arch_cost(EFFICIENTNET_B0)
    assert f.shape == (1, 39)
    assert f[0, 28] == pytest.approx(c.params / 1e6, rel=1e-6)
    assert c.params == 5_288_548


def test_sampling_is_seeded_and_uniform_per_decision():
    assert sample(7, 30) == sample(7, 30)
    assert sample(7, 30) != sample(8, 30)
    rng = np.random.default_rng(0)
    assert sample(rng, 5) != sample(rng, 5)  # a passed Generator advances
    idx = np.asarray([arch_to_indices(a) for a in sample(11, 6000)])
    # block5_l has 4 choices, each near 1/4; se near 1/2
    counts = np.bincount(idx[:, 22], minlength=4) / len(idx)
    assert np.all(np.abs(counts - 0.25) < 0.03)


def test_sampling_same_across_processes():
    code = "from naslib_anb.space import sample; print([str(a) for a in sample(42, 5)])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == str([str(a) for a in sample(42, 5)])


def test_seed_must_be_explicit():
    with pytest.raises(ConfigError):
        sample(None)  # type: ignore[arg-type]
    with pytest.raises(ConfigError):
        sample(-1)


def test_mutation_changes_exactly_one_decision():
    rng = np.random.default_rng(3)
    for a in sample(2, 200):
        m = mutate(a, rng)
        diff = np.sum(np.asarray(arch_to_indices(a)) != np.asarray(arch_to_indices(m)))
        assert diff == 1


def test_neighbours_are_the_43_one_step_changes():
    a = EFFICIENTNET_B0
    nb = neighbours(a)
    assert len(nb) == len(set(nb)) == 43
    assert a not in nb
    base = np.asarray(arch_to_indices(a))
    assert all(np.sum(np.asarray(arch_to_indices(n)) != base) == 1 for n in nb)


def test_enumeration_of_one_stage():
    archs = list(enumerate_space(stages=[5]))
    assert len(archs) == 48 and len(set(archs)) == 48
    assert len(list(enumerate_space(stages=[0, 1]))) == 36 * 36


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("e1k3l1s1-e6k3l2s1", "expected 7 stage tokens"),
        ("e2k3l1s1-e6k3l2s1-e6k5l2s1-e6k3l3s1-e6k5l3s1-e6k5l4s1-e6k3l1s1", "stage 0 field 'e' is 2"),
        ("e1k3l1s1-e6k3l4s1-e6k5l2s1-e6k3l3s1-e6k5l3s1-e6k5l4s1-e6k3l1s1", "stage 1 field 'l' is 4"),
        ("e1k3l1s1-e6k3l2s1-e6k5l2s1-e6k3l3s1-e6k5l3s1-e6k5l4s1-e6k7l1s1", "stage 6 field 'k' is 7"),
        ("e1k3l1s1-e6k3l2s1-e6k5l2s2-e6k3l3s1-e6k5l3s1-e6k5l4s1-e6k3l1s1", "stage 2 field 'se'"),
        ("e1k3l1s1-e6k3l2s1-e6k5l2-e6k3l3s1-e6k5l3s1-e6k5l4s1-e6k3l1s1", "stage 2 token"),
    ],
)
def test_malformed_strings_name_stage_and_field(text, fragment):
    with pytest.raises(InvalidArchitectureError) as info:
        Arch.from_string(text)
    assert fragment in str(info.value)
    assert isinstance(info.value, ValueError)


def test_bad_dicts_and_types():
    d = EFFICIENTNET_B0.to_dict()
    d.pop("block3_k")
    with pytest.raises(InvalidArchitectureError, match="block3_k"):
        Arch.from_dict(d)
    d = EFFICIENTNET_B0.to_dict()
    d["block0_e"] = 4.0
    with pytest.raises(InvalidArchitectureError, match="float"):
        Arch.from_dict(d)
    with pytest.raises(InvalidArchitectureError):
        Arch.parse(3.5)
    with pytest.raises(InvalidArchitectureError):
        Arch.from_lists([[1] * 7, [3] * 7, [1] * 7])
