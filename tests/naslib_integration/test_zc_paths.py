"""NASLib's zero-cost-aware paths on ANB: run with scores computed on demand, or stop with one line.

- ``ZeroCostPredictorEvaluator`` (``use_zc_api`` false) and BANANAS/NPENAS with ``search.zc`` /
  ``search.zc_ensemble`` run: NASLib's ``get_train_val_loaders`` gives them the config's
  ``anb.zc_data`` batch, and the kind of data is recorded in the config they write out;
- ``get_zc_benchmark_api`` / the zc ensemble (precomputed ``zc_anb_mnas.json``) stop with one line;
- ``encode_spec(..., ss_type="anb_mnas")`` answers with the space's encodings;
- learning-curve metrics stop with "ANB has no learning curves".
"""
import os

import numpy as np
import pytest
import yaml

from _helpers import CONFIGS, make_toy_benchmark, require_naslib, strict_load

require_naslib()

from naslib_anb.errors import ConfigError, UnknownMetricError  # noqa: E402
from naslib_anb.naslib import run  # noqa: E402
from naslib_anb.naslib.registration import NO_ZC_BENCHMARK, register  # noqa: E402

pytestmark = pytest.mark.naslib

ZC_DATA = {"resolution": 64, "batch_size": 4, "seed": 1}


@pytest.fixture(autouse=True)
def registered():
    register()


def test_encode_spec_answers_with_the_space_encodings():
    from naslib.predictors.utils.encodings import encode_spec
    from naslib.utils.encodings import EncodingType

    from naslib_anb.naslib.space import ANBSearchSpace

    s = ANBSearchSpace()
    s.set_spec((4, 3, 2, 0) * 7)
    for et in (EncodingType.ADJACENCY_ONE_HOT, EncodingType.PATH, EncodingType.COMPACT):
        assert np.array_equal(encode_spec(s.get_hash(), encoding_type=et, ss_type="anb_mnas"), s.encode(et))
    as_text = encode_spec(str(s.get_hash()), encoding_type=EncodingType.ADJACENCY_ONE_HOT, ss_type="anb_mnas")
    assert np.array_equal(as_text, s.encode(EncodingType.ADJACENCY_ONE_HOT)) and len(as_text) == 71
    assert set(encode_spec(s.get_hash(), encoding_type=EncodingType.GCN, ss_type="anb_mnas")) >= {"adjacency"}


def test_zc_benchmark_api_and_zc_ensemble_stop_with_one_line():
    from naslib.evaluators.zc_ensemble_evaluator import ZCEnsembleEvaluator
    from naslib.utils import get_zc_benchmark_api

    from naslib_anb.naslib.space import ANBSearchSpace

    with pytest.raises(ConfigError) as err:
        get_zc_benchmark_api("anb_mnas", "imagenet")
    assert str(err.value) == NO_ZC_BENCHMARK and "\n" not in NO_ZC_BENCHMARK and "ANB has no" in NO_ZC_BENCHMARK
    ev = ZCEnsembleEvaluator(n_train=5, n_test=5, zc_names=["params"])
    with pytest.raises(ConfigError, match="ANB has no precomputed zero-cost benchmark"):
        ev.adapt_search_space(ANBSearchSpace(), "imagenet", {}, {})


@pytest.mark.parametrize("metric", ["TRAIN_LOSS", "VAL_LOSS", "ALL", "EPOCH"])
def test_learning_curve_metrics_say_anb_has_none(metric):
    from naslib.search_spaces.core.query_metrics import Metric

    from naslib_anb.naslib.dataset_api import get_anb_dataset_api
    from naslib_anb.naslib.space import ANBSearchSpace

    api = get_anb_dataset_api("imagenet", make_toy_benchmark())
    s = ANBSearchSpace()
    s.set_spec((4, 3, 2, 0) * 7)
    with pytest.raises(UnknownMetricError) as err:
        s.query(getattr(Metric, metric), "imagenet", dataset_api=api)
    assert "ANB has no learning curves" in str(err.value) and "\n" not in str(err.value)


def _search(tmp_path, name, overrides):
    cfg = run.load_config(CONFIGS / f"{name}.yaml", ["out_dir", str(tmp_path), "anb.zc_data", ZC_DATA,
                                                     *overrides])
    return run.run_search(cfg, run.dataset_api_from_config(cfg, make_toy_benchmark())), cfg


ZC_SEARCH = ["search.zc_names", "[params, flops, synflow]", "search.zc_only", "false", "search.epochs", "6",
             "search.num_init", "3", "search.k", "2", "search.num_candidates", "4",
             "search.num_arches_to_mutate", "1", "search.num_ensemble", "1"]


def test_bananas_with_zero_cost_features_runs(tmp_path):
    res, cfg = _search(tmp_path, "bananas_zc", ZC_SEARCH)
    assert cfg.search.zc is True and cfg.search.use_zc_api is False
    config, stats = strict_load(os.path.join(res.save, "errors.json"))
    assert len(stats["valid_acc"]) == 6
    zc = config["anb_resolved"]["zc_data"]
    assert (zc["kind"], zc["resolution"], zc["batch_size"], zc["seed"]) == ("SYNTHETIC", 64, 4, 1)


def test_npenas_zero_cost_ensemble_stops_with_one_line_where_naslib_cannot_run_it(tmp_path):
    from naslib.optimizers import Npenas

    from naslib_anb.naslib.registration import npenas_zc_is_broken

    if not npenas_zc_is_broken(Npenas):
        res, _ = _search(tmp_path, "npenas", ["search.zc_ensemble", "true", *ZC_SEARCH])
        assert len(strict_load(os.path.join(res.save, "errors.json"))[1]["valid_acc"]) == 6
        return
    with pytest.raises(ConfigError) as err:
        _search(tmp_path, "npenas", ["search.zc_ensemble", "true", *ZC_SEARCH])
    assert "query_zc_scores" in str(err.value) and "\n" not in str(err.value)


def test_zero_cost_predictor_evaluator_runs_and_records_its_data(tmp_path, anb_data_path):
    """NASLib's ZeroCostPredictorEvaluator, read and run as NASLib's zc runner does, scores on demand."""
    from naslib.evaluators.zc_evaluator import ZeroCostPredictorEvaluator
    from naslib.predictors import ZeroCost
    from naslib.search_spaces import get_search_space
    from naslib.utils import default_argument_parser, get_config_from_args, get_dataset_api

    data = str(anb_data_path)
    cfg = {"config_type": "zc", "search_space": "anb_mnas", "dataset": "imagenet", "predictor": "synflow",
           "test_size": 6, "out_dir": str(tmp_path), "seed": 0, "search": {"seed": 0},
           "anb": {"data_path": data, "zc_data": ZC_DATA}}
    (tmp_path / "zc.yaml").write_text(yaml.safe_dump(cfg))
    config = get_config_from_args(default_argument_parser().parse_args(["--config-file", str(tmp_path / "zc.yaml")]),
                                  config_type="zc")
    from naslib_anb.naslib.dataset_api import _BENCHMARK_CACHE

    _BENCHMARK_CACHE.setdefault("default", make_toy_benchmark())
    api = get_dataset_api(config.search_space, config.dataset)
    ev = ZeroCostPredictorEvaluator(ZeroCost(method_type="synflow"), config=config, use_zc_api=False)
    ev.adapt_search_space(get_search_space(config.search_space, config.dataset), dataset_api=api,
                          load_labeled=True)
    results = ev.evaluate(zc_api=None)
    assert np.isfinite(results[1]["kendalltau"]) and len(results[1]["full_ytest"]) == 6
    written = strict_load(os.path.join(config.save, "scores.json"))
    zc = written[0]["anb_resolved"]["zc_data"]
    assert zc["kind"] == "SYNTHETIC" and zc["resolution"] == 64 and "SYNTHETIC" in zc["description"]


def test_use_zc_api_stops_with_one_line_before_any_search(tmp_path):
    with pytest.raises(ConfigError) as err:
        _search(tmp_path, "bananas_zc", ["search.use_zc_api", "true", *ZC_SEARCH])
    assert str(err.value) == NO_ZC_BENCHMARK
