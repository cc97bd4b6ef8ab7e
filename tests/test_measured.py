"""``Benchmark.measured``: the dataset's own values, shipped, offline; shown by ``query``."""
from __future__ import annotations

import json

import numpy as np
import pytest

from naslib_anb.benchmark import FunctionBenchmark
from naslib_anb.benchmark.measured import MEASURED_VALUES_FILE, Measured, measured, measured_table
from naslib_anb.errors import UnknownTargetError
from naslib_anb.space import arch_from_indices, measured_codes, sample
from naslib_anb.targets import TARGETS


def make_bench():
    return FunctionBenchmark({"val_top1": lambda archs: np.zeros(len(archs))})


def test_shipped_values_equal_the_dataset(dataset):
    """The shipped file is the dataset: same architectures, means of duplicates, counts, NaNs."""
    codes, means, counts = measured_table(dataset)
    assert np.array_equal(codes, measured_codes())
    for j, t in enumerate(TARGETS):
        got = measured(codes, t)
        np.testing.assert_array_equal(got.counts, counts[:, j])
        np.testing.assert_array_equal(got.values, means[:, j])  # exact, NaN where unmeasured


def test_duplicates_are_averaged_with_their_count(dataset):
    """result_0 and result_443 are the same architecture: the mean of both, count 2."""
    a, b = dataset.by_name("result_0"), dataset.by_name("result_443")
    assert a.arch == b.arch
    m = make_bench().measured([a.arch], "val_top1")
    assert m.counts.tolist() == [2]
    assert m.values[0] == pytest.approx((a.val_top1 + b.val_top1) / 2, abs=1e-12)
    single = dataset.by_name("result_9")
    m9 = make_bench().measured(single.arch, "val_top1")
    assert m9.counts.tolist() == [1] and m9.values[0] == single.val_top1


def test_missing_measurement_is_nan_count_0(dataset):
    """result_9 has no FPGA data (a null in the dataset): NaN, count 0, though measured otherwise."""
    arch = dataset.by_name("result_9").arch
    m = make_bench().measured(arch, device="zcu102", metric="latency")
    assert m.target == "latency_zcu102" and m.counts.tolist() == [0] and np.isnan(m.values[0])


def test_unmeasured_architectures_are_nan():
    """Offline: no dataset needed. Sampled architectures far from the data are NaN with count 0."""
    archs = sample(0, 20, max_distance=None)
    known = arch_from_indices(measured_codes()[5])
    m = make_bench().measured(list(archs) + [known, str(known)], "throughput_a100")
    assert isinstance(m, Measured) and m.values.shape == (22,) and m.counts.shape == (22,)
    far = make_bench().nearest_measured(archs) > 0
    assert np.isnan(m.values[:20][far]).all() and (m.counts[:20][far] == 0).all()
    assert (m.counts[20:] >= 1).all() and m.values[20] == m.values[21] and np.isfinite(m.values[20])
    np.testing.assert_array_equal(m.is_measured, m.counts > 0)


def test_unknown_target_lists_the_valid_ones():
    with pytest.raises(UnknownTargetError, match="val_top1"):
        make_bench().measured("b0", "val_top9")


def test_shipped_file_is_small():
    assert MEASURED_VALUES_FILE.stat().st_size < 1_000_000


def test_query_json_shows_measured_beside_prediction(capsys):
    from naslib_anb.cli.main import main

    known = str(arch_from_indices(measured_codes()[100]))
    assert main(["query", known, "b0", "--target", "val_top1", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)["results"]
    expect = measured(measured_codes()[100:101].astype(np.int64), "val_top1")
    assert rows[0]["val_top1_measured"] == pytest.approx(float(expect.values[0]))
    assert rows[0]["val_top1_measured_n"] == int(expect.counts[0]) >= 1
    assert rows[1]["val_top1_measured"] is None and rows[1]["val_top1_measured_n"] == 0  # b0 is not in the data
    assert "val_top1" in rows[0]  # the prediction stays
