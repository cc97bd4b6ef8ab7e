"""The zero-cost study's bookkeeping (sampling, resume, correlations) without NASLib or torch."""
import json

import numpy as np
import pytest

from naslib_anb.errors import ConfigError
from naslib_anb.naslib import zerocost


def test_sample_is_a_seeded_prefix_of_one_permutation(dataset):
    a = zerocost.pick_architectures(dataset, 30, seed=0)
    b = zerocost.pick_architectures(dataset, 10, seed=0)
    assert [r.arch for r in a[:10]] == [r.arch for r in b]  # a shorter study is the start of a longer one
    assert len({r.arch for r in a}) == 30 and all(np.isfinite(r.value("val_top1")) for r in a)
    assert [r.arch for r in zerocost.pick_architectures(dataset, 10, seed=1)] != [r.arch for r in b]
    with pytest.raises(ConfigError):
        zerocost.pick_architectures(dataset, 10**6, seed=0)


def test_resume_ignores_a_torn_last_line(tmp_path):
    p = tmp_path / "scores.jsonl"
    p.write_text(json.dumps({"arch": "a", "scores": {"synflow": 1.0}}) + "\n" + '{"arch": "b", "sco')
    assert list(zerocost._done(p)) == ["a"]


def test_correlations_against_measured_targets(dataset):
    recs = zerocost.pick_architectures(dataset, 40, seed=2)
    records = {str(r.arch): r for r in recs}
    y = np.array([r.value("val_top1") for r in recs])
    rows = [{"arch": str(r.arch), "scores": {"oracle": float(v), "anti": -float(v), "failed": -1e8}}
            for r, v in zip(recs, y)]
    table = zerocost.correlations(rows, records, ["oracle", "anti", "failed"], ["val_top1"])
    assert table["oracle"]["val_top1"]["kendalltau"] == pytest.approx(1.0)
    assert table["anti"]["val_top1"]["spearman"] == pytest.approx(-1.0)
    assert table["failed"]["val_top1"] == {"kendalltau": None, "spearman": None, "n": 0}  # -1e8 = failure
    md = zerocost.markdown(table, ["val_top1"])
    assert "| oracle | 1.00 / 1.00 |" in md and "| failed | - |" in md
    assert "throughput_a100" in zerocost.throughput_targets()


def test_compare_batches_tells_a_data_free_proxy_from_one_that_reads_the_batch(tmp_path):
    rows_a = [{"arch": f"a{i}", "scores": {"synflow": float(i), "snip": float(i)}} for i in range(6)]
    rows_b = [{"arch": f"a{i}", "scores": {"synflow": float(i), "snip": float((i * 7) % 6) + 0.5}}
              for i in range(6)]
    for name, rows in (("a.jsonl", rows_a), ("b.jsonl", rows_b)):
        (tmp_path / name).write_text("".join(json.dumps(r) + "\n" for r in rows))
    moved = zerocost.compare_batches(tmp_path / "a.jsonl", tmp_path / "b.jsonl")
    assert moved["synflow"] == {"n": 6, "identical": 1.0, "kendalltau": pytest.approx(1.0)}
    assert moved["snip"]["identical"] == 0.0 and moved["snip"]["kendalltau"] < 1.0
