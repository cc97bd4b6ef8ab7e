"""NASLib's own optimizers (and our REINFORCE) run unchanged through Trainer.search/evaluate (real NASLib)."""
import json
import math
import os

import numpy as np
import pytest

from _helpers import CONFIGS, make_toy_benchmark, real_benchmark, require_naslib, strict_load

naslib = require_naslib()

from naslib_anb.naslib import run  # noqa: E402
from naslib_anb.naslib.dataset_api import get_anb_dataset_api  # noqa: E402

pytestmark = pytest.mark.naslib
FAST_BO = ["search.num_candidates", "20", "search.k", "5"]


def _run(config_name, tmp_path, epochs, benchmark, extra=()):
    cfg = run.load_config(CONFIGS / f"{config_name}.yaml",
                          ["out_dir", str(tmp_path), "search.epochs", str(epochs), *extra])
    api = run.dataset_api_from_config(cfg, benchmark)
    return run.run_search(cfg, api), api


@pytest.mark.parametrize("name", ["rs", "re", "ls", "bananas", "npenas", "reinforce", "bananas_anb"])
def test_optimizer_runs_through_trainer(name, tmp_path):
    epochs = 25
    res, api = _run(name, tmp_path, epochs, make_toy_benchmark(),
                    FAST_BO if name.startswith(("bananas", "npenas")) else ())
    path = os.path.join(res.save, "errors.json")
    config, stats = run.read_errors(path)  # NASLib's lightweight format: [config, stats]
    assert config["search_space"] == "anb_mnas" and config["dataset"] == "imagenet"
    assert set(stats) >= {"train_acc", "valid_acc", "test_acc", "runtime", "train_time"}
    assert len(stats["valid_acc"]) == epochs
    v = np.asarray(stats["valid_acc"])
    assert np.all(np.isfinite(v)) and np.all(np.diff(v) >= 0)  # incumbent curve
    assert stats["train_acc"] == [-1.0] * epochs  # ANB has no train accuracy: NASLib's missing value
    strict_load(path)  # strict JSON: no NaN/Infinity tokens
    assert os.path.exists(os.path.join(res.save, "search", "model_final.pth"))
    # evaluate() returned the incumbent's TEST_ACCURACY (= val_top1 here)
    assert res.test_value == pytest.approx(v[-1])
    assert res.n_evaluated >= epochs - 5  # ~one new query per epoch (LS/BANANAS may revisit)
    with open(os.path.join(res.save, "summary.json")) as f:
        assert json.load(f)["final_arch"] == res.final_arch


def test_same_seed_same_trajectory(tmp_path):
    a, _ = _run("re", tmp_path / "a", 40, make_toy_benchmark())
    b, _ = _run("re", tmp_path / "b", 40, make_toy_benchmark())
    sa = run.read_errors(os.path.join(a.save, "errors.json"))[1]["valid_acc"]
    sb = run.read_errors(os.path.join(b.save, "errors.json"))[1]["valid_acc"]
    assert sa == sb and a.final_arch == b.final_arch
    c, _ = _run("re", tmp_path / "c", 40, make_toy_benchmark(), ["seed", "1"])
    assert c.final_arch != a.final_arch


def test_biobjective_reward_and_pareto_front(tmp_path):
    res, api = _run("re_biobjective", tmp_path, 40, make_toy_benchmark(),
                    ["anb.objective.reference", "3.0"])
    front = res.pareto
    assert front and res.objective["kind"] == "mnas"
    acc = [p["val_top1"] for p in front]
    lat = [p["latency_zcu102"] for p in front]
    assert acc == sorted(acc, reverse=True) and lat == sorted(lat, reverse=True)  # non-dominated
    # the optimised quantity is the reward, not the raw accuracy
    eng = api["engine"]
    spec = next(iter(eng.evaluated))
    r = eng.value(spec, "VAL_ACCURACY")
    assert r == pytest.approx(eng.cache[(spec, "val_top1")] * (eng.cache[(spec, "latency_zcu102")] / 3.0) ** -0.07)


def test_unknown_optimizer_is_named(tmp_path):
    from naslib_anb.errors import UnknownChoiceError

    cfg = run.load_config(CONFIGS / "re.yaml", ["out_dir", str(tmp_path), "optimizer", "darts"])
    with pytest.raises(UnknownChoiceError, match="darts"):
        run.run_search(cfg, get_anb_dataset_api("imagenet", make_toy_benchmark()))


@pytest.fixture(scope="module")
def real_bench():
    return real_benchmark()


@pytest.mark.slow
def test_real_surrogates_re_600_queries(real_bench, tmp_path):
    """600 queries on the shipped surrogates (its speed is a figure for docs/naslib.md, not a test:
    a shared machine's load decides the wall time)."""
    res, api = _run("re", tmp_path, 600, real_bench)
    assert len(run.read_errors(os.path.join(res.save, "errors.json"))[1]["valid_acc"]) == 600
    assert res.n_evaluated >= 400  # distinct archs; RE's one-step mutations revisit some


@pytest.mark.slow
@pytest.mark.parametrize("name", ["rs", "re", "ls", "bananas", "npenas", "reinforce"])
def test_real_surrogates_short_runs(name, real_bench, tmp_path):
    res, _ = _run(name, tmp_path, 30, real_bench, FAST_BO if name in ("bananas", "npenas") else ())
    assert 40.0 < res.test_value < 90.0  # ImageNet top-1 (%) of the p* proxy
