"""NASLib's PredictorEvaluator scores NASLib's and our predictors on the ANB space (real NASLib)."""
import json
import math
import os

import pytest

from _helpers import CONFIGS, make_toy_benchmark, require_naslib

naslib = require_naslib()

from naslib_anb.naslib import run  # noqa: E402
from naslib_anb.naslib.dataset_api import get_anb_dataset_api  # noqa: E402

pytestmark = pytest.mark.naslib


def _eval(name, tmp_path, sizes="[20, 50, 100]", test_size="60", benchmark=None, extra=()):
    api = get_anb_dataset_api("imagenet", benchmark or make_toy_benchmark(), **dict(extra))
    cfg = run.load_config(CONFIGS / f"predictor_{name}.yaml",
                          ["out_dir", str(tmp_path), "train_size_list", sizes, "test_size", test_size])
    return run.run_predictor_eval(cfg, api), cfg


@pytest.mark.parametrize("name", ["xgb", "lgb", "gp", "anb"])
def test_predictor_evaluator_gives_finite_rank_correlations(name, tmp_path):
    res, cfg = _eval(name, tmp_path)
    assert [r["train_size"] for r in res.rows] == [20, 50, 100]
    for r in res.rows:
        assert math.isfinite(r["kendalltau"]) and math.isfinite(r["spearman"]), r
    assert res.rows[-1]["spearman"] > 0.3  # learns the toy objective
    with open(os.path.join(res.save, "errors.json")) as f:
        data = json.load(f)  # NASLib's own format: [config, result per train size]
    assert len(data) == 4 and data[0]["predictor"] == cfg.predictor


def test_load_labeled_scores_against_measurements(dataset, tmp_path):
    """With load_labeled=True the test labels are the measured val_top1, not the surrogate."""
    api = get_anb_dataset_api("imagenet", make_toy_benchmark(), measured=dataset)
    cfg = run.load_config(CONFIGS / "predictor_xgb.yaml",
                          ["out_dir", str(tmp_path), "train_size_list", "[20, 100]", "test_size", "50",
                           "load_labeled", "true"])
    res = run.run_predictor_eval(cfg, api)
    assert res.load_labeled
    with open(os.path.join(res.save, "errors.json")) as f:
        ytest = json.load(f)[1]["full_ytest"]
    measured = {round(r.val_top1, 6) for r in dataset.unique()}
    assert all(round(y, 6) in measured for y in ytest)
    assert all(math.isfinite(r["spearman"]) for r in res.rows)
