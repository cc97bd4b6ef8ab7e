"""Every bad input of issue 16 that is not a runner's: one clear typed error (exit 2 on the CLI), or it works."""
from __future__ import annotations

import gzip
import io
import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import numpy as np
import pytest

from naslib_anb.cli.main import main
from naslib_anb.errors import (
    ANBError,
    ConfigError,
    CorruptDataError,
    InvalidArchitectureError,
    UnknownDeviceError,
    UnknownMetricError,
    UnknownOptionError,
    UnknownTargetError,
)
from naslib_anb.space import EFFICIENTNET_B0, Arch, arch_cost

B0 = str(EFFICIENTNET_B0)
REPO = Path(__file__).resolve().parents[1]


def _err(capsys) -> str:
    return capsys.readouterr().err


# ---------------------------------------------------------------------------- CLI: tracebacks -> one line
@pytest.mark.parametrize("argv, needle", [
    (["search", "--optimizer", "rs", "--benchmark", "toy", "--budget", "5", "--opt", "foo=1"],
     "optimizer 'rs' takes no --opt options, got 'foo'"),
    (["search", "--optimizer", "rs", "--benchmark", "toy", "--budget", "5", "--opt", "population_size=5"],
     "optimizer 'rs' takes no --opt options, got 'population_size'"),
    (["search", "--optimizer", "re", "--benchmark", "toy", "--budget", "5", "--opt", "foo=1"],
     "valid: 'population_size', 'sample_size', 'replace'"),
    (["search", "--optimizer", "re", "--benchmark", "toy", "--budget", "5", "--opt", "seed=1"], "--seed"),
    (["search", "--optimizer", "rs", "--benchmark", "toy", "--budget", "5", "--device", "a100", "--weight", "-0.07"],
     "--weight must be a finite number >= 0"),
    (["search", "--optimizer", "rs", "--benchmark", "toy", "--budget", "5", "--device", "a100",
      "--weight-miss", "-0.5"], "--weight-miss must be a finite number >= 0"),
    (["search", "--optimizer", "rs", "--benchmark", "toy", "--budget", "5", "--weight", "0.1"],
     "the reward needs --device"),
    (["search", "--optimizer", "rs", "--benchmark", "toy", "--budget", "5", "--weight-miss", "0.1"],
     "the reward needs --device"),
    (["search", "--optimizer", "rs", "--benchmark", "toy", "--budget", "5", "--target", "5000"],
     "the reward needs --device"),
    (["fit", "--seed", "-1", "--targets", "val_top1"], "seed must be an int in [0, 2**32 - 64)"),
    (["fit", "--folds", "2", "--members", "5", "--targets", "val_top1"], "members (5) > folds (2)"),
    (["fit", "--calibration-buffer-reps", "-1", "--targets", "val_top1"], "calibration_buffer_reps must be an int in 0..100"),
    (["fit", "--calibration-buffer-reps", "3", "--calibration-folds", "0", "--targets", "val_top1"],
     "calibration_buffer_reps 3 needs calibration_folds >= 1"),
    (["space", ""], "invalid architecture ''"),
    (["space", "--sample", "-1"], "--sample must be >= 0"),
    (["space", "--sample", "100000000", "--json"], "at most 100,000"),
    (["query", B0, "--target", "foo"], "unknown target 'foo'"),
    (["evaluate", "--targets", "foo"], "unknown target 'foo'"),
])
def test_cli_bad_values_are_one_line_exit_2(argv, needle, tmp_path, capsys):
    if argv[0] in ("search", "fit"):
        argv = argv + ["--out", str(tmp_path / "out")]
    assert main(argv) == 2
    err = _err(capsys)
    assert needle in err, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("cmd", ["search", "fit", "data"])
def test_unwritable_out_is_a_clear_error(cmd, tmp_path, capsys):
    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    target = str(blocker / "sub" / "out")
    argv = {"search": ["search", "--optimizer", "rs", "--benchmark", "toy", "--budget", "3", "--out", target],
            "fit": ["fit", "--targets", "val_top1", "--out", target],
            "data": ["data", "--csv", target + ".csv"]}[cmd]
    assert main(argv) == 2
    err = _err(capsys)
    assert f"{blocker} is not a directory" in err and "Traceback" not in err


def test_unwritable_out_under_a_read_only_place(capsys):
    """/proc refuses new files even to root (permission bits would not)."""
    if not os.path.isdir("/proc/self"):
        pytest.skip("no /proc")
    assert main(["search", "--optimizer", "rs", "--benchmark", "toy", "--budget", "3", "--out", "/proc/anb_out"]) == 2
    assert "/proc is not writable" in _err(capsys)
    assert main(["data", "--csv", "/proc/anb.csv"]) == 2
    assert "/proc is not writable" in _err(capsys)


def _spawn_cli(args, **kw):
    env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.Popen([sys.executable, "-m", "naslib_anb.cli.main", *args], env=env, **kw)


def test_broken_pipe_exits_quietly(anb_data_path):
    """``naslib-anb data | head -2`` where the reader is already gone: no traceback, SIGPIPE's status."""
    r, w = os.pipe()
    os.close(r)  # the reader is gone before the first write: the outcome does not depend on timing
    proc = _spawn_cli(["data", "--path", str(anb_data_path)], stdout=w, stderr=subprocess.PIPE)
    os.close(w)
    _, err = proc.communicate(timeout=600)
    assert proc.returncode == 141, err.decode()
    assert b"Traceback" not in err and b"BrokenPipe" not in err


def test_head_closing_a_streamed_sample_exits_quietly():
    proc = _spawn_cli(["space", "--sample", "100000000"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    lines = [proc.stdout.readline() for _ in range(12)][-2:]  # the space summary, then samples
    proc.stdout.close()  # like head: 100 million samples are streamed, never built in memory
    err = proc.stderr.read()
    proc.wait(timeout=600)
    assert all(Arch.parse(x.decode().strip()) for x in lines)
    assert proc.returncode == 141 and b"Traceback" not in err


def test_space_sample_streams_the_same_archs_as_sample(capsys):
    from naslib_anb.space import sample

    assert main(["space", "--sample", "25", "--seed", "3"]) == 0
    printed = capsys.readouterr().out.strip().splitlines()[-25:]
    assert printed == [str(a) for a in sample(3, 25)]


# ---------------------------------------------------------------------------- query: device and target
def test_query_target_and_device_answers_both(capsys):
    assert main(["query", "b0", "--target", "val_top1", "--device", "a100", "--json"]) == 0
    res = json.loads(capsys.readouterr().out)["results"][0]
    from naslib_anb.targets import TARGETS

    assert set(res) & set(TARGETS) == {"val_top1", "throughput_a100"} and res["arch"] == B0


def test_api_target_and_device_must_agree():
    from naslib_anb.benchmark import load_benchmark

    b = load_benchmark()
    with pytest.raises(UnknownTargetError, match="selects throughput_a100"):
        b.query(B0, "val_top1", device="a100")
    assert b.query(B0, "throughput_a100", device="a100") == b.query(B0, device="a100")


# ---------------------------------------------------------------------------- API: every spelling, typed errors
def test_arch_parse_spellings():
    a = EFFICIENTNET_B0
    d = a.to_dict()
    assert Arch.parse("b0") == Arch.parse("EfficientNet-B0") == a
    assert Arch.parse(list(a.to_tuple())) == Arch.parse(a.to_tuple()) == Arch.parse(np.asarray(a.to_tuple())) == a
    np_d = {k: (np.bool_(v) if isinstance(v, bool) else np.int64(v)) for k, v in d.items()}
    assert Arch.parse(np_d) == a  # numpy scalars, numpy booleans for se
    assert Arch.parse(np.asarray(a.to_lists(), dtype=object)) == a
    bad = dict(d, block0_e=np.array([1]))  # a one-element array is not a scalar: refused, not guessed
    with pytest.raises(InvalidArchitectureError, match="block|stage 0 field 'e'"):
        Arch.parse(bad)
    for obj in (None, 5, 2.5, b"e1", {"a": 1}, [1, 2, 3], [[1] * 7] * 4, object(), np.zeros((2, 2))):
        with pytest.raises(InvalidArchitectureError):
            Arch.parse(obj)


def test_arch_cost_takes_any_spelling():
    assert arch_cost(B0) == arch_cost("b0") == arch_cost(EFFICIENTNET_B0) == arch_cost(EFFICIENTNET_B0.to_dict())
    with pytest.raises(InvalidArchitectureError):
        arch_cost("e1k3")
    with pytest.raises(ConfigError):
        arch_cost(B0, resolution=-1)


def test_query_arguments_typed_errors():
    from naslib_anb.benchmark import load_benchmark

    b = load_benchmark()
    assert b.query(list(EFFICIENTNET_B0.to_tuple())) == b.query("b0") == b.query(B0)
    assert b.query(B0, std=np.bool_(True))[1] >= 0
    cases = [
        (lambda: b.query(None), InvalidArchitectureError),
        (lambda: b.query(5), InvalidArchitectureError),
        (lambda: b.query(B0, device=["a100"]), UnknownDeviceError),
        (lambda: b.query(B0, device={"a": 1}), UnknownDeviceError),
        (lambda: b.query(B0, device="a100", metric=["latency"]), UnknownMetricError),
        (lambda: b.query(B0, std=np.array([True, False])), ConfigError),
        (lambda: b.query(B0, std="yes"), ConfigError),
        (lambda: b.query(B0, target=""), UnknownTargetError),
        (lambda: b.query(B0, target=["val_top1"]), UnknownTargetError),
        (lambda: b.query_all(B0, targets=[""]), UnknownTargetError),
        (lambda: b.query_all(B0, targets=[]), UnknownTargetError),
        (lambda: b.query_all(B0, targets=5), UnknownTargetError),
        (lambda: b.query_all(B0, targets=[["val_top1"]]), UnknownTargetError),
        (lambda: b.query_all(None), InvalidArchitectureError),
        (lambda: b.query(B0, noise_seed=-1), ConfigError),
    ]
    for call, exc in cases:
        with pytest.raises(exc):
            call()
    assert set(b.query_all(B0, targets="val_top1")) == {"val_top1"}


def test_b0_alias_in_query_and_space(capsys):
    assert main(["query", "b0", "--target", "val_top1"]) == 0
    assert B0 in capsys.readouterr().out
    assert main(["space", "b0"]) == 0
    assert B0 in capsys.readouterr().out


# ---------------------------------------------------------------------------- the loader refuses what is impossible
def _record(**metrics) -> dict:
    perf = {"throughput_a100": {"throughput_mean": 8000.0, "throughput_std": 10.0}}
    return {"architecture": EFFICIENTNET_B0.to_dict(),
            "metrics": {"val_top1": 65.0, "val_top5": 86.0, "train_time": 4000.0, **metrics},
            "model_info": {"macs": 400.0, "params": 5.3}, "platform_perf": perf}


def _write_dir(tmp_path: Path, texts: dict[str, str]) -> Path:
    d = tmp_path / "data"
    d.mkdir()
    (d / "result_0.json").write_text(json.dumps(_record()))
    for name, text in texts.items():
        (d / name).write_text(text)
    return d


@pytest.mark.parametrize("text, needle", [
    (json.dumps(_record(val_top1=-5)), "outside the physically possible range [0, 100]"),
    (json.dumps(_record(val_top1=150)), "outside the physically possible range [0, 100]"),
    (json.dumps(_record(val_top5=100.5)), "val_top5"),
    (json.dumps(_record(train_time=0)), "train_time"),
    (json.dumps(_record()).replace("8000.0", "-1000000000.0"), "throughput_a100.throughput_mean"),
    (json.dumps(_record()).replace("8000.0", "Infinity"), "expected a finite number"),
    (json.dumps(_record()).replace("10.0", "-1.0"), "throughput_std"),
    (json.dumps(_record()).replace("65.0", "1" + "0" * 400), "expected a finite number"),
    (json.dumps(_record()).replace("65.0", "1e400"), "expected a finite number"),
    (json.dumps(_record()).replace("65.0", "NaN"), "expected a finite number"),
    ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
])
def test_impossible_values_are_refused_with_the_file_named(tmp_path, text, needle):
    from naslib_anb.data import load_dataset

    d = _write_dir(tmp_path, {"result_1.json": text})
    with pytest.raises(CorruptDataError) as ei:
        load_dataset(d)
    assert str(d / "result_1.json") in str(ei.value) and needle in str(ei.value)


def test_directory_named_like_a_result_and_symlink_loop(tmp_path):
    from naslib_anb.data import load_dataset

    d = _write_dir(tmp_path, {})
    (d / "result_9.json").mkdir()
    with pytest.raises(CorruptDataError, match="result_9.json: is a directory"):
        load_dataset(d)
    (d / "result_9.json").rmdir()
    os.symlink(d / "result_8.json", d / "result_8.json")  # a link to itself
    with pytest.raises(CorruptDataError, match="result_8.json: cannot read it"):
        load_dataset(d)


def _tar_bytes(n: int) -> tuple[bytes, list[int]]:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        for i in range(n):
            data = json.dumps(_record()).encode()
            ti = tarfile.TarInfo(f"anb/result_{i}.json")
            ti.size = len(data)
            tf.addfile(ti, io.BytesIO(data))
    raw = buf.getvalue()
    offsets = [m.offset for m in tarfile.open(fileobj=io.BytesIO(raw)).getmembers()]
    return raw, offsets


def test_partial_archives_are_errors_not_smaller_datasets(tmp_path):
    from naslib_anb.data import load_dataset

    raw, offsets = _tar_bytes(6)
    whole = tmp_path / "whole.tar.gz"
    whole.write_bytes(gzip.compress(raw))
    assert len(load_dataset(whole)) == 6
    cuts = {"inside a member header": offsets[3] + 100, "at a member boundary": offsets[3],
            "inside member data": offsets[3] + 512 + 10}
    for what, cut in cuts.items():
        p = tmp_path / "cut.tar.gz"
        p.write_bytes(gzip.compress(raw[:cut]))  # a well-formed gzip of a truncated tar
        with pytest.raises(CorruptDataError, match="truncated") as ei:
            load_dataset(p)
        assert str(p) in str(ei.value), what
    gz = gzip.compress(raw)
    (tmp_path / "short.tar.gz").write_bytes(gz[: len(gz) // 2])
    with pytest.raises(CorruptDataError, match="truncated or corrupt compressed"):
        load_dataset(tmp_path / "short.tar.gz")
    flipped = bytearray(gz)
    flipped[len(gz) // 3] ^= 0xFF
    (tmp_path / "flip.tar.gz").write_bytes(bytes(flipped))
    with pytest.raises(CorruptDataError):
        load_dataset(tmp_path / "flip.tar.gz")
    garbage = bytearray(raw)
    garbage[offsets[4]:offsets[4] + 512] = b"\x07" * 512  # a garbled header mid-archive
    (tmp_path / "garbled.tar").write_bytes(bytes(garbage))
    with pytest.raises(CorruptDataError, match="after 4 records"):
        load_dataset(tmp_path / "garbled.tar")
    zeroed = bytearray(raw)
    zeroed[offsets[2]:offsets[2] + 512] = bytes(512)  # a zeroed header looks like the end of the archive
    (tmp_path / "zeroed.tar").write_bytes(bytes(zeroed))
    with pytest.raises(CorruptDataError, match="after 2 records"):
        load_dataset(tmp_path / "zeroed.tar")


def test_the_real_archive_truncated_inside_a_header(tmp_path, anb_data_path):
    from naslib_anb.data import load_dataset

    if not str(anb_data_path).endswith(".tar.gz"):
        pytest.skip("the dataset here is a directory")
    raw = gzip.decompress(anb_data_path.read_bytes())
    members = tarfile.open(fileobj=io.BytesIO(raw)).getmembers()
    p = tmp_path / "cut.tar.gz"
    p.write_bytes(gzip.compress(raw[: members[len(members) // 2].offset + 200]))
    with pytest.raises(CorruptDataError, match="truncated"):
        load_dataset(p)


# ---------------------------------------------------------------------------- the manifest is sealed
def test_editing_one_word_of_the_manifest_refuses_to_load(tmp_path):
    import shutil

    from naslib_anb.errors import ModelFileError
    from naslib_anb.surrogates import default_model_dir, load_model_set, read_manifest

    d = tmp_path / "models"
    shutil.copytree(default_model_dir(), d)
    load_model_set(d, targets=["val_top1"])  # the shipped manifest is sealed and verifies
    text = (d / "manifest.json").read_text()
    word = json.loads(text)["targets"]["val_top1"]["transform"]
    other = "log" if word != "log" else "none"
    assert f'"transform": "{word}"' in text
    (d / "manifest.json").write_text(text.replace(f'"transform": "{word}"', f'"transform": "{other}"', 1))
    with pytest.raises(ModelFileError, match="was modified after it was written"):
        load_model_set(d)
    man = json.loads(text)
    del man["manifest_sha256"]
    (d / "manifest.json").write_text(json.dumps(man))
    with pytest.raises(ModelFileError, match="not sealed"):
        read_manifest(d)


def test_query_refuses_a_tampered_manifest(tmp_path, capsys):
    import shutil

    from naslib_anb.surrogates import default_model_dir

    d = tmp_path / "models"
    shutil.copytree(default_model_dir(), d)
    man = json.loads((d / "manifest.json").read_text())
    man["family"] = man["family"] + "x"  # any field: the seal covers the whole content
    (d / "manifest.json").write_text(json.dumps(man, indent=2))
    assert main(["query", "b0", "--models", str(d)]) == 2
    assert "was modified" in capsys.readouterr().err


def test_seal_covers_fields_added_later():
    from naslib_anb.surrogates._persist import manifest_digest, seal_manifest

    sealed = seal_manifest({"format": "x", "targets": {}, "calibration": {"val_top1": 1.5}})
    assert sealed["manifest_sha256"] == manifest_digest(sealed)
    changed = dict(sealed, calibration={"val_top1": 1.6})
    assert manifest_digest(changed) != sealed["manifest_sha256"]


def test_offline_without_data_names_the_three_ways(monkeypatch, tmp_path):
    """The README's ``load_dataset()`` offline: the error says where the data is looked for."""
    from naslib_anb.data import load_dataset, source
    from naslib_anb.errors import DataError, DataNotFoundError

    monkeypatch.delenv("NASLIB_ANB_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(source, "checkout_data_dir", lambda: tmp_path / "beside")

    def offline(*a, **k):
        raise DataError(f"could not download {source.TARBALL_URL}: <urlopen error [Errno -3] no network>")

    monkeypatch.setattr(source, "download", offline)
    for kwargs in ({}, {"allow_download": True}):  # the network only when asked; both name the ways in
        with pytest.raises(DataNotFoundError) as ei:
            load_dataset(**kwargs)
        msg = str(ei.value)
        assert "$NASLIB_ANB_DATA" in msg and "load_dataset(PATH)" in msg and str(tmp_path / "cache") in msg
