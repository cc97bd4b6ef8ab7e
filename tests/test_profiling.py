"""Device profiling: config, manifest, CPU sweep (resume, failures, crashes), schema, ONNX, import."""
from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from naslib_anb.errors import ConfigError, CorruptDataError
from naslib_anb.profiling import ProfileConfig, ProfileRecord, build_manifest, device_label, run_sweep
from naslib_anb.profiling.config import load_config
from naslib_anb.profiling.errors import DeviceUnavailableError
from naslib_anb.profiling.manifest import Entry, from_file, parse_spec
from naslib_anb.profiling.sweep import read_records
from naslib_anb.space import EFFICIENTNET_B0, Arch, make_rng, sample

REPO = Path(__file__).resolve().parents[1]

#: Smallest member of the space: cheapest to build and run.
TINY = Arch.from_fields(e=[1] * 7, k=[3] * 7, l=[1] * 7, se=[False] * 7)


def tiny_cfg(**kw) -> ProfileConfig:
    base = dict(device="cpu", precision="fp32", resolution=32, batch_size=2, latency_batch_size=1,
                warmup_iters=1, iters=2, latency_warmup_iters=1, latency_iters=3, repeats=2, threads=1,
                measure=("throughput", "latency"), group_size=4)
    base.update(kw)
    return ProfileConfig(**base)


def three_archs() -> list[Entry]:
    return [Entry(TINY)] + [Entry(a) for a in sample(make_rng(5), 2)]


# -- config, labels, manifest ----------------------------------------------------------------
@pytest.mark.parametrize("kw", [dict(precision="fp8"), dict(device="gpu"), dict(device="cpu", precision="fp16"),
                                dict(batch_size=0), dict(resolution=8), dict(measure=("power",)),
                                dict(label="H100"), dict(fail_archs=("x:boom",)), dict(energy_window_s=0)])
def test_config_rejects_bad_values(kw):
    base = dict(device="cpu", precision="fp32")
    base.update(kw)
    with pytest.raises(ConfigError):
        ProfileConfig(**base)


def test_config_yaml_files_load(tmp_path):
    for name in ("gpu.yaml", "cpu.yaml", "smoke.yaml"):
        cfg = load_config(REPO / "configs" / "profile" / name)
        assert cfg.resolution in (32, 224)
    gpu = load_config(REPO / "configs" / "profile" / "gpu.yaml", batch_size=64)
    assert gpu.batch_size == 64 and gpu.precision == "fp16" and gpu.channels_last
    bad = tmp_path / "bad.yaml"
    bad.write_text("precison: fp16\n")
    with pytest.raises(ConfigError, match="unknown keys"):
        load_config(bad)


def test_device_label():
    assert device_label("NVIDIA H100 80GB HBM3") == "h100"
    assert device_label("NVIDIA A100-SXM4-40GB") == "a100"
    assert device_label("NVIDIA GeForce RTX 3090") == "3090"
    assert device_label("NVIDIA L40S") == "l40s"
    assert device_label("Some New Chip 7") == "somenewchip7"


def test_manifest_specs(tmp_path):
    a = parse_spec("space:4:3")
    assert [e.arch for e in a] == sample(make_rng(3), 4)
    assert parse_spec("b0")[0].arch == EFFICIENTNET_B0
    lines = tmp_path / "m.txt"
    lines.write_text(f"# comment\n{TINY}\n\n{EFFICIENTNET_B0}  # b0\n")
    js = tmp_path / "m.json"
    js.write_text(json.dumps({"archs": [str(TINY), EFFICIENTNET_B0.to_dict()]}))
    assert [e.arch for e in from_file(lines)] == [TINY, EFFICIENTNET_B0]
    assert [e.arch for e in parse_spec(f"file:{js}")] == [TINY, EFFICIENTNET_B0]
    merged = build_manifest(["b0", f"file:{lines}", str(TINY)])
    assert [e.arch for e in merged] == [EFFICIENTNET_B0, TINY]  # de-duplicated, order kept
    with pytest.raises(ConfigError, match="neither"):
        parse_spec("spaceship:3")
    bad = tmp_path / "bad.txt"
    bad.write_text("e9k3l1s0\n")
    with pytest.raises(ConfigError, match="entry 0"):
        from_file(bad)


def test_manifest_from_dataset(dataset):
    from naslib_anb.profiling.manifest import from_dataset

    ents = from_dataset(n=5, seed=1, dataset=dataset)
    assert len(ents) == 5 and all(e.name and e.name.startswith("result_") for e in ents)
    assert ents == from_dataset(n=5, seed=1, dataset=dataset)
    named = from_dataset(names=["result_17"], dataset=dataset)
    assert named[0].arch == dataset.by_name("result_17").arch


# -- unavailable hardware fails clearly ------------------------------------------------------
def test_cuda_and_nvml_absent_raise_typed_errors():
    torch = pytest.importorskip("torch")
    from naslib_anb.profiling.worker import check_device

    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    with pytest.raises(DeviceUnavailableError, match="CUDA"):
        check_device(ProfileConfig(device="cuda"))
    from naslib_anb.profiling.energy import NvmlDevice

    try:
        NvmlDevice(0).close()
    except DeviceUnavailableError as exc:
        assert "NVML" in str(exc)
    else:
        pytest.skip("NVML works here")


# -- CPU sweep ---------------------------------------------------------------------------------
def _upstream_base(arch: Arch) -> dict:
    """A dataset-style JSON object (numbers made up) for an arch that 'is in the dataset'."""
    from naslib_anb.data.records import PERF_KEYS

    perf = {k: {f"{k.split('_')[0]}_mean": 1000.0, f"{k.split('_')[0]}_std": 1.0} for k in PERF_KEYS}
    return {"architecture": arch.to_dict(), "metrics": {"val_top1": 60.0, "val_top5": 82.0, "train_time": 2000.0},
            "model_info": {"macs": 300.0, "params": 4.0}, "platform_perf": perf}


@pytest.mark.slow
def test_sweep_isolated_failures_crash_resume(tmp_path):
    pytest.importorskip("torch")
    pytest.importorskip("timm")
    ents = three_archs()
    boom, crash, good = ents[1].key, ents[2].key, ents[0].key
    cfg = tiny_cfg(fail_archs=(f"{boom}:raise", f"{crash}:exit"), group_size=3)
    out = tmp_path / "prof"
    res = run_sweep(ents, cfg, out, bases={good: _upstream_base(ents[0].arch)}, progress=False)
    assert res.measured == [good]
    assert sorted(res.failed) == sorted([boom, crash]) and res.crashed == [crash]
    recs = {r.arch: r for r in read_records(out)}
    assert recs[good].ok and recs[good].throughput["throughput_mean"] > 0
    assert len(recs[good].throughput["repeats"]) == 2 and recs[good].latency["latency_mean"] > 0
    assert recs[good].environment["threads"] == 1 and recs[good].environment["resolution"] == 32
    assert recs[good].environment["libraries"]["torch"]
    assert recs[boom].error["type"] == "InjectedFailure" and recs[boom].error["stage"] == "build"
    assert recs[crash].error["type"] == "WorkerCrash"
    assert list((out / "runs").glob("*.json"))

    # the record of a dataset arch is a valid upstream record (extra keys ignored by the loader)
    from naslib_anb.data import parse_record

    obj = json.loads((out / f"{good}.json").read_text())
    rec = parse_record(obj, "x")
    assert rec.val_top1 == 60.0 and rec.arch == ents[0].arch
    assert obj["platform_perf"]["throughput_cpu"]["throughput_mean"] == pytest.approx(
        recs[good].throughput["throughput_mean"])
    # a sampled arch has no accuracy: nulls, not invented numbers
    assert json.loads((out / f"{boom}.json").read_text())["metrics"]["val_top1"] is None

    # resume: nothing is measured again, nothing overwritten
    before = {p.name: p.read_bytes() for p in out.glob("*.json")}
    again = run_sweep(ents, cfg, out, progress=False)
    assert sorted(again.skipped) == sorted(e.key for e in ents) and not again.measured
    assert before == {p.name: p.read_bytes() for p in out.glob("*.json")}

    # --retry-failed measures the failed ones again (injection off), in-process here
    retry = run_sweep(ents, cfg.replace(fail_archs=(), isolate=False), out, retry_failed=True, progress=False)
    assert sorted(retry.measured) == sorted([boom, crash]) and retry.skipped == [good]
    recs = {r.arch: r for r in read_records(out)}
    assert all(r.ok for r in recs.values()) and recs[crash].attempts == 2

    # a different protocol in the same directory is refused, not mixed
    with pytest.raises(ConfigError, match="different protocol"):
        run_sweep(ents, cfg.replace(resolution=64), out, progress=False)
    # another device label (an H200 sweep into an H100 directory) is refused before anything runs
    label = read_records(out)[0].config["label"]
    with pytest.raises(ConfigError, match=f"label: {label!r} there, 'h200' now"):
        run_sweep(ents, cfg.replace(label="h200"), out, progress=False)


def test_oom_is_recorded_in_process(tmp_path):
    pytest.importorskip("torch")
    ents = three_archs()[:2]
    cfg = tiny_cfg(isolate=False, fail_archs=(f"{ents[0].key}:oom",))
    res = run_sweep(ents, cfg, tmp_path, progress=False)
    assert res.failed == [ents[0].key] and res.measured == [ents[1].key]
    rec = {r.arch: r for r in read_records(tmp_path)}[ents[0].key]
    assert rec.error["kind"] == "oom"


def test_profiles_become_a_dataset_and_fit(tmp_path):
    pytest.importorskip("torch")
    from naslib_anb.profiling.dataset import load_profiles
    from naslib_anb.targets import get_target

    ents = [Entry(a) for a in sample(make_rng(11), 4)]
    run_sweep(ents, tiny_cfg(isolate=False, label="tinycpu"), tmp_path, progress=False)
    ds = load_profiles(tmp_path)
    assert len(ds) == 4
    thr = ds.values("throughput_tinycpu")
    assert (thr > 0).all() and get_target("latency_tinycpu").unit == "ms"
    assert math.isnan(ds[0].val_top1)
    df = ds.to_dataframe()
    assert "throughput_tinycpu" in df.columns


def test_fit_round_trip_on_example_records(tmp_path):
    """The shipped H100 example records -> `naslib-anb fit --profiles` -> a loadable benchmark."""
    pytest.importorskip("naslib_anb.surrogates")
    from naslib_anb import targets
    from naslib_anb.benchmark import load_benchmark
    from naslib_anb.cli.main import main

    runs = [REPO / "examples" / "profiling" / "h100_small" / r for r in ("run1", "run2")]
    out = tmp_path / "h100_models"
    assert main(["fit", "--profiles", *map(str, runs), "--out", str(out), "--members", "2",
                 "--folds", "2", "--threads", "1"]) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert set(manifest["targets"]) == {"throughput_h100", "latency_h100"}
    assert manifest["devices"][0]["name"] == "h100"
    # a fresh process knows nothing of h100: loading the model set registers it again
    targets.DEVICES.pop("h100")
    for t in ("throughput_h100", "latency_h100"):
        targets.TARGETS.pop(t)
    bench = load_benchmark(model_dir=out)
    b0 = "e1k3l1s1-e6k3l2s1-e6k5l2s1-e6k3l3s1-e6k5l3s1-e6k5l4s1-e6k3l1s1"
    thr = bench.query(b0, device="h100")
    assert 10_000 < thr < 30_000  # measured B0: about 18,900 img/s
    assert bench.query(b0, device="h100", metric="latency") > 0
    assert targets.get_target("latency_h100").unit == "ms"


# -- records, import, export -----------------------------------------------------------------
def test_record_json_round_trip():
    rec = ProfileRecord(arch=str(TINY), label="h100", status="ok",
                        throughput={"throughput_mean": 100.0, "throughput_std": 1.0},
                        latency={"latency_mean": 2.0, "latency_std": 0.1})
    obj = rec.to_json()
    assert obj["platform_perf"]["latency_h100"] == {"latency_mean": 2.0, "latency_std": 0.1}
    assert obj["platform_perf"]["throughput_a100"]["throughput_mean"] is None
    assert obj["model_info"]["macs"] > 0
    back = ProfileRecord.from_json(json.loads(json.dumps(obj)))
    assert back.throughput == rec.throughput and back.arch == rec.arch
    with pytest.raises(CorruptDataError):
        ProfileRecord.from_json({"architecture": {}})


def test_import_external_results(tmp_path):
    from naslib_anb.profiling.dataset import load_profiles
    from naslib_anb.profiling.importer import import_results

    archs = sample(make_rng(2), 3)
    csv = tmp_path / "fpga.csv"
    csv.write_text("arch,throughput_mean,latency_mean,latency_std,error\n"
                   f"{archs[0]},812.5,3.1,,\n{archs[1]},640,4.2,0.05,\n{archs[2]},,,,compile failed\n")
    out = tmp_path / "zcu104"
    res = import_results(csv, "zcu104", out, {"precision": "int8", "tool": "Vitis-AI 3.5"})
    assert res["written"] == 3
    recs = {r.arch: r for r in read_records(out)}
    assert recs[str(archs[0])].throughput["throughput_mean"] == 812.5
    assert recs[str(archs[0])].source == "imported"
    assert recs[str(archs[2])].status == "error"
    ds = load_profiles(out)
    assert sorted(ds.values("latency_zcu104")) == [3.1, 4.2]
    again = import_results(csv, "zcu104", out)
    assert again["kept_existing"] == 3  # collected data is not overwritten
    bad = tmp_path / "bad.csv"
    bad.write_text(f"arch,throughput_mean\n{archs[0]},fast\n")
    with pytest.raises(ConfigError, match="expected a number"):
        import_results(bad, "zcu104", tmp_path / "x")
    with pytest.raises(ConfigError, match="label"):
        import_results(csv, "ZCU-104", tmp_path / "y")


def test_onnx_export_checks(tmp_path):
    pytest.importorskip("torch")
    onnx = pytest.importorskip("onnx")
    from naslib_anb.profiling.export import export_onnx

    path = export_onnx(TINY, tmp_path / "tiny.onnx", resolution=32)
    model = onnx.load(str(path))
    assert [i.name for i in model.graph.input] == ["images"]
    dims = model.graph.input[0].type.tensor_type.shape.dim
    assert dims[0].dim_param == "batch" and [d.dim_value for d in dims[1:]] == [3, 32, 32]


# -- command line ----------------------------------------------------------------------------
def test_cli_run_summary_compare(tmp_path, capsys):
    pytest.importorskip("torch")
    from naslib_anb.cli.main import main

    smoke = str(REPO / "configs" / "profile" / "smoke.yaml")
    args = ["profile", "run", "--config", smoke, "--archs", str(TINY), "--archs", "space:1:4", "--no-isolate",
            "--no-progress", "--json"]
    assert main(args + ["--out", str(tmp_path / "a")]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["measured"] == 2
    assert main(args + ["--out", str(tmp_path / "b")]) == 0
    capsys.readouterr()
    csv = tmp_path / "a.csv"
    assert main(["profile", "summary", str(tmp_path / "a"), "--csv", str(csv)]) == 0
    assert csv.read_text().startswith("arch,device,status")
    assert main(["profile", "compare", str(tmp_path / "a"), str(tmp_path / "b"), "--json"]) == 0
    out = capsys.readouterr().out
    cmp = json.loads(out[out.index("{"):])
    assert cmp["archs"] == 2 and cmp["max_range_rel"] >= 0
    assert main(["profile", "run", "--archs", "space:1", "--out", str(tmp_path / "c"), "--device", "cpu",
                 "--precision", "fp16"]) == 2  # typed config error -> exit 2
    assert "fp16" in capsys.readouterr().err


def test_failure_injection_env_var(tmp_path, monkeypatch):
    pytest.importorskip("torch")
    from naslib_anb.profiling.worker import FAIL_ENV

    ents = three_archs()[:2]
    monkeypatch.setenv(FAIL_ENV, ents[1].key)
    res = run_sweep(ents, tiny_cfg(isolate=False), tmp_path, progress=False)
    assert res.failed == [ents[1].key] and res.measured == [ents[0].key]


# -- runner cases: one clear line, exit 2 --------------------------------------------------------
def test_profile_runner_bad_inputs_give_one_clear_line(tmp_path, capsys):
    torch = pytest.importorskip("torch")
    from naslib_anb.cli.profile_cmd import main

    run = ["run", "--archs", str(TINY), "--no-progress", "--no-isolate", "--device", "cpu", "--precision", "fp32",
           "--resolution", "32", "--batch-size", "2", "--iters", "1", "--repeats", "1"]
    cases = [(run + ["--out", "/proc/no/such/dir", "--measure", "throughput"], "not a writable directory"),
             (run + ["--out", str(tmp_path / "e"), "--measure", "energy", "--config",
                     str(REPO / "configs" / "profile" / "smoke.yaml")], None)]
    if not torch.cuda.is_available():
        cases.append((["run", "--archs", "b0", "--device", "cuda", "--out", str(tmp_path / "g"), "--no-progress"],
                      "CUDA device 'cuda' is not available"))
    for argv, msg in cases:
        if msg is None:  # energy on CPU: RAPL here or not
            from naslib_anb.profiling.rapl import RaplPackages

            try:
                RaplPackages()
                continue  # this machine has readable RAPL: measured, covered below with a counter tree
            except DeviceUnavailableError:
                msg = "CPU package energy (RAPL) is not available"
        assert main(argv) == 2, argv
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and msg in err[0] and ("valid" in err[0] or "use --device cpu" in err[0]), err
    assert not (tmp_path / "e").exists() or not list((tmp_path / "e").glob("*.json"))  # no all-null records

    pytest.importorskip("onnx")
    existing = tmp_path / "existing.csv"
    existing.write_text("keep me")
    for out, msg in ((tmp_path, "is a directory"), (existing, "already exists"),
                     (Path("/proc/no/such/x.onnx"), "not a writable directory")):
        assert main(["export-onnx", str(TINY), "--out", str(out), "--resolution", "32"]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and msg in err[0]
    assert existing.read_text() == "keep me"  # never overwritten


def _fake_rapl(root: Path, packages=((1000, 2**32 - 1),)) -> Path:
    for i, (energy, top) in enumerate(packages):
        z = root / f"intel-rapl:{i}"
        (z / f"intel-rapl:{i}:0").mkdir(parents=True)  # a core sub-zone: not a package, ignored
        (z / "name").write_text(f"package-{i}\n")
        (z / "energy_uj").write_text(f"{energy}\n")
        (z / "max_energy_range_uj").write_text(f"{top}\n")
    return root


def test_rapl_counters_are_read_summed_and_unwrapped(tmp_path):
    from naslib_anb.profiling.rapl import RaplPackages

    root = _fake_rapl(tmp_path / "powercap", ((5_000_000, 10_000_000), (1_000, 10_000_000)))
    rapl = RaplPackages(root)
    assert rapl.names == ["package-0", "package-1"] and rapl.read_uj() == [5_000_000, 1_000]
    # package 0 wrapped (9.5 J -> 0.5 J on a 10 J counter): 1.0 J + 1 uJ; package 1: +2 J
    assert rapl.joules([9_500_000, 1_000], [499_999, 2_001_000]) == pytest.approx(1.0 + 2.0)
    with pytest.raises(DeviceUnavailableError, match="no intel-rapl:N package zone"):
        RaplPackages(tmp_path)
    with pytest.raises(DeviceUnavailableError, match="does not exist"):
        RaplPackages(tmp_path / "nope")


def test_cpu_energy_through_rapl_with_a_batch_size_sweep(tmp_path):
    """--measure energy on CPU reads the package counters (here a powercap tree), gross and net per
    image, at the throughput batch and over a batch ladder 1, 2, 4."""
    pytest.importorskip("torch")
    from naslib_anb.profiling.energy import batch_ladder

    assert batch_ladder(512) == [1, 2, 4, 8, 16, 32, 64, 128, 256, 512] and batch_ladder(6) == [1, 2, 4, 6]
    root = _fake_rapl(tmp_path / "powercap")
    cfg = tiny_cfg(measure=("throughput", "energy"), isolate=False, rapl_root=str(root), energy_window_s=0.05,
                   energy_repeats=1, idle_window_s=0.05, energy_sweep=True, energy_max_batch=4)
    res = run_sweep([Entry(TINY)], cfg, tmp_path / "out", progress=False)
    assert res.measured == [str(TINY)]
    rec = read_records(tmp_path / "out")[0]
    e = rec.energy
    assert e["method"] == "rapl_package_energy_counter" and e["batch_size"] == 2
    assert all(math.isfinite(e[k]) for k in ("gross_j_per_image_mean", "net_j_per_image_mean", "idle_power_w"))
    assert e["sweep"]["batch_sizes"] == [1, 2, 4] and e["sweep"]["largest_batch"] == 4
    assert [p["batch_size"] for p in e["sweep"]["points"]] == [1, 2, 4]
    assert rec.environment["idle_baseline"]["method"] == "rapl_package_energy_counter"


def test_upstream_protocol_on_real_images_is_recorded(tmp_path):
    """protocol upstream: validation images, one untimed pass, `repeats` timed passes of full batches;
    the protocol is in every record and a directory never mixes protocols."""
    pytest.importorskip("torchvision")
    from naslib_anb.training import make_image_folder

    imgs = make_image_folder(tmp_path / "imgs", num_classes=2, train_per_class=1, val_per_class=5)
    with pytest.raises(ConfigError, match="val_data"):
        tiny_cfg(protocol="upstream")
    cfg = tiny_cfg(protocol="upstream", val_data=str(imgs), batch_size=4, repeats=3, isolate=False,
                   measure=("throughput",))
    res = run_sweep([Entry(TINY)], cfg, tmp_path / "out", progress=False)
    assert res.measured == [str(TINY)]
    doc = json.loads((tmp_path / "out" / f"{TINY}.json").read_text())
    t = doc["profiling"]["throughput"]
    assert doc["profiling"]["protocol"] == "upstream" and doc["profiling"]["config"]["protocol"] == "upstream"
    assert t["method"] == "perf_counter_upstream" and t["iters"] == 2 and len(t["repeats"]) == 3  # 10 images // 4
    with pytest.raises(ConfigError, match="protocol"):
        run_sweep([Entry(TINY), three_archs()[1]], tiny_cfg(isolate=False), tmp_path / "out", progress=False)
    with pytest.raises(ConfigError, match="fewer than one batch"):
        run_sweep([Entry(TINY)], cfg.replace(batch_size=64), tmp_path / "out2", progress=False)
    from naslib_anb.cli.profile_cmd import main  # the same through the command line

    assert main(["run", "--archs", str(TINY), "--device", "cpu", "--precision", "fp32", "--resolution", "32",
                 "--batch-size", "5", "--repeats", "2", "--threads", "1", "--measure", "throughput", "--no-isolate",
                 "--no-progress", "--protocol", "upstream", "--val-data", str(imgs), "--out", str(tmp_path / "cli")]) == 0
    doc = json.loads((tmp_path / "cli" / f"{TINY}.json").read_text())
    assert doc["profiling"]["protocol"] == "upstream" and doc["profiling"]["throughput"]["iters"] == 2


def _cuda() -> bool:
    try:
        import torch
    except ImportError:
        return False
    return torch.cuda.is_available()


@pytest.mark.gpu
@pytest.mark.skipif(not _cuda(), reason="needs a CUDA device")
def test_gpu_upstream_protocol_and_energy_sweep(tmp_path):
    """On a GPU: the upstream protocol with CUDA events, NVML energy over a batch ladder that ends at
    the largest batch that fits (or energy_max_batch), CPU package energy beside it where exposed."""
    from naslib_anb.training import make_image_folder

    imgs = make_image_folder(tmp_path / "imgs", num_classes=2, train_per_class=1, val_per_class=16)
    cfg = ProfileConfig(device="cuda", precision="fp16", resolution=64, batch_size=8, repeats=3, isolate=False,
                        protocol="upstream", val_data=str(imgs), measure=("throughput", "energy"),
                        energy_window_s=0.5, energy_repeats=1, idle_window_s=0.5, energy_sweep=True,
                        energy_max_batch=64)
    res = run_sweep([Entry(TINY)], cfg, tmp_path / "out", progress=False)
    assert res.measured == [str(TINY)]
    rec = read_records(tmp_path / "out")[0]
    assert rec.throughput["method"] == "cuda_events_upstream" and rec.throughput["iters"] == 4
    sweep = rec.energy["sweep"]
    assert sweep["batch_sizes"][0] == 1 and sweep["largest_batch"] == sweep["batch_sizes"][-1]
    assert all(p["gross_j_per_image_mean"] > 0 for p in sweep["points"])
    assert ("cpu_package" in rec.energy) == ("energy_unavailable" not in rec.environment)


def test_default_measurements_leave_out_energy_where_there_is_no_counter(tmp_path, capsys, monkeypatch):
    """Not asked for, energy is dropped with a note when the machine has no counter; asked for, it is an error."""
    pytest.importorskip("torch")
    from naslib_anb.cli.profile_cmd import main
    from naslib_anb.profiling import worker

    def no_counter(cfg):
        if "energy" in cfg.measure:
            raise DeviceUnavailableError("CPU package energy (RAPL)", "no counter in this test")

    monkeypatch.setattr(worker, "check_energy", no_counter)
    run = ["run", "--archs", str(TINY), "--no-progress", "--no-isolate", "--device", "cpu", "--precision", "fp32",
           "--resolution", "32", "--batch-size", "2", "--iters", "1", "--repeats", "1", "--warmup-iters", "1",
           "--latency-iters", "1", "--latency-warmup-iters", "1"]
    assert main(run + ["--out", str(tmp_path / "d")]) == 0
    err = capsys.readouterr().err
    assert "energy not measured" in err
    assert main(run + ["--out", str(tmp_path / "e"), "--measure", "throughput,energy"]) == 2
    assert "RAPL" in capsys.readouterr().err
