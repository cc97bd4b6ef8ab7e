"""Collection at scale on CPU: seeded sampling, submitit local executor, kill and resume, retries."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from _proc import kill_when

from naslib_anb.errors import ConfigError, UnknownChoiceError
from naslib_anb.training.collect import CollectSpec, make_plan, run_collection, sample_archs, status

REPO = Path(__file__).resolve().parents[1]
TINY = REPO / "configs" / "train" / "tiny_cpu.yaml"


def test_samplers_are_seeded_distinct_and_follow_regimes():
    a = sample_archs(50, 1)
    assert [str(x) for x in a] == [str(x) for x in sample_archs(50, 1)]
    assert len({str(x) for x in a}) == 50
    assert all(not any(x.se) and x.l[5] <= 3 for x in sample_archs(30, 2, "regime1"))
    assert all(x.l[5] <= 3 for x in sample_archs(30, 2, "regime2"))
    assert all(x.l[5] == 4 for x in sample_archs(30, 2, "regime3"))
    ex = [str(x) for x in sample_archs(5, 9)]
    assert not set(ex) & {str(x) for x in sample_archs(40, 9, exclude=ex)}
    with pytest.raises(UnknownChoiceError, match="uniform"):
        sample_archs(3, 0, "gaussian")


def test_plan_is_fixed_once_written(tmp_path):
    from naslib_anb.training import TrainConfig

    spec = CollectSpec(str(tmp_path), 3, seed=1, config=TrainConfig().to_dict())
    assert make_plan(spec) == make_plan(spec)
    with pytest.raises(ConfigError, match="use a new out_dir"):
        make_plan(CollectSpec(str(tmp_path), 4, seed=1, config=TrainConfig().to_dict()))


def test_failures_are_recorded_and_retried_then_given_up(tmp_path):
    pytest.importorskip("torch")
    from naslib_anb.training import load_config

    cfg = load_config(TINY, {"data_dir": str(tmp_path / "no_such_data")})
    spec = CollectSpec(str(tmp_path / "out"), 2, seed=0, config=cfg.to_dict(), max_retries=1)
    st = run_collection(spec, executor="inline")
    assert st["done"] == 0 and set(st["failed"].values()) == {1}
    st = run_collection(spec, executor="inline")
    assert st["failed"] == {} and set(st["gave_up"].values()) == {2} and st["pending"] == 0
    st = run_collection(spec, executor="inline")  # attempts > max_retries: not tried again
    assert st["outcomes"] == {} and set(st["gave_up"].values()) == {2} and st["pending"] == 0
    err = json.loads(next((tmp_path / "out" / "state").glob("*.json")).read_text())["error"]
    assert "no_such_data" in err


def test_local_executor_kill_and_resume_then_fit(tmp_path):
    """Kill the collector midway (process group), rerun: every planned arch exactly once, nothing lost."""
    pytest.importorskip("torch")
    pytest.importorskip("submitit")
    from naslib_anb.data import load_dataset
    from naslib_anb.training import make_image_folder

    root = make_image_folder(tmp_path / "imgs", num_classes=4, train_per_class=8, val_per_class=4)
    out = tmp_path / "out"
    cmd = [sys.executable, str(REPO / "runners" / "collect.py"), "--n", "4", "--seed", "3", "--config", str(TINY),
           "--data", str(root), "--out", str(out), "--executor", "local", "--chunk-size", "4",
           "--set", "epochs=2", "val_last_epochs=1"]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO)}
    p = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    results = out / "results"
    kill_when(p, lambda: len(list(results.glob("result_*.json"))) >= 1, timeout=150)
    n_before = len(list(results.glob("result_*.json")))
    assert 1 <= n_before < 4
    before = {f.name: f.read_bytes() for f in results.glob("result_*.json")}

    r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    plan = json.loads((out / "plan.json").read_text())["archs"]
    files = sorted(results.glob("*"))
    assert sorted(f.name for f in files) == sorted(f"result_{a}.json" for a in plan)  # no tmp, no duplicates
    assert all((results / k).read_bytes() == v for k, v in before.items())  # finished ones untouched
    for a in plan:
        curve = json.loads((out / "curves" / f"{a}.json").read_text())
        assert [e["epoch"] for e in curve["epochs"]] == [0, 1]
    assert not list((out / "locks").glob("*")) and status(out)["pending"] == 0
    ds = load_dataset(results, allow_download=False)
    assert sorted(str(rec.arch) for rec in ds) == sorted(plan)

    # a rerun with the same arguments is a no-op
    from naslib_anb.training import load_config

    cfg = load_config(TINY, {"data_dir": str(root.resolve()), "epochs": 2, "val_last_epochs": 1})
    st = run_collection(CollectSpec(str(out), 4, seed=3, config=cfg.to_dict()), executor="inline")
    assert st["done"] == 4 and st["outcomes"] == {}

    # refit the surrogates on the collected records with the package's own fit command
    if not (REPO / "naslib_anb" / "cli" / "fit_cmd.py").exists():
        pytest.skip("naslib-anb fit is not available in this checkout")
    r = subprocess.run([sys.executable, "-m", "naslib_anb.cli.main", "fit", "--data", str(results), "--split", "all",
                        "--targets", "val_top1", "train_time", "--members", "2", "--folds", "2", "--threads", "1",
                        "--out", str(tmp_path / "fitted")], env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    assert (tmp_path / "fitted" / "manifest.json").is_file() and (tmp_path / "fitted" / "val_top1").exists()


def test_slurm_job_array_submission_with_fake_sbatch(tmp_path, monkeypatch):
    """The SLURM path builds one job array (chunks as tasks, parallelism cap, GPUs per node) via submitit."""
    pytest.importorskip("submitit")
    from naslib_anb.training import TrainConfig

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "srun").write_text("#!/bin/sh\nexit 0\n")
    (bin_dir / "sbatch").write_text(f"#!/bin/sh\ncp \"$1\" {tmp_path}/submitted.sh\necho 'Submitted batch job 4242'\n")
    for f in bin_dir.iterdir():
        f.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    spec = CollectSpec(str(tmp_path / "out"), 5, seed=0, config=TrainConfig().to_dict(), nproc=4)
    st = run_collection(spec, executor="slurm", chunk_size=2, wait=False,
                        slurm={"slurm_partition": "gpu", "gpus_per_node": 4, "cpus_per_task": 32,
                               "slurm_array_parallelism": 2})
    assert st["submitted"] == ["4242_0", "4242_1", "4242_2"] and st["pending"] == 5
    script = (tmp_path / "submitted.sh").read_text()
    assert "#SBATCH --array=0-2%2" in script and "#SBATCH --partition=gpu" in script
    assert "#SBATCH --gpus-per-node=4" in script


def _load_runner():
    import importlib.util

    sp = importlib.util.spec_from_file_location("collect_runner", REPO / "runners" / "collect.py")
    mod = importlib.util.module_from_spec(sp)
    sp.loader.exec_module(mod)
    return mod


def test_memory_skipped_archs_are_final_not_failed(tmp_path, monkeypatch, capsys):
    """An arch over the memory limit is recorded as skipped (not failed, not retried, not pending),
    in-process and through torchrun's launcher, and the runner then exits 0."""
    pytest.importorskip("torch")
    from naslib_anb.training import engine, launch, load_config

    calls = []

    def probe(cfg, model, env, num_classes):
        calls.append(1)
        return 99.0

    monkeypatch.setattr(engine, "train_memory_gb", probe)  # no GPU here: pretend the probe ran
    cfg = load_config(TINY, {"num_classes": 4, "max_train_memory_gb": 1.0, "data_dir": str(tmp_path / "none")})
    spec = CollectSpec(str(tmp_path / "out"), 2, seed=0, config=cfg.to_dict(), max_retries=3)
    st = run_collection(spec, executor="inline")
    assert set(st["outcomes"].values()) == {"skipped_memory"} and len(calls) == 2
    assert st["failed"] == {} and st["gave_up"] == {} and st["pending"] == 0
    assert set(st["skipped"].values()) == {"skipped_memory"} and len(st["skipped"]) == 2
    st = run_collection(spec, executor="inline")
    assert st["outcomes"] == {} and len(calls) == 2  # never retried
    rc = _load_runner().main(["--n", "2", "--seed", "0", "--config", str(TINY), "--out", str(tmp_path / "out"),
                              "--executor", "inline", "--max-retries", "3", "--set", "num_classes=4",
                              "max_train_memory_gb=1.0", f"data_dir={tmp_path / 'none'}"])
    assert rc == 0 and '"skipped"' in capsys.readouterr().out

    # torchrun path: the launcher returns None on skipped.json (a result would be returned instead)
    def fake_run(cmd, **kw):
        out = Path(cmd[cmd.index("--out") + 1])
        (out / "skipped.json").write_text("{}")
        return subprocess.CompletedProcess(cmd, 0, "", "")

    monkeypatch.setattr(launch.subprocess, "run", fake_run)
    assert launch.run_torchrun(cfg, "x", tmp_path / "tr", 2) is None
    assert not list((tmp_path / "tr").glob("*.yaml"))  # the private launch config is removed
    spec2 = CollectSpec(str(tmp_path / "out2"), 1, seed=0, config=cfg.to_dict(), nproc=2)
    st = run_collection(spec2, executor="inline")
    assert list(st["outcomes"].values()) == ["skipped_memory"] and st["failed"] == {} and st["pending"] == 0

    # on a GPU even one process per architecture runs in a subprocess (a CUDA fault stays there)
    from naslib_anb.training import collect

    monkeypatch.setattr(collect, "_cuda_available", lambda: True)
    launched = []
    monkeypatch.setattr(launch.subprocess, "run", lambda cmd, **kw: (launched.append(cmd), fake_run(cmd))[1])
    st = run_collection(CollectSpec(str(tmp_path / "out3"), 1, seed=0, config=cfg.to_dict()), executor="inline")
    assert list(st["outcomes"].values()) == ["skipped_memory"]
    assert len(launched) == 1 and "--nproc_per_node=1" in launched[0]


def test_stale_locks_break_once_and_heartbeat_keeps_a_lock_fresh(tmp_path):
    from naslib_anb.training.collect import _Heartbeat, _try_lock

    lock = tmp_path / "locks" / "a.lock"
    lock.parent.mkdir()
    lock.write_text(json.dumps({"host": "another-host", "pid": 1}))
    assert _try_lock(lock, ttl=600) is None  # fresh heartbeat: held
    old = time.time() - 3600
    os.utime(lock, (old, old))
    ino = _try_lock(lock, ttl=600)
    assert ino is not None and json.loads(lock.read_text())["pid"] == os.getpid()
    assert sorted(p.name for p in lock.parent.iterdir()) == ["a.lock"]  # stale copy and temp file gone
    assert _try_lock(lock, ttl=600) is None  # now ours and fresh
    os.utime(lock, (old, old))
    with _Heartbeat(lock, ino, interval=0.05):
        deadline = time.time() + 5
        while lock.stat().st_mtime < old + 10 and time.time() < deadline:
            time.sleep(0.02)
        assert time.time() - lock.stat().st_mtime < 60  # touched by the heartbeat
    assert not lock.exists()  # released on exit
    # a lock of a dead process on this host is stale at once
    import socket

    lock.write_text(json.dumps({"host": socket.gethostname(), "pid": 2**22 + 12345}))
    assert _try_lock(lock, ttl=600) is not None


def test_cleanup_keeps_young_temp_files(tmp_path):
    from naslib_anb.training.collect import _cleanup_tmp

    (tmp_path / "results").mkdir()
    young, orphan = tmp_path / "results" / "a.json.1.tmp", tmp_path / "results" / "b.json.2.tmp"
    young.write_text("x")
    orphan.write_text("x")
    old = time.time() - 2 * 3600
    os.utime(orphan, (old, old))
    _cleanup_tmp(tmp_path)
    assert young.exists() and not orphan.exists()
