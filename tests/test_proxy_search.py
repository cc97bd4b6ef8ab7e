"""Proxy-recipe search: reference-set selection, the tau bound, and a two-point grid on Ray Tune (CPU)."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from naslib_anb.errors import ConfigError
from naslib_anb.training.proxy_search import (ProxyGrid, ProxyStopper, kendall_tau, select_reference_set,
                                              tau_upper_bound)

REPO = Path(__file__).resolve().parents[1]


def test_grid_candidates_are_the_valid_product():
    g = ProxyGrid(batch_size=(256,), epochs=(8, 16), start_ramp=(5, 11), end_ramp=(7, 13), min_res=(160,),
                  max_res=(192,))
    c = g.candidates()
    assert {"batch_size": 256, "epochs": 16, "start_ramp": 11, "end_ramp": 13, "min_res": 160, "max_res": 192} in c
    assert all(x["start_ramp"] <= x["end_ramp"] <= x["epochs"] for x in c) and len(c) == 1 + 3
    with pytest.raises(ConfigError, match="no valid candidate"):
        ProxyGrid(start_ramp=(9,), end_ramp=(3,)).candidates()
    with pytest.raises(ConfigError, match="lr"):
        ProxyGrid.from_dict({"lr": [1]})


def test_tau_upper_bound_is_never_beaten():
    """No completion of a prefix reaches more than the bound; with no prefix the bound is 1."""
    rng = np.random.default_rng(0)
    for _ in range(200):
        n = int(rng.integers(3, 8))
        ref = rng.integers(0, 4, n).astype(float) if rng.random() < 0.5 else rng.normal(size=n)
        k = int(rng.integers(0, n + 1))
        full = rng.integers(0, 3, n).astype(float) if rng.random() < 0.5 else rng.normal(size=n)
        b = tau_upper_bound(full[:k], ref)
        for _ in range(20):
            comp = np.concatenate([full[:k], rng.normal(size=n - k)])
            assert kendall_tau(comp, ref) <= b + 1e-12
        if k == n:
            assert b == pytest.approx(kendall_tau(full, ref)) or len(set(full)) < n
    assert tau_upper_bound([], [1.0, 2.0, 3.0]) == 1.0
    assert tau_upper_bound([3.0, 2.0], [1.0, 2.0, 3.0]) == pytest.approx(1 / 3)


def test_stopper_logic():
    s = ProxyStopper(t_spec=1.0, tau_target=0.9, min_models=2)
    assert s("a", {"complete": True, "tau": 0.5, "mean_gpu_h": 0.5}) and s.best == 0.5 and not s.stop_all()
    assert s("b", {"complete": False, "models_done": 2, "tau_upper": 0.4, "time_lower_gpu_h": 0.1})
    assert not s("c", {"complete": False, "models_done": 2, "tau_upper": 0.6, "time_lower_gpu_h": 0.1})
    assert s("d", {"complete": False, "models_done": 1, "tau_upper": 1.0, "time_lower_gpu_h": 2.0})
    assert s.stopped_early == {"b": "tau", "d": "time"}
    s("e", {"complete": True, "tau": 0.95, "mean_gpu_h": 0.9})
    assert s.stop_all()


def test_reference_set_spreads_over_macs_and_params(dataset):
    """20 models from the real data cover the MACs/params range far better than 20 random ones."""
    recs = dataset.unique()
    macs = np.array([r.macs_m for r in recs])
    params = np.array([r.params_m for r in recs])
    idx = select_reference_set(macs, params, 20, seed=0)
    assert len(set(idx)) == 20
    assert idx == select_reference_set(macs, params, 20, seed=0)
    span = lambda v: (v.max() - v.min())  # noqa: E731
    assert span(macs[idx]) > 0.9 * span(macs) and span(params[idx]) > 0.9 * span(params)
    z = np.column_stack([(macs - macs.min()) / span(macs), (params - params.min()) / span(params)])

    def min_gap(ix):
        d = np.linalg.norm(z[ix][:, None] - z[ix][None], axis=-1)
        return d[np.triu_indices(len(ix), 1)].min()

    rand = [min_gap(np.random.default_rng(s).choice(len(z), 20, replace=False)) for s in range(20)]
    assert min_gap(idx) > max(rand)  # evenly spread: no two chosen models are close


@pytest.mark.slow
def test_two_point_grid_on_ray_tune(tmp_path):  # 25-45 s on 2 cores, most of it Ray start-up
    """Two candidate recipes, three tiny models each, on a local Ray instance: a winner is chosen."""
    pytest.importorskip("torch")
    pytest.importorskip("ray")
    from naslib_anb.space import arch_cost, sample
    from naslib_anb.training import load_config, make_image_folder
    from naslib_anb.training.proxy_search import ProxySearchSpec, run_proxy_search

    root = make_image_folder(tmp_path / "imgs", num_classes=4, train_per_class=8, val_per_class=4)
    archs = [str(a) for a in sample(5, 3)]
    ref = [arch_cost(a).params_m for a in sample(5, 3)]  # stand-in reference accuracies
    base = load_config(REPO / "configs/train/tiny_cpu.yaml", {"data_dir": str(root), "val_last_epochs": 1})
    grid = ProxyGrid(batch_size=(8,), epochs=(1, 2), start_ramp=(0,), end_ramp=(1,), min_res=(32,), max_res=(48,))
    spec = ProxySearchSpec(base.to_dict(), archs, ref, str(tmp_path / "out"), t_spec_gpu_h=1.0, tau_target=1.01)
    summary = run_proxy_search(spec, grid, cpus_per_trial=1, num_cpus=2)
    assert len(summary["trials"]) == 2 and all(t["error"] is None for t in summary["trials"])
    assert summary["best"] is not None and summary["best"]["complete"]
    from scipy.stats import kendalltau

    for t in summary["trials"]:  # each reported tau is the tau of the models that trial really trained
        acc = [json.loads((tmp_path / "out" / t["candidate"] / f"model_{i:03d}" / "result.json").read_text())
               ["metrics"]["val_top1"] for i in range(3)]
        want = kendalltau(acc, ref).statistic
        assert t["tau"] == pytest.approx(want if np.isfinite(want) else 0.0)
    feasible = [t for t in summary["trials"] if t["complete"] and t["mean_gpu_h"] <= 1.0]
    top = max(t["tau"] for t in feasible)
    assert summary["best"]["tau"] == top and summary["best"]["candidate"] in {
        t["candidate"] for t in feasible if t["tau"] == top}
    on_disk = json.loads((tmp_path / "out" / "proxy_search.json").read_text())
    assert on_disk["best"]["candidate"] == summary["best"]["candidate"]


def test_trial_drops_a_memory_skipped_model(monkeypatch):
    """A reference model skipped by the memory filter leaves this candidate's tau (and its time) out."""
    pytest.importorskip("ray")
    from ray import tune

    from naslib_anb.training import TrainConfig, proxy_search

    reports = []
    monkeypatch.setattr(tune, "report", lambda m: reports.append(m))
    accs = {"a": 70.0, "b": None, "c": 60.0, "d": 65.0}  # b: skipped for memory
    monkeypatch.setattr(proxy_search, "train_one",
                        lambda cfg, arch, out, nproc: None if accs[arch] is None else (accs[arch], 0.5))
    spec = proxy_search.ProxySearchSpec(TrainConfig(val_last_epochs=1).to_dict(), list(accs), [3.0, 1.0, 1.0, 2.0], "unused")
    cand = {"batch_size": 8, "epochs": 2, "start_ramp": 0, "end_ramp": 1, "min_res": 32, "max_res": 48}
    proxy_search.proxy_trial({"spec": proxy_search.asdict(spec), "candidate": cand})
    last = reports[-1]
    assert last["complete"] and last["skipped"] == ["b"] and last["models_trained"] == 3
    assert last["tau"] == pytest.approx(1.0)  # 70 > 65 > 60 against 3 > 2 > 1: the skipped model is gone
    assert last["mean_gpu_h"] == pytest.approx(0.5)
    assert reports[1]["time_lower_gpu_h"] == pytest.approx(0.5 / 3)  # 3 models can still count


def test_kendall_tau_nan_policy():
    """One tau for training and profiling: non-finite pairs dropped, < 2 pairs NaN, a constant side 0."""
    import math

    from naslib_anb.profiling.analysis import kendall_tau as ktp

    assert ktp is kendall_tau
    assert kendall_tau([1.0, float("nan"), 3.0, 2.0], [1.0, 5.0, 3.0, 2.0]) == pytest.approx(1.0)
    assert math.isnan(kendall_tau([1.0], [2.0])) and math.isnan(kendall_tau([1.0, np.inf], [1.0, 2.0]))
    assert kendall_tau([5.0, 5.0, 5.0], [1.0, 2.0, 3.0]) == 0.0


def test_bad_t_spec_and_trial_resources_are_refused_with_one_line(tmp_path, capsys):
    """--t-spec -1 would make every trial fail; more CPUs per trial than the cluster has would wait
    forever (the old default of 4 on a 2-core machine): both are refused up front."""
    from naslib_anb.training.proxy_search import ProxySearchSpec, check_trial_resources

    for bad in (-1.0, 0.0, float("nan")):
        with pytest.raises(ConfigError, match="t_spec .*valid: a number > 0"):
            ProxySearchSpec({}, ["a", "b"], [1.0, 2.0], str(tmp_path), t_spec_gpu_h=bad)
    with pytest.raises(ConfigError, match=r"cpus_per_trial is 4 but the Ray cluster has 2 CPUs.*valid: at most 2"):
        check_trial_resources(4, 0, {"CPU": 2.0})
    with pytest.raises(ConfigError, match="gpus_per_trial is 1 but the Ray cluster has 0 GPUs"):
        check_trial_resources(1, 1, {"CPU": 2.0})
    check_trial_resources(2, 0, {"CPU": 2.0})  # fits: no error
    from _scripts import load_script

    runner = load_script("runners/proxy_search.py")
    assert runner.main(["--reference-dir", str(tmp_path), "--out", "/proc/no/such/dir"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "not a writable directory" in err[0]
