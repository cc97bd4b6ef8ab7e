"""NASLib's gcn, bonas, nao and seminas on the ANB graph encodings: PredictorEvaluator and BANANAS/NPENAS."""
import math
import os

import numpy as np
import pytest

from _helpers import CONFIGS, make_toy_benchmark, require_naslib, strict_load

naslib = require_naslib()

from naslib.utils.encodings import EncodingType  # noqa: E402

from naslib_anb.naslib import run  # noqa: E402
from naslib_anb.naslib.dataset_api import get_anb_dataset_api  # noqa: E402
from naslib_anb.naslib.space import ANBSearchSpace  # noqa: E402
from naslib_anb.space import EFFICIENTNET_B0  # noqa: E402

pytestmark = pytest.mark.naslib
GRAPH = ("gcn", "bonas", "nao", "seminas")


def test_space_encodes_every_graph_type():
    s = ANBSearchSpace()
    s.set_spec(EFFICIENTNET_B0)
    for enc in (EncodingType.GCN, EncodingType.BONAS, EncodingType.SEMINAS, "seminas", "gcn"):
        d = s.encode(encoding_type=enc)
        assert {"adjacency", "operations", "val_acc"} <= set(d)


@pytest.mark.parametrize("name", GRAPH)
def test_graph_predictor_in_predictor_evaluator(name, tmp_path):
    api = get_anb_dataset_api("imagenet", make_toy_benchmark())
    cfg = run.load_config(CONFIGS / "predictor_graph.yaml",
                          ["out_dir", str(tmp_path), "predictor", name, "load_labeled", "false",
                           "train_size_list", "[10, 30]", "test_size", "30"])
    res = run.run_predictor_eval(cfg, api)
    assert [r["train_size"] for r in res.rows] == [10, 30]
    for r in res.rows:
        assert math.isfinite(r["kendalltau"]) and math.isfinite(r["spearman"]), (name, r)
    data = strict_load(os.path.join(res.save, "errors.json"))
    assert len(data) == 3 and len(data[-1]["full_testpred"]) == 30


@pytest.mark.parametrize("optimizer,predictor", [("bananas", "gcn"), ("npenas", "bonas"), ("bananas", "nao"),
                                                 ("npenas", "seminas")])
def test_graph_predictor_inside_bananas_and_npenas(optimizer, predictor, tmp_path):
    cfg = run.load_config(CONFIGS / f"{optimizer}.yaml",
                          ["out_dir", str(tmp_path), "search.epochs", "14", "search.num_init", "10",
                           "search.k", "4", "search.num_ensemble", "1", "search.num_candidates", "10",
                           "search.predictor_type", predictor])
    api = run.dataset_api_from_config(cfg, make_toy_benchmark())
    res = run.run_search(cfg, api)
    stats = strict_load(os.path.join(res.save, "errors.json"))[1]
    assert len(stats["valid_acc"]) == 14 and np.all(np.isfinite(stats["valid_acc"]))
    assert res.n_evaluated >= 12  # the predictor-guided epochs proposed new architectures
