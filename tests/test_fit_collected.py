"""`fit --collected`: collected records join the training part, repeats averaged, test architectures left out."""
import dataclasses
import json
import math

import pytest

from naslib_anb.cli.main import main
from naslib_anb.data.records import Measurement, Record
from naslib_anb.errors import ConfigError
from naslib_anb.space import EFFICIENTNET_B0, sample
from naslib_anb.surrogates._collected import average_records, load_collected, merge_collected


def _rec(name, arch, top1, a100=None, **kw):
    perf = {"throughput_a100": Measurement(a100, None if a100 is None else 1.0)}
    return Record(name=name, arch=arch, val_top1=top1, val_top5=top1 + 20, train_time=100.0, macs_m=400.0,
                  params_m=5.0, perf=perf, **kw)


def _write(directory, records):
    directory.mkdir(parents=True, exist_ok=True)
    for r in records:
        (directory / f"result_{r.arch}.json").write_text(json.dumps(r.to_json()))


def test_average_records_means_each_target_over_the_records_that_have_it():
    a = _rec("result_1", EFFICIENTNET_B0, 70.0, a100=1000.0, index=1)
    b = _rec("result_x", EFFICIENTNET_B0, 72.0, a100=None)
    c = _rec("result_y", EFFICIENTNET_B0, 74.0, a100=2000.0)
    m = average_records([a, b, c])
    assert m.val_top1 == pytest.approx(72.0) and m.value("throughput_a100") == pytest.approx(1500.0)
    assert m.name == "result_1~mean3" and m.index == 1 and m.arch == EFFICIENTNET_B0
    assert average_records([a]) is a
    with pytest.raises(ConfigError, match="different architectures"):
        average_records([a, _rec("z", sample(0), 1.0)])


def test_merge_puts_new_architectures_in_the_train_part_and_leaves_test_ones_out():
    archs = sample(1, 8)
    train = [_rec(f"result_{i}", archs[i], 60.0 + i, a100=900.0) for i in range(3)]
    val = [_rec("result_3", archs[3], 63.0, a100=900.0)]
    test = [_rec("result_4", archs[4], 64.0)]
    collected = [
        _rec("c_train", archs[0], 70.0),               # repeats a train architecture: averaged in place
        _rec("c_val", archs[3], 73.0),                 # repeats the val one: stays in val
        _rec("c_test", archs[4], 99.0),                # a test architecture: left out
        _rec("c_new1", archs[5], 50.0, a100=500.0),
        _rec("c_new1b", archs[5], 52.0, a100=700.0),   # measured twice: one averaged record
        _rec("c_new2", archs[6], 55.0),
    ]
    merged, n_train, info = merge_collected(train + val, 3, collected, held_out=test)
    assert n_train == 5 and len(merged) == 6
    assert [r.arch for r in merged] == [archs[i] for i in (0, 1, 2, 5, 6, 3)]
    assert merged[0].val_top1 == pytest.approx(65.0) and merged[0].value("throughput_a100") == 900.0
    assert merged[3].val_top1 == pytest.approx(51.0) and merged[3].value("throughput_a100") == 600.0
    assert merged[5].val_top1 == pytest.approx(68.0) and merged[5].name == "result_3~mean2"
    assert math.isnan(merged[4].value("throughput_a100"))  # not measured stays missing
    assert archs[4] not in {r.arch for r in merged}
    assert info["left_out_in_test"] == ["c_test"] and info["used"] == 5 and info["records"] == 6
    assert info["new_architectures"] == 2 and info["averaged_with_train_val"] == 2
    assert info["new_measured_repeatedly"] == 1 and "c_test" not in info["names"]
    # --split all: no parts, new records at the end
    merged, n_train, _ = merge_collected(train, None, collected[3:4])
    assert n_train is None and merged[-1].arch == archs[5]


def test_load_collected_reads_a_collection_or_a_plain_directory(tmp_path):
    recs = [_rec("x", a, 60.0) for a in sample(2, 3)]
    _write(tmp_path / "run" / "results", recs[:2])
    (tmp_path / "run" / "plan.json").write_text("{}")  # the collection's own files are not records
    _write(tmp_path / "plain", recs[2:])
    got = load_collected([tmp_path / "run", tmp_path / "plain"])
    assert {r.arch for r in got} == {r.arch for r in recs} and len(got) == 3
    with pytest.raises(ConfigError, match="not a directory"):
        load_collected([tmp_path / "missing"])
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match="no result_"):
        load_collected([tmp_path / "empty"])


def test_fit_cli_adds_collected_records_and_says_which(tmp_path, dataset, capsys, monkeypatch):
    import naslib_anb.surrogates._registry as reg

    monkeypatch.setitem(reg._ANB_XGB_COMMON, "n_estimators", 30)
    split = dataset.default_split()
    train0, test0 = split.train[0], split.test[0]
    new = [a for a in sample(7, 40) if a not in {r.arch for r in dataset}][:2]
    collected = [dataclasses.replace(train0, name="c", val_top1=train0.val_top1 + 1.0, index=None),
                 dataclasses.replace(test0, name="t", index=None),
                 _rec("n1", new[0], 60.0), _rec("n2", new[1], 61.0)]
    _write(tmp_path / "collected" / "results", collected)
    out = tmp_path / "models"
    argv = ["fit", "--out", str(out), "--targets", "val_top1", "--family", "xgb", "--members", "2", "--folds", "2",
            "--calibration-folds", "0", "--threads", "1", "--data", str(dataset.source),
            "--collected", str(tmp_path / "collected")]
    assert main(argv) == 0
    assert "collected: 3 of 4 records used (2 new architectures, 1 averaged with train+val, 1 left out" \
        in capsys.readouterr().err
    man = json.loads((out / "manifest.json").read_text())
    info = man["data"]["collected"]
    assert info["left_out_in_test"] == [f"result_{test0.arch}"] and info["dirs"] == [str(tmp_path / "collected")]
    assert sorted(info["names"]) == sorted(f"result_{r.arch}" for r in collected if r.arch != test0.arch)
    n_trainval = len(split.train) + len(split.val)
    assert man["data"]["n_records"] == n_trainval + 2 == man["targets"]["val_top1"]["n_records"]
    assert man["split"]["collected"] == {"used": 3, "new_architectures": 2}
    assert "metrics" in man  # test still evaluated, on the untouched test split
    assert main(["fit", "--out", str(tmp_path / "m2"), "--targets", "val_top1", "--collected",
                 str(tmp_path / "nope")]) == 2
    assert "not a directory" in capsys.readouterr().err
