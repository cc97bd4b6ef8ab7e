"""The ANB dataset: schema, counts, duplicates, regimes, splits, export, and exact analytic costs."""
from __future__ import annotations

import json
import math
import tarfile

import numpy as np
import pytest

from naslib_anb.data import load_dataset, parse_record
from naslib_anb.errors import CorruptDataError, DataNotFoundError, UnknownChoiceError, UnknownTargetError
from naslib_anb.space import arch_cost


def test_counts_and_unique(dataset):
    assert len(dataset) == 5138
    assert len(dataset.unique()) == 5125
    dups = dataset.duplicates()
    assert len(dups) == 13
    assert ("result_0", "result_443") in dups and ("result_13", "result_455") in dups


def test_params_and_macs_from_arch_equal_dataset_for_every_record(dataset):
    bad = []
    for r in dataset:
        c = arch_cost(r.arch)
        if not (math.isclose(c.params / 1e6, r.params_m, rel_tol=0, abs_tol=1e-9)
                and math.isclose(c.macs / 1e6, r.macs_m, rel_tol=0, abs_tol=1e-9)):
            bad.append(r.name)
    assert not bad, f"{len(bad)} records differ, e.g. {bad[:3]}"


def test_regimes(dataset):
    assert dataset.regime_counts() == {1: 1795, 2: 2284, 3: 1059}
    r1 = [r for r in dataset if r.regime == 1]
    assert all(not any(r.arch.se) for r in r1)
    r3 = [r for r in dataset if r.regime == 3]
    assert all(r.arch.l[5] == 4 for r in r3)


def test_missing_values_stay_missing(dataset):
    tpu = dataset.values("throughput_tpuv3")
    assert int(np.isnan(tpu).sum()) == 44
    r9 = dataset.by_name("result_9")
    assert r9.perf["latency_zcu102"].mean is None and math.isnan(r9.value("latency_zcu102"))
    # FPGA stds are always null upstream
    assert all(r.perf["throughput_vck190"].std is None for r in dataset)
    with pytest.raises(UnknownTargetError):
        dataset.values("latency_a100")


def test_default_split_matches_upstream(dataset, shared_split_dir):
    split = dataset.default_split()
    assert split.sizes() == {"train": 4100, "val": 512, "test": 512}
    names = [set(r.name for r in part) for part in (split.train, split.val, split.test)]
    assert not (names[0] & names[1] or names[0] & names[2] or names[1] & names[2])
    assert "result_378" not in set.union(*names)
    # the shipped copy equals the shared upstream files
    assert dataset.split_from_files(shared_split_dir) == split
    regimes = [sum(1 for r in split.test if r.regime == k) for k in (1, 2, 3)]
    assert regimes == [193, 228, 91]


def test_random_split_is_seeded_and_disjoint(dataset):
    a, b = dataset.random_split(0), dataset.random_split(0)
    assert a == b
    assert dataset.random_split(1) != a
    assert sum(a.sizes().values()) == 5125
    archs = [set(r.arch for r in part) for part in (a.train, a.val, a.test)]
    assert not (archs[0] & archs[2])


def test_dataframe_export(dataset):
    df = dataset.to_dataframe()
    assert len(df) == 5138
    assert df.attrs["units"]["throughput_a100"] == "img/s"
    assert df.attrs["units"]["latency_vck190"] == "ms"
    assert df["throughput_tpuv2"].isna().sum() == 37
    assert df.loc[df.name == "result_0", "val_top1"].item() == pytest.approx(59.368)


def test_record_json_round_trip(dataset):
    r = dataset.by_name("result_17")
    assert parse_record(r.to_json(), r.name, r.index) == r


def test_directory_source_and_errors(tmp_path, anb_data_path):
    with tarfile.open(anb_data_path) as tf:
        members = [m for m in tf.getmembers() if m.name.endswith(("result_5.json", "result_6.json"))]
        for m in members:
            (tmp_path / m.name.split("/")[-1]).write_bytes(tf.extractfile(m).read())
    ds = load_dataset(tmp_path)
    assert [r.name for r in ds] == ["result_5", "result_6"]
    with pytest.raises(UnknownChoiceError):
        ds.by_name("result_7")
    (tmp_path / "result_7.json").write_text("{not json")
    with pytest.raises(CorruptDataError, match="result_7"):
        load_dataset(tmp_path)
    obj = json.loads((tmp_path / "result_5.json").read_text())
    obj["architecture"]["block2_k"] = 7
    (tmp_path / "result_7.json").write_text(json.dumps(obj))
    with pytest.raises(CorruptDataError, match="block2_k|stage 2 field 'k'"):
        load_dataset(tmp_path)
    obj["architecture"]["block2_k"] = 5
    obj["metrics"]["val_top1"] = "high"
    (tmp_path / "result_7.json").write_text(json.dumps(obj))
    with pytest.raises(CorruptDataError, match="val_top1"):
        load_dataset(tmp_path)
    with pytest.raises(DataNotFoundError):
        load_dataset(tmp_path / "nope")


def test_truncated_tarball_is_a_typed_error(tmp_path, anb_data_path):
    data = anb_data_path.read_bytes()
    cut = tmp_path / "anb_dataset_jsons.tar.gz"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(CorruptDataError, match="truncated"):
        load_dataset(cut)
