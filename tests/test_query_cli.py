"""``naslib-anb query`` / ``evaluate`` / ``fit`` command lines."""
from __future__ import annotations

import json

import pytest

from naslib_anb.cli.main import main
from naslib_anb.space import EFFICIENTNET_B0

B0 = str(EFFICIENTNET_B0)


def test_query_json(capsys):
    assert main(["query", B0, "--json", "--std"]) == 0
    out = json.loads(capsys.readouterr().out)
    row = out["results"][0]
    assert row["arch"] == B0 and len(out["units"]) == 11 and "val_top1_std" in row


def test_query_json_says_where_each_architecture_stands(capsys):
    from naslib_anb.space import arch_cost, arch_from_indices, measured_codes

    measured = str(arch_from_indices(measured_codes()[0]))
    huge = "e6k5l3s1-e6k5l3s1-e6k5l3s1-e6k5l3s1-e6k5l3s1-e6k5l4s1-e6k5l3s1"
    assert main(["query", B0, measured, huge, "--target", "val_top1", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    b0, meas, big = out["results"]
    assert b0["params_m"] == pytest.approx(5.288548) and b0["macs_m"] == pytest.approx(arch_cost(EFFICIENTNET_B0).macs_m)
    assert b0["feasible"] is True and 11.0 < b0["train_memory_gib"] < 12.0 and b0["nearest_measured"] > 0
    assert meas["nearest_measured"] == 0 and meas["feasible"] is True
    assert big["feasible"] is False and big["train_memory_gib"] > 30 and big["macs_m"] > 900
    assert set(out["support_units"]) == {"params_m", "macs_m", "train_memory_gib", "nearest_measured"}
    assert list(out["units"]) == ["val_top1"]


def test_query_device_metric(capsys):
    assert main(["query", B0, json.dumps(EFFICIENTNET_B0.to_dict()), "--device", "vck190",
                 "--metric", "latency", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert list(out["units"]) == ["latency_vck190"] and len(out["results"]) == 2
    assert out["results"][0]["latency_vck190"] == out["results"][1]["latency_vck190"]


def test_query_errors_exit_2(capsys):
    assert main(["query", B0, "--device", "a100", "--metric", "latency"]) == 2
    err = capsys.readouterr().err
    assert "zcu102/latency" in err
    assert main(["query", "not-an-arch"]) == 2


def test_evaluate_json_matches_manifest(capsys, anb_data_path):
    from naslib_anb.surrogates import default_model_dir, read_manifest

    assert main(["evaluate", "--json", "--data", str(anb_data_path), "--targets", "val_top1",
                 "throughput_a100"]) == 0
    out = json.loads(capsys.readouterr().out)["targets"]
    man = read_manifest(default_model_dir())["metrics"]
    for t in out:
        for k in ("r2", "kendall_tau", "spearman", "mae"):
            assert out[t]["ensemble"][k] == pytest.approx(man[t]["ensemble"][k], abs=1e-6)
            assert out[t]["single"][k] == pytest.approx(man[t]["single"][k], abs=1e-6)


@pytest.mark.slow
def test_fit_cli_small(tmp_path, anb_data_path, capsys, monkeypatch):
    out = tmp_path / "models"
    args = ["fit", "--out", str(out), "--targets", "latency_zcu102", "--members", "2", "--folds", "3",
            "--data", str(anb_data_path)]
    import naslib_anb.surrogates._registry as reg

    monkeypatch.setitem(reg._ANB_XGB_COMMON, "n_estimators", 40)
    assert main(args) == 0
    capsys.readouterr()
    assert (out / "manifest.json").exists()
    assert main(args) == 2  # refuses to overwrite
    assert "--force" in capsys.readouterr().err
    assert main(["query", B0, "--models", str(out), "--target", "latency_zcu102", "--json"]) == 0


@pytest.mark.slow
def test_evaluate_refuses_a_model_set_fitted_on_the_test_split(tmp_path, anb_data_path, capsys, monkeypatch):
    import naslib_anb.surrogates._registry as reg

    monkeypatch.setitem(reg._ANB_XGB_COMMON, "n_estimators", 20)
    out = tmp_path / "all"
    assert main(["fit", "--out", str(out), "--targets", "latency_zcu102", "--members", "2", "--folds", "2",
                 "--split", "all", "--data", str(anb_data_path)]) == 0
    capsys.readouterr()
    assert main(["evaluate", "--models", str(out), "--data", str(anb_data_path)]) == 2
    assert "in-sample" in capsys.readouterr().err
