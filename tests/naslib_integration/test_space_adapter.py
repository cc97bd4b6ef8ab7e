"""The ANB NASLib search space honours NASLib's search-space contract (real NASLib)."""
import math
import time

import numpy as np
import pytest

from _helpers import make_toy_benchmark, require_naslib

naslib = require_naslib()

from naslib.search_spaces.core.query_metrics import Metric  # noqa: E402
from naslib.utils.encodings import EncodingType  # noqa: E402

from naslib_anb.errors import ConfigError, UnknownChoiceError, UnknownMetricError  # noqa: E402
from naslib_anb.naslib.dataset_api import get_anb_dataset_api  # noqa: E402
from naslib_anb.naslib.space import ANBSearchSpace  # noqa: E402
from naslib_anb.space import CARDINALITIES, EFFICIENTNET_B0, Arch, arch_cost  # noqa: E402

pytestmark = pytest.mark.naslib


@pytest.fixture()
def api():
    return get_anb_dataset_api("imagenet", make_toy_benchmark())


def _sampled(seed=0):
    np.random.seed(seed)
    s = ANBSearchSpace()
    s.sample_random_architecture()
    return s


def test_constructible_without_arguments_and_queryable():
    s = ANBSearchSpace()
    assert s.QUERYABLE and s.get_type() == "anb_mnas" and s.space_name == "anb_mnas"
    assert s.instantiate_model is False and s.load_labeled is False
    with pytest.raises(ConfigError):
        s.get_hash()


def test_clone_is_cheap_and_independent():
    s = _sampled()
    t0 = time.perf_counter()
    clones = [s.clone() for _ in range(200)]
    per = (time.perf_counter() - t0) / 200
    assert per < 5e-3, f"clone took {per * 1e3:.2f} ms"
    clones[0].set_spec(EFFICIENTNET_B0)
    assert s.get_hash() != clones[0].get_hash() and clones[1].get_hash() == s.get_hash()


def test_sampling_follows_numpy_global_seed():
    assert _sampled(3).get_hash() == _sampled(3).get_hash()
    assert _sampled(3).get_hash() != _sampled(4).get_hash()
    assert Arch.from_tuple(_sampled(5).get_hash())  # a member of the space


def test_hash_and_spec_round_trip():
    s = ANBSearchSpace()
    s.set_spec(str(EFFICIENTNET_B0))
    assert s.get_hash() == EFFICIENTNET_B0.to_tuple() and s.arch == EFFICIENTNET_B0
    t = ANBSearchSpace()
    t.set_spec(s.get_spec())
    assert t.get_hash() == s.get_hash() and hash(t.get_hash()) == hash(s.get_hash())


def test_mutate_changes_exactly_one_decision():
    parent = _sampled(1)
    from naslib_anb.space import arch_to_indices

    for i in range(20):
        np.random.seed(i)
        child = ANBSearchSpace()
        child.mutate(parent)
        a, b = arch_to_indices(parent.arch), arch_to_indices(child.arch)
        assert sum(x != y for x, y in zip(a, b)) == 1


def test_neighbourhood_is_the_feasible_one_step_changes_as_module_wrappers():
    from naslib_anb.space import neighbours

    s = _sampled(2)  # 20.85 GiB to train: 5 of its 43 neighbours are too large
    nbhd = s.get_nbhd()
    assert len(nbhd) == len(neighbours(s.arch)) == 38
    hashes = {m.arch.get_hash() for m in nbhd}
    assert len(hashes) == 38 and s.get_hash() not in hashes
    s.feasible_only = False
    assert len({m.arch.get_hash() for m in s.get_nbhd()}) == sum(c - 1 for c in CARDINALITIES) == 43
    import torch

    assert all(isinstance(m, torch.nn.Module) for m in nbhd)


def test_encodings():
    s = _sampled(4)
    one = s.encode(EncodingType.ADJACENCY_ONE_HOT)
    assert one.shape == (71,) and one.dtype == np.float64
    assert np.count_nonzero(one) == 28 and np.linalg.norm(one) == pytest.approx(1.0)
    assert np.array_equal(s.encode("adjacency_one_hot"), one)
    assert np.array_equal(s.encode(EncodingType.PATH), one)
    assert s.encode(EncodingType.COMPACT).shape == (28,)
    assert s.encode(EncodingType.GCN)["num_vertices"] == s.arch.depth + 2  # graph dicts: test_graph_predictors
    with pytest.raises(UnknownChoiceError):
        s.encode("no_such_encoding")


def test_query_metric_table(api):
    s = ANBSearchSpace()
    s.set_spec(EFFICIENTNET_B0)
    val = s.query(Metric.VAL_ACCURACY, "imagenet", dataset_api=api)
    assert type(val) is float
    assert s.query(Metric.TEST_ACCURACY, "imagenet", dataset_api=api) == val  # test_target = val_top1
    assert s.query(Metric.VAL_ACCURACY, "imagenet", epoch=108, dataset_api=api) == val  # RS passes epoch
    assert s.query(Metric.TRAIN_ACCURACY, "imagenet", dataset_api=api) == -1.0
    c = arch_cost(EFFICIENTNET_B0)
    assert s.query(Metric.PARAMETERS, "imagenet", dataset_api=api) == pytest.approx(c.params / 1e6)
    assert s.query(Metric.FLOPS, "imagenet", dataset_api=api) == pytest.approx(c.macs / 1e6)
    assert s.query(Metric.LATENCY, "imagenet", dataset_api=api) == pytest.approx(c.macs / 1e8)
    assert type(s.query(Metric.TRAIN_TIME, "imagenet", dataset_api=api)) is float
    raw = s.query(Metric.RAW, "imagenet", dataset_api=api)
    assert raw["val_top1"] == val and raw["arch"] == str(EFFICIENTNET_B0)
    assert set(s.query(Metric.HP, "imagenet", dataset_api=api)) == {"flops", "params", "latency"}
    for bad in (Metric.TRAIN_LOSS, Metric.VAL_LOSS, Metric.EPOCH, Metric.ALL, Metric.TEST_TIME):
        with pytest.raises(UnknownMetricError):
            s.query(bad, "imagenet", dataset_api=api)
    with pytest.raises(UnknownChoiceError):
        s.query(Metric.VAL_ACCURACY, "cifar10", dataset_api=api)
    with pytest.raises(ConfigError):
        s.query(Metric.VAL_ACCURACY, "imagenet", full_lc=True, dataset_api=api)
    with pytest.raises(ConfigError):
        s.query(Metric.VAL_ACCURACY, "imagenet", dataset_api=None)


def test_latency_option_and_cache():
    api = get_anb_dataset_api("imagenet", make_toy_benchmark(), latency_device="a100",
                              latency_metric="throughput")
    s = ANBSearchSpace()
    s.set_spec(EFFICIENTNET_B0)
    thr = s.query(Metric.LATENCY, "imagenet", dataset_api=api)
    assert thr == pytest.approx(1e12 / arch_cost(EFFICIENTNET_B0).macs)
    n = api["engine"].n_predictions
    s.query(Metric.LATENCY, "imagenet", dataset_api=api)
    assert api["engine"].n_predictions == n  # served from the cache


def test_load_labeled_answers_from_measurements(dataset):
    api = get_anb_dataset_api("imagenet", make_toy_benchmark(), measured=dataset)
    np.random.seed(0)
    measured = {r.arch.to_tuple(): r for r in dataset.unique()}
    for _ in range(5):
        s = ANBSearchSpace()
        s.load_labeled_architecture(dataset_api=api)
        assert s.load_labeled and s.get_hash() in measured
        rec = measured[s.get_hash()]
        assert s.query(Metric.VAL_ACCURACY, "imagenet", dataset_api=api) == pytest.approx(rec.val_top1)
        assert s.query(Metric.TRAIN_TIME, "imagenet", dataset_api=api) == pytest.approx(rec.train_time)
        c = s.clone()
        assert c.load_labeled and c.get_hash() == s.get_hash()
    s2 = ANBSearchSpace()
    s2.sample_random_architecture(dataset_api=api, load_labeled=True)
    assert s2.load_labeled and s2.get_hash() in measured
