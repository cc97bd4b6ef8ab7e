"""The benchmark scripts behind the monotonicity, std-distance and error-distance figures in docs/surrogates.md run."""
from __future__ import annotations

import pytest
from _scripts import load_script


@pytest.mark.slow
def test_bench_monotone_shows_the_shipped_correction_and_what_it_replaced(anb_data_path, capsys):
    mod = load_script("benchmarks/bench_monotone.py")
    res = mod.measure(["throughput_tpuv2"], pairs=3000, data=str(anb_data_path))["throughput_tpuv2"]
    assert set(res) == set(mod.VARIANTS) - {"envelope"}  # stage pairs: no envelope
    assert res["monotone"]["not_faster"] == 1.0  # the shipped TPUv2 model is monotone
    assert res["as fitted"]["not_faster"] < 0.99  # the members as fitted were not
    assert res["monotone"]["oof_kendall_tau"] >= res["as fitted"]["oof_kendall_tau"] - 0.002
    assert mod.main(["--targets", "throughput_tpuv2", "--pairs", "500", "--data", str(anb_data_path)]) == 0
    assert "main effects only" in capsys.readouterr().out


@pytest.mark.slow
def test_bench_monotone_shows_the_tpuv3_envelope_against_the_table_correction(anb_data_path):
    mod = load_script("benchmarks/bench_monotone.py")
    res = mod.measure(["throughput_tpuv3"], pairs=2000, data=str(anb_data_path))["throughput_tpuv3"]
    assert set(res) == set(mod.VARIANTS)
    assert res["envelope"]["not_faster"] == 1.0 == res["monotone"]["not_faster"]
    assert res["as fitted"]["not_faster"] < 0.95
    # on held-out folds the envelope costs the star model nothing; the table correction costs it R2
    assert res["envelope"]["oof_r2"] >= res["as fitted"]["oof_r2"] - 0.001
    assert res["envelope"]["oof_r2"] > res["monotone"]["oof_r2"]


@pytest.mark.slow
def test_bench_star_shows_stage_0_interactions_and_the_envelope(anb_data_path, capsys):
    mod = load_script("benchmarks/bench_star.py")
    res = mod.measure("throughput_tpuv3", family="xgb", members=2, pairs=1500, data=str(anb_data_path))
    ranges = res["ranges"]
    assert len(ranges) == 21
    # the strongest interactions of the all-pairs model involve stage 0
    top = sorted(ranges, key=ranges.get, reverse=True)[:3]
    assert all(0 in g for g in top), top
    rows = res["rows"]
    assert set(rows["pair"]) == {"as fitted", "table correction"}  # no envelope for all pairs
    assert set(rows["star0"]) == set(mod.METHODS)
    assert rows["star0"]["envelope"]["not_faster"] == 1.0 == rows["star0"]["table correction"]["not_faster"]
    assert rows["star0"]["as fitted"]["not_faster"] < 0.99
    assert mod.main(["--family", "xgb", "--members", "2", "--pairs", "300", "--data", str(anb_data_path)]) == 0
    assert "star0" in capsys.readouterr().out


@pytest.mark.slow
def test_bench_honesty_reports_the_bars_and_the_spearman_ceiling(anb_data_path, capsys):
    mod = load_script("benchmarks/bench_honesty.py")
    res = mod.measure(samples=3000, pairs=3000, spearman_samples=1500, data=str(anb_data_path))
    assert len(res) == 11
    for t, r in res.items():
        assert r["in_range"] and r["coverage_met"], t
        # no distance slope ranks the uniform samples by distance better than an infinite one
        assert r["spearman_ceiling"] >= r["spearman_std_distance"] - 0.02, t
        assert -1 <= r["spearman_fitted_space"] <= 1
    # among samples predicted equally fast the TPUv3's std follows the distance; across values the throughput hides it
    assert res["throughput_tpuv3"]["spearman_at_equal_value"] > 0.5 > res["throughput_tpuv3"]["spearman_std_distance"]
    assert all(r["fast_coverage_met"] for t, r in res.items() if t.startswith("throughput_")), res
    # the latencies are fitted as they are: the same figure either way
    assert res["latency_zcu102"]["spearman_fitted_space"] == pytest.approx(res["latency_zcu102"]["spearman_std_distance"])
    assert res["throughput_a100"]["gpu_cap_met"] and res["throughput_tpuv3"]["monotone_share"] == 1.0
    assert mod.main(["--samples", "500", "--pairs", "500", "--spearman-samples", "500",
                     "--data", str(anb_data_path)]) == 0
    assert "ceiling" in capsys.readouterr().out


@pytest.mark.slow
def test_bench_std_distance_refits_on_cut_training_sets(anb_data_path):
    mod = load_script("benchmarks/bench_std_distance.py")
    res = mod.measure(["throughput_vck190"], fraction=0.3, samples=500, data=str(anb_data_path))["throughput_vck190"]
    splits = res["splits"]
    assert set(splits) == {"upstream", "fold0", "upstream@0.3", "fold0@0.3"}
    # the same held-out records are further from a training set cut to 30 %
    assert splits["upstream@0.3"]["median_distance"] > splits["upstream"]["median_distance"]
    for label in ("full", "pooled"):
        assert res[label]["distance_slope"] >= 0 and -1 <= res[label]["spearman"] <= 1


def test_bench_std_distance_rejects_a_bad_fraction():
    from naslib_anb.errors import ConfigError

    with pytest.raises(ConfigError, match="fraction"):
        load_script("benchmarks/bench_std_distance.py").main(["--fraction", "1.5"])


@pytest.mark.slow
def test_bench_error_distance_holds_out_behind_a_buffer(anb_data_path, capsys):
    mod = load_script("benchmarks/bench_error_distance.py")
    res = mod.measure(["throughput_zcu102"], radii=(10,), reps=1, held_out=20, members=2,
                      data=str(anb_data_path))["throughput_zcu102"]
    arms = res["arms"]
    assert list(arms) == ["buffer 1", "buffer 10", "random n"]
    # the buffer puts every held-out record at least 10 decisions from the training data ...
    assert arms["buffer 10"]["median_distance"] >= 10 > arms["buffer 1"]["median_distance"]
    # ... and the control refits on as many records, drawn without the buffer
    assert arms["random n"]["n_train"] == arms["buffer 10"]["n_train"] < arms["buffer 1"]["n_train"]
    assert arms["buffer 1"]["ratio"] == 1.0 and all(a["rms"] > 0 for a in arms.values())
    assert -1 <= res["spearman_error_distance"] <= 1
    assert mod.main(["--targets", "throughput_zcu102", "--radii", "10", "--reps", "1", "--held-out", "10",
                     "--members", "2", "--data", str(anb_data_path)]) == 0
    out = capsys.readouterr().out
    assert "buffer 10" in out and "random n" in out and "Spearman" in out


@pytest.mark.parametrize("argv, match", [(["--radii", "1"], "radii"), (["--radii", "ten"], "radii"),
                                          (["--reps", "0"], "reps"),
                                          (["--targets", "throughput_zcu102", "--held-out", "5000"], "held-out.*5000")])
def test_bench_error_distance_rejects_bad_arguments(argv, match, anb_data_path):
    from naslib_anb.errors import ConfigError

    with pytest.raises(ConfigError, match=match):
        load_script("benchmarks/bench_error_distance.py").main([*argv, "--data", str(anb_data_path)])


@pytest.mark.slow
def test_bench_latency_transform_picks_a_monotone_stage_model_on_validation(anb_data_path, capsys):
    mod = load_script("benchmarks/bench_latency_transform.py")
    res = mod.measure(ps=(4.0,), ceilings=(4600.0,), qs=(1.0, 0.8), members=2, pairs=2000, heldout=False,
                      data=str(anb_data_path))
    # the DPU's time per image follows its latency to a power above 1
    assert res["curve"]["n"] > 4000 and res["curve"]["loglog_slope"] > 1.05 and res["curve"]["isotonic_r2"] > 0.99
    grid = res["grid"]
    assert set(grid) == {*mod.BEFORE, "satinv4@4600pow1", "satinv4@4600pow0.8"}
    assert res["pick"] in ("satinv4@4600pow1", "satinv4@4600pow0.8")
    assert grid["inv, pair (before)"]["not_faster"] < 0.99  # the stage-pair model was not monotone ...
    assert grid[res["pick"]]["not_faster"] == 1.0  # ... a stage-additive one with the correction is
    assert grid[res["pick"]]["r2"] > grid["inv, stage, monotone"]["r2"]  # and the power of the time is what helps
    assert mod.main(["--p", "4", "--ceilings", "4600", "--q", "0.8", "--members", "1", "--pairs", "500",
                     "--no-heldout", "--data", str(anb_data_path)]) == 0
    assert "<- pick" in capsys.readouterr().out


@pytest.mark.slow
def test_bench_latency_transform_compares_held_out_folds_and_the_latency_curve_off_the_data(anb_data_path, capsys):
    mod = load_script("benchmarks/bench_latency_transform.py")
    res = mod.measure(ps=(4.0,), ceilings=(4600.0,), qs=(0.8,), members=2, pairs=1000, samples=2000,
                      data=str(anb_data_path))
    assert set(res["heldout"]) == {"inv, pair (before)", "satinv4@4600pow0.8"}
    assert res["heldout"]["satinv4@4600pow0.8"]["not_faster"] == 1.0
    off = res["off_data"]
    # the measurements themselves sit within a few % of the latency curve; both models near it too
    assert 0 < off["test_scatter_median"] < 0.03 and 1500 < off["b0_implied"] < 3000
    for label in res["heldout"]:
        assert 0 < off[label]["median"] < 0.05 and off[label]["median"] <= off[label]["p95"]
    assert mod.main(["--p", "4", "--ceilings", "4600", "--q", "0.8", "--members", "1", "--pairs", "500",
                     "--samples", "300", "--data", str(anb_data_path)]) == 0
    out = capsys.readouterr().out
    assert "off the data" in out and "measured test records" in out


@pytest.mark.parametrize("argv, match", [(["--q", "0"], "--q"), (["--ceilings", "x"], "--ceilings"),
                                          (["--members", "10"], "--members"), (["--samples", "0"], "--samples")])
def test_bench_latency_transform_rejects_bad_arguments(argv, match):
    from naslib_anb.errors import ConfigError

    with pytest.raises(ConfigError, match=match):
        load_script("benchmarks/bench_latency_transform.py").main(argv)
