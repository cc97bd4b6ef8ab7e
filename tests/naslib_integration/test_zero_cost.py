"""NASLib's zero-cost proxies on the ANB space: networks on request, data, ZeroCost and PredictorEvaluator."""
import math
import os

import numpy as np
import pytest

from _helpers import CONFIGS, make_toy_benchmark, require_naslib, strict_load

naslib = require_naslib()
torch = pytest.importorskip("torch", reason="zero-cost proxies need the train extra (torch, timm)")
pytest.importorskip("timm", reason="zero-cost proxies need the train extra (torch, timm)")

from naslib.predictors.zerocost import ZeroCost  # noqa: E402

from naslib_anb.naslib import predictor_compat, run  # noqa: E402
from naslib_anb.naslib.dataset_api import get_anb_dataset_api, zc_loader  # noqa: E402
from naslib_anb.naslib.registration import register  # noqa: E402
from naslib_anb.naslib.space import ANBSearchSpace  # noqa: E402
from naslib_anb.space import EFFICIENTNET_B0, arch_cost  # noqa: E402

pytestmark = pytest.mark.naslib
SMALL = {"resolution": 32, "batch_size": 8, "synthetic_classes": 2}  # repeated labels for per-class proxies


def test_space_builds_its_network_on_request():
    s = ANBSearchSpace()
    s.set_spec(EFFICIENTNET_B0)
    assert s.model is None and s.num_classes == 1000
    s.parse()
    assert sum(p.numel() for p in s.parameters()) == arch_cost(EFFICIENTNET_B0).params
    x = torch.randn(2, 3, 32, 32)
    assert s(x).shape == (2, 1000) and s.forward_before_global_avg_pool(x).shape[:2] == (2, 1280)
    assert s.get_loss_fn()(s(x), torch.tensor([1, 2])).ndim == 0
    s.set_spec("e1k3l1s0-e6k3l2s0-e6k5l2s0-e6k3l3s0-e6k5l3s0-e6k5l4s0-e6k3l1s0")
    assert s.model is None  # a new architecture drops the old network


def test_synthetic_batch_is_labelled_and_folder_is_read(tmp_path):
    api = get_anb_dataset_api("imagenet", make_toy_benchmark(), zc_data=SMALL)
    loader = zc_loader(api)
    x, y = next(iter(loader))
    assert x.shape == (8, 3, 32, 32) and loader.dataset.synthetic and "SYNTHETIC" in loader.dataset.describe()
    assert zc_loader(api) is loader
    from naslib_anb.training.data import make_image_folder

    root = make_image_folder(tmp_path / "imnet", num_classes=3, train_per_class=4)
    api2 = get_anb_dataset_api("imagenet", make_toy_benchmark(), zc_data={**SMALL, "data_path": str(root)})
    loader2 = zc_loader(api2)
    x2, y2 = next(iter(loader2))
    assert x2.shape == (8, 3, 32, 32) and not loader2.dataset.synthetic and set(y2.tolist()) <= {0, 1, 2}


def test_list_versus_graph_fix_only_where_needed():
    class ListAware:
        def query(self, xtest, info=None):
            return [x.get_loss_fn() for x in xtest]

    assert not predictor_compat.zerocost_needs_list_fix(ListAware)
    register()
    assert hasattr(ZeroCost.query, "__wrapped__")  # NASLib 0b51bc18 has the bug: the fix is installed
    assert predictor_compat.zerocost_needs_list_fix(type("Orig", (), {"query": ZeroCost.query.__wrapped__}))


@pytest.mark.parametrize("proxy", run.ZERO_COST_PROXIES)
def test_every_proxy_runs_through_predictor_evaluator(proxy, tmp_path):
    # synflow_bn keeps BatchNorm on a batch of one: it needs a feature map larger than 1x1 at the end
    data = {**SMALL, "resolution": 64} if proxy == "synflow_bn" else SMALL
    api = get_anb_dataset_api("imagenet", make_toy_benchmark(), zc_data=data)
    cfg = run.load_config(CONFIGS / "predictor_zerocost.yaml",
                          ["out_dir", str(tmp_path), "predictor", proxy, "load_labeled", "false",
                           "test_size", "5", "train_size_single", "2"])
    res = run.run_predictor_eval(cfg, api)
    data = strict_load(os.path.join(res.save, "errors.json"))
    preds = np.asarray(data[-1]["full_testpred"], dtype=float)
    assert preds.shape == (5,) and np.all(np.isfinite(preds)) and np.all(preds != -1e8), (proxy, preds)
    assert len(set(preds.round(9))) > 1, (proxy, preds)  # scores tell architectures apart
    assert res.rows[0]["spearman"] is None or math.isfinite(res.rows[0]["spearman"])
