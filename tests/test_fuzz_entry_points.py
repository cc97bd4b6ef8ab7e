"""Property tests: whatever goes in, only the package's own errors come out.

At least 1,000 generated inputs per entry point (arch parsing, ``query`` / ``query_all``
arguments, dataset files and archives, the CLI's subcommands through the in-process
``main(argv)``). The CLI may also end with argparse's ``SystemExit(2)`` (or 0 for ``--help``).
Heavy work behind a valid command line (fitting, profiling, long searches, figures) is replaced by
a marker once the arguments have been validated: these tests are about inputs, not about the work.
"""
from __future__ import annotations

import gzip
import io
import itertools
import json
import math
import os
import tarfile
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from naslib_anb.errors import ANBError
from naslib_anb.space import EFFICIENTNET_B0, Arch, sample
from naslib_anb.targets import DEVICES, METRICS, TARGETS

FUZZ = settings(max_examples=1000, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                       HealthCheck.filter_too_much, HealthCheck.data_too_large])
VALID = [EFFICIENTNET_B0, *sample(7, 5)]

# ------------------------------------------------------------------------------------------ strategies
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 8), st.integers(), st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20), st.binary(max_size=8), st.sampled_from([1, 3, 4, 5, 6, True, False, 0]),
    st.integers(-3, 8).map(np.int64), st.booleans().map(np.bool_), st.floats(0, 7).map(np.float32),
    st.integers(1, 6).map(lambda v: np.array([v])), st.just(np.array(3)), st.just(np.zeros((2, 2))),
    st.just(float("nan")), st.just(10 ** 400),
)
anything = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=8), st.lists(inner, max_size=8).map(tuple),
    st.dictionaries(st.one_of(st.text(max_size=10), st.integers()), inner, max_size=5)), max_leaves=30)


@st.composite
def mutated_spellings(draw):
    """A valid spelling of a valid architecture with one part replaced, dropped or reshaped."""
    a = draw(st.sampled_from(VALID))
    form = draw(st.sampled_from(["str", "dict", "lists", "tuple", "np"]))
    if form == "str":
        s = str(a)
        i = draw(st.integers(0, len(s)))
        op = draw(st.sampled_from(["insert", "delete", "replace", "case", "keep"]))
        c = draw(st.text(min_size=1, max_size=2))
        if op == "insert":
            return s[:i] + c + s[i:]
        if op == "delete":
            return s[:i] + s[i + 1:]
        if op == "replace":
            return s[:i] + c + s[i + 1:]
        return s.upper() if op == "case" else s
    if form == "dict":
        d = a.to_dict()
        key = draw(st.sampled_from(sorted(d)))
        op = draw(st.sampled_from(["value", "drop", "extra"]))
        if op == "value":
            d[key] = draw(anything)
        elif op == "drop":
            del d[key]
        else:
            d[draw(st.text(max_size=10))] = draw(anything)
        return d
    if form == "lists":
        lists = a.to_lists()
        r, c = draw(st.integers(0, 3)), draw(st.integers(0, 6))
        lists[r][c] = draw(anything)
        if draw(st.booleans()):
            lists[r] = lists[r][: draw(st.integers(0, 7))]
        return lists
    if form == "tuple":
        t = list(a.to_tuple())
        t[draw(st.integers(0, 27))] = draw(st.one_of(st.integers(-2, 8), anything))
        return t[: draw(st.sampled_from([28, 28, 27, 29, 0]))] if draw(st.booleans()) else t
    return np.asarray(a.to_tuple()) if draw(st.booleans()) else np.asarray(a.to_lists(), dtype=object)


arch_inputs = st.one_of(mutated_spellings(), anything, st.sampled_from(VALID), st.sampled_from(["b0", "B0", ""]))
arch_batches = st.one_of(arch_inputs, st.lists(arch_inputs, max_size=4), st.lists(st.sampled_from(VALID), max_size=4))
names = st.one_of(st.none(), st.sampled_from(list(TARGETS) + list(DEVICES) + list(METRICS) + ["", "foo"]),
                  st.text(max_size=8), anything)


# ------------------------------------------------------------------------------------------ API
@FUZZ
@given(arch_inputs)
def test_arch_parse_only_raises_package_errors(obj):
    try:
        a = Arch.parse(obj)
    except ANBError:
        return
    assert isinstance(a, Arch) and Arch.parse(str(a)) == a


@pytest.fixture(scope="module")
def bench():
    from naslib_anb.benchmark import load_benchmark

    return load_benchmark()


@FUZZ
@given(archs=arch_batches, target=names, device=names, metric=names,
       std=st.one_of(st.booleans(), st.booleans().map(np.bool_), scalars),
       noise_seed=st.one_of(st.none(), st.integers(-2, 2 ** 70), scalars))
def test_query_only_raises_package_errors(bench, archs, target, device, metric, std, noise_seed):
    try:
        out = bench.query(archs, target, device=device, metric=metric, std=std, noise_seed=noise_seed)
    except ANBError:
        return
    values = out if isinstance(out, tuple) else (out,)
    assert all(np.all(np.isfinite(v)) for v in values)


@FUZZ
@given(archs=arch_batches, targets=st.one_of(st.none(), names, st.lists(names, max_size=4)),
       std=st.one_of(st.booleans(), scalars))
def test_query_all_only_raises_package_errors(bench, archs, targets, std):
    try:
        out = bench.query_all(archs, targets, std=std)
    except ANBError:
        return
    assert out and all(n in TARGETS for n in out)


# ------------------------------------------------------------------------------------------ dataset files
def _good_record(i: int) -> dict:
    a = VALID[i % len(VALID)]
    perf = {k: {f"{k.split('_')[0]}_mean": 100.0 + i, f"{k.split('_')[0]}_std": 1.0}
            for k, t in TARGETS.items() if t.is_device_target}
    return {"architecture": a.to_dict(), "metrics": {"val_top1": 60.0, "val_top5": 80.0, "train_time": 3000.0},
            "model_info": {"macs": 300.0, "params": 4.0}, "platform_perf": perf}


json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=10),
              st.sampled_from([-5, 150, -1e9, 0, 1e308, 10 ** 400])),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=12)


@st.composite
def record_texts(draw):
    """The JSON text of a record with one leaf replaced or dropped, or raw text around a valid record."""
    rec = _good_record(draw(st.integers(0, 5)))
    kind = draw(st.sampled_from(["leaf", "drop", "text", "nest", "whole"]))
    if kind in ("leaf", "drop"):
        node, key = rec, None
        path = []
        while isinstance(node, dict) and node:
            key = draw(st.sampled_from(sorted(node)))
            path.append(key)
            if not isinstance(node[key], dict) or draw(st.booleans()):
                break
            node = node[key]
        if kind == "drop":
            del node[key]
        else:
            node[key] = draw(json_values)
        return json.dumps(rec, allow_nan=True, default=str)
    if kind == "text":
        s = json.dumps(rec)
        i = draw(st.integers(0, len(s)))
        return s[:i] + draw(st.text(max_size=4)) + s[i + draw(st.integers(0, 3)):]
    if kind == "nest":
        n = draw(st.sampled_from([10, 1000, 50_000]))
        return "[" * n + "]" * n
    return json.dumps(draw(json_values), default=str)


def _load(path):
    from naslib_anb.data import load_dataset

    try:
        ds = load_dataset(path, allow_download=False)
    except ANBError:
        return None
    assert len(ds) > 0
    for t in TARGETS:  # whatever loads is physically possible
        v = ds.values(t)
        assert np.all(np.isnan(v) | ((v > 0) & np.isfinite(v)))
    return ds


@FUZZ
@given(texts=st.lists(record_texts(), min_size=1, max_size=3), odd=st.sampled_from(["", "dir", "loop", "empty"]))
def test_dataset_directories_only_raise_package_errors(texts, odd):
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        for i, text in enumerate(texts):
            (d / f"result_{i}.json").write_text(text, encoding="utf-8", errors="surrogatepass")
        if odd == "dir":
            (d / "result_9.json").mkdir()
        elif odd == "loop":
            os.symlink(d / "result_8.json", d / "result_8.json")
        elif odd == "empty":
            (d / "result_7.json").write_bytes(b"")
        _load(d)


def _archive(n: int = 5) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        for i in range(n):
            data = json.dumps(_good_record(i)).encode()
            ti = tarfile.TarInfo(f"anb/result_{i}.json")
            ti.size = len(data)
            tf.addfile(ti, io.BytesIO(data))
    return buf.getvalue()


TAR = _archive()
TGZ = gzip.compress(TAR)


@st.composite
def damaged_archives(draw):
    base = draw(st.sampled_from([TAR, TGZ]))
    data = bytearray(base)
    for _ in range(draw(st.integers(0, 3))):
        op = draw(st.sampled_from(["cut", "flip", "insert", "zero"]))
        if not data:
            break
        i = draw(st.integers(0, len(data) - 1))
        if op == "cut":
            data = data[:i]
        elif op == "flip":
            data[i] ^= draw(st.integers(1, 255))
        elif op == "insert":
            data[i:i] = draw(st.binary(min_size=1, max_size=600))
        else:
            data[i:i + 512] = bytes(min(512, len(data) - i))
    return bytes(data)


@FUZZ
@given(damaged_archives())
def test_archives_load_whole_or_raise_package_errors(data):
    """A damaged archive loads whole or not at all (a zeroed header once ended it silently)."""
    with tempfile.TemporaryDirectory() as tmp:
        p = Path(tmp) / "anb.tar.gz"
        p.write_bytes(data)
        ds = _load(p)
        if ds is not None:
            assert len(ds) == 5, f"{len(ds)} of 5 records from a damaged archive of {len(data)} bytes"


# ------------------------------------------------------------------------------------------ the CLI
class _Reached(Exception):
    """Valid arguments reached the heavy work (replaced in these tests)."""


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli_fuzz")
    tiny = root / "tiny"
    tiny.mkdir()
    for i in range(3):
        (tiny / f"result_{i}.json").write_text(json.dumps(_good_record(i)))
    (root / "file.txt").write_text("not a directory\n")
    (root / "empty").mkdir()
    (root / "cfg.yaml").write_text("budget: 5\n")
    return root


@pytest.fixture
def light_cli(monkeypatch, workspace):
    """Everything that would take seconds once the arguments are valid, replaced or capped."""
    import dataclasses

    import naslib_anb.data
    import naslib_anb.profiling
    import naslib_anb.profiling.export
    import naslib_anb.search.compare
    import naslib_anb.search.driver
    import naslib_anb.search.plotting as plotting
    import naslib_anb.space.space
    import naslib_anb.surrogates as surrogates

    import functools

    import naslib_anb.cli.main as cli_main

    monkeypatch.setenv("NASLIB_ANB_DATA", str(workspace / "tiny"))
    monkeypatch.chdir(workspace)  # generated relative paths ("--out 1") land in the workspace
    monkeypatch.setattr(cli_main, "build_parser", functools.lru_cache(maxsize=1)(cli_main.build_parser))

    def reached(*a, **k):
        raise _Reached()

    monkeypatch.setattr(naslib_anb.data, "download", reached)
    monkeypatch.setattr(surrogates, "fit_model_set", reached)
    monkeypatch.setattr(naslib_anb.profiling, "run_sweep", reached)
    monkeypatch.setattr(naslib_anb.profiling.export, "export_onnx", reached)
    monkeypatch.setattr(naslib_anb.search.compare, "run_compare", reached)
    for f in ("plot_trajectory", "plot_pareto", "plot_compare"):
        monkeypatch.setattr(plotting, f, lambda *a, **k: None)
    real_search = naslib_anb.search.driver.run_search
    monkeypatch.setattr(naslib_anb.search.driver, "run_search",
                        lambda cfg, bench, **k: real_search(dataclasses.replace(cfg, budget=min(cfg.budget, 12)),
                                                            bench, **k))
    real_samples = naslib_anb.space.space.iter_samples
    monkeypatch.setattr(naslib_anb.space.space, "iter_samples",
                        lambda rng, n, *a: itertools.islice(real_samples(rng, n, *a), 50))
    real_load = surrogates.load_model_set
    cache = {}

    def cached_load(model_dir, targets=None, **kw):
        key = (str(model_dir), None if targets is None else tuple(map(str, targets)) if isinstance(
            targets, (list, tuple)) else repr(targets))
        if key not in cache:
            cache[key] = real_load(model_dir, targets=targets, **kw)
        return cache[key]

    monkeypatch.setattr(surrogates, "load_model_set", cached_load)
    return workspace


def _flags(sub: str) -> list[str]:
    from naslib_anb.cli.main import build_parser

    parser = build_parser()
    action = next(a for a in parser._actions if a.dest == "command")
    sp = action.choices[sub]
    out = [s for a in sp._actions for s in a.option_strings if s not in ("-h", "--help")]
    for a in sp._actions:  # nested subcommands (profile run, ...)
        if getattr(a, "choices", None) and isinstance(a.choices, dict):
            for name, p in a.choices.items():
                out.append(name)
                out += [s for b in p._actions for s in b.option_strings if s not in ("-h", "--help")]
    return sorted(set(out))


PLACES = ["OUT", "OUT", "FILE", "EMPTY", "TINY", "CFG", "/proc/anb_x", "/nonexistent/x", ""]
WORDS = sorted(set(list(TARGETS) + list(DEVICES) + list(METRICS) + [
    "b0", str(EFFICIENTNET_B0), "rs", "re", "reinforce", "rs-pareto", "toy", "anb", "accuracy", "reward", "pareto",
    "xgb", "gp", "default", "all", "upstream", "population_size=5", "foo=1", "budget=3", "0-2", "0,1", "3-1",
    "-1", "0", "1", "2", "1e9", "nan", "inf", "-0.5", "{", "{}", "[]", "cpu", "cuda", "fp16", "throughput,latency",
    "space:3:0", "dataset:2", "file:FILE", "-h",
]))


def _values():
    return st.one_of(st.sampled_from(WORDS), st.sampled_from(PLACES), st.integers(-3, 40).map(str),
                     st.floats(-2, 1e4, allow_nan=False).map(lambda v: f"{v:g}"),
                     st.text(alphabet="abcdefkls01346-=_.,:/ ", max_size=12))


REQUIRED = {"search": ["--out", "OUT", "--optimizer"], "compare": ["--out", "OUT"], "fit": ["--out", "OUT"],
            "query": ["b0"], "space": [], "data": [], "evaluate": [], "profile": []}
_COUNTER = itertools.count()


def _run_cli(workspace: Path, argv: list[str]) -> None:
    from naslib_anb.cli.main import main

    fresh = workspace / "out" / f"o{next(_COUNTER)}"
    repl = {"OUT": str(fresh), "FILE": str(workspace / "file.txt"), "EMPTY": str(workspace / "empty"),
            "TINY": str(workspace / "tiny"), "CFG": str(workspace / "cfg.yaml"),
            "file:FILE": f"file:{workspace / 'file.txt'}"}
    argv = [repl.get(a, a) for a in argv]
    try:
        rc = main(argv)
    except SystemExit as exc:  # argparse: usage errors exit 2, --help exits 0
        assert exc.code in (0, 2), argv
        return
    except _Reached:
        return
    except ANBError as exc:  # main() turns these into exit 2; none may escape it
        raise AssertionError(f"{argv}: ANBError escaped main(): {exc}") from None
    assert rc in (0, 2, 141), (argv, rc)


@st.composite
def command_lines(draw, sub: str):
    flags = _flags(sub)
    argv = [sub]
    required = list(REQUIRED[sub])
    if sub == "search":
        required.append(draw(st.sampled_from(["rs", "re", "reinforce", "re-pareto", "foo"])))
    if draw(st.integers(0, 9)) > 0:
        argv += required
    for _ in range(draw(st.integers(0, 6))):
        if draw(st.booleans()):
            argv.append(draw(st.sampled_from(flags)))
        argv.append(draw(_values()))
    return argv


@pytest.mark.parametrize("sub", ["space", "data", "query", "evaluate", "fit", "search", "compare", "profile"])
def test_cli_only_raises_package_errors(sub, light_cli, capsys):
    @FUZZ
    @given(command_lines(sub))
    def check(argv):
        _run_cli(light_cli, argv)
        capsys.readouterr()

    check()
