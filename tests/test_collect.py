"""Collection at scale on CPU: seeded sampling, submitit local executor, kill and resume, retries."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from _proc import kill_when

from naslib_anb.errors import ConfigError, UnknownChoiceError
from naslib_anb.training.collect import CollectSpec, make_plan, run_collection, sample_archs, status
from naslib_anb.training.evaluate import EvalOptions

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


@pytest.mark.slow
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
    assert status(out)["pending"] == 0 and status(out)["running"] == 0
    leftovers = [p for p in out.rglob("*") if p.name.endswith(".tmp") or p.name in ("checkpoint.pt", "model.pt")]
    assert leftovers == []  # no orphan temporaries, no checkpoint of a finished run, no unrequested weights
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
    slurm = {"slurm_partition": "gpu", "gpus_per_node": 4, "cpus_per_task": 32, "slurm_array_parallelism": 2}
    st = run_collection(spec, executor="slurm", chunk_size=2, slurm=slurm)  # SLURM: returns once submitted
    assert st["submitted"] == ["4242_0", "4242_1", "4242_2"] and st["done"] == 0
    script = (tmp_path / "submitted.sh").read_text()
    assert "#SBATCH --array=0-2%2" in script and "#SBATCH --partition=gpu" in script
    assert "#SBATCH --gpus-per-node=4" in script
    assert "#SBATCH --signal=USR2@" in script  # submitit's preemption/timeout signal: the task requeues
    jobs = json.loads((tmp_path / "out" / "jobs.json").read_text())
    assert sorted({e["job_id"] for e in jobs.values()}) == st["submitted"] and len(jobs) == 5

    # status comes from the results directory and sacct; a resubmission skips what is queued or running
    sacct = bin_dir / "sacct"
    sacct.write_text("#!/bin/sh\necho 'JobID|State|NodeList'\n"
                     "for i in 0 1 2; do echo \"4242_$i|$(cat " + str(tmp_path / "state") + ")|n1\"; done\n")
    sacct.chmod(0o755)
    (tmp_path / "state").write_text("RUNNING")
    (tmp_path / "submitted.sh").unlink()
    st = run_collection(spec, executor="slurm", chunk_size=2, slurm=slurm)
    assert st["submitted"] == [] and st["running"] == 5 and st["pending"] == 0
    assert not (tmp_path / "submitted.sh").exists()
    (tmp_path / "state").write_text("PREEMPTED")  # still the job's: SLURM requeues it
    assert status(tmp_path / "out")["running"] == 5
    (tmp_path / "state").write_text("CANCELLED by 0")  # gone: its architectures are submitted again
    assert status(tmp_path / "out")["pending"] == 5
    st = run_collection(spec, executor="slurm", chunk_size=2, slurm=slurm)
    assert st["submitted"] == ["4242_0", "4242_1", "4242_2"]


def _load_runner():
    from _scripts import load_script

    return load_script("runners/collect.py")


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
    real_popen = subprocess.Popen

    def fake_run(cmd, **kw):
        out = Path(cmd[cmd.index("--out") + 1])
        (out / "skipped.json").write_text("{}")
        return real_popen(["true"], **kw)

    monkeypatch.setattr(launch.subprocess, "Popen", fake_run)
    assert launch.run_torchrun(cfg, "x", tmp_path / "tr", 2) is None
    assert not list((tmp_path / "tr").glob("*.yaml"))  # the private launch config is removed
    spec2 = CollectSpec(str(tmp_path / "out2"), 1, seed=0, config=cfg.to_dict(), nproc=2)
    st = run_collection(spec2, executor="inline")
    assert list(st["outcomes"].values()) == ["skipped_memory"] and st["failed"] == {} and st["pending"] == 0

    # on a GPU even one process per architecture runs in a subprocess (a CUDA fault stays there)
    from naslib_anb.training import evaluate

    monkeypatch.setattr(evaluate, "_cuda_available", lambda: True)
    launched = []
    monkeypatch.setattr(launch.subprocess, "Popen", lambda cmd, **kw: (launched.append(cmd), fake_run(cmd, **kw))[1])
    st = run_collection(CollectSpec(str(tmp_path / "out3"), 1, seed=0, config=cfg.to_dict()), executor="inline")
    assert list(st["outcomes"].values()) == ["skipped_memory"]
    assert len(launched) == 1 and "--nproc_per_node=1" in launched[0]


def _cfg(root, **over):
    from naslib_anb.training import load_config

    return load_config(TINY, {"data_dir": str(Path(root).resolve()), **over})


@pytest.mark.slow
def test_preempted_task_is_requeued_and_resumes_from_its_last_epoch(tmp_path, monkeypatch):
    """submitit's LocalExecutor: preempt (USR2) a task right after epoch 0's checkpoint; submitit
    requeues it (Checkpointable) and the requeued task resumes at epoch 1, not from scratch."""
    pytest.importorskip("torch")
    pytest.importorskip("submitit")
    from _collect_helpers import PausingTask

    from naslib_anb.training import make_image_folder
    from naslib_anb.training.evaluate import evaluate_archs

    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(REPO), str(REPO / "tests")]))
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    root = make_image_folder(tmp_path / "imgs", num_classes=4, train_per_class=8, val_per_class=4)
    arch = str(sample_archs(1, 5)[0])
    out = tmp_path / "out"
    result = {}

    def submit():
        result.update(evaluate_archs([arch], _cfg(root, epochs=3, val_last_epochs=1), out, executor="local",
                                     task_factory=PausingTask))

    import threading

    t = threading.Thread(target=submit)
    t.start()
    marker = out / "paused.json"
    deadline = time.time() + 240
    while not marker.exists() and t.is_alive() and time.time() < deadline:
        time.sleep(0.05)
    assert marker.exists(), "the task never reached the end of epoch 0"
    assert (out / "runs" / arch / "checkpoint.pt").is_file()  # epoch 0 is saved before the pause
    os.kill(json.loads(marker.read_text())["pid"], signal.SIGUSR2)  # what SLURM sends on preemption/timeout
    t.join(timeout=300)
    assert not t.is_alive()
    assert result["outcomes"] == {arch: "trained"} and result["done"] == 1
    log = [json.loads(x) for x in (out / "epochs.log").read_text().splitlines()]
    pids = [p for p, _, _ in log]
    assert [e for _, _, e in log] == [0, 1, 2] and pids[0] != pids[1] == pids[2]  # resumed at epoch 1
    curve = json.loads((out / "curves" / f"{arch}.json").read_text())
    assert [e["epoch"] for e in curve["epochs"]] == [0, 1, 2]
    assert not (out / "runs" / arch).exists()  # finished: its checkpoint is removed


def test_resubmission_skips_architectures_owned_by_a_live_job(tmp_path):
    """Idempotent: an architecture whose recorded job is alive is neither trained nor counted pending."""
    pytest.importorskip("torch")
    from naslib_anb.training import make_image_folder
    from naslib_anb.training.evaluate import _pid_start, campaign_status, evaluate_archs

    root = make_image_folder(tmp_path / "imgs", num_classes=4, train_per_class=8, val_per_class=4)
    a, b = (str(x) for x in sample_archs(2, 11))
    out = tmp_path / "out"
    cfg = _cfg(root, epochs=1, val_last_epochs=1)
    evaluate_archs([], cfg, out, executor="inline")
    me = {"executor": "local", "job_id": "1", "pid": os.getpid(), "start": _pid_start(os.getpid())}
    (out / "jobs.json").write_text(json.dumps({a: me}))
    st = evaluate_archs([a, b], cfg, out, executor="inline")
    assert st["outcomes"] == {b: "trained"} and st["running"] == 1 and st["pending"] == 0
    # its job gone (a reused pid has another start time): the architecture is pending and trained
    (out / "jobs.json").write_text(json.dumps({a: {**me, "start": "0"}}))
    assert campaign_status(out)["pending"] == 1
    st = evaluate_archs([a, b], cfg, out, executor="inline")
    assert st["outcomes"] == {a: "trained"} and st["done"] == 2
    with pytest.raises(ConfigError, match="epochs"):  # one recipe per results directory
        evaluate_archs([a], cfg.replace(epochs=2), out, executor="inline")


def test_orphan_temporaries_of_an_architecture_are_removed_by_its_next_task(tmp_path):
    pytest.importorskip("torch")
    from naslib_anb.training import make_image_folder
    from naslib_anb.training.evaluate import evaluate_archs

    root = make_image_folder(tmp_path / "imgs", num_classes=4, train_per_class=8, val_per_class=4)
    a = str(sample_archs(1, 12)[0])
    out = tmp_path / "out"
    cfg = _cfg(root, epochs=1, val_last_epochs=1)
    evaluate_archs([], cfg, out, executor="inline")
    orphans = [out / "runs" / a / "checkpoint.pt.k1ll3d.tmp", out / "results" / f"result_{a}.json.x1.tmp",
               out / "curves" / f"{a}.json.x2.tmp"]
    other = out / "results" / "result_someone-else.json.x3.tmp"  # another architecture's writer
    for p in orphans + [other]:
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(b"x" * 100)
    st = evaluate_archs([a], cfg, out, executor="inline", options=EvalOptions(keep_checkpoints=True))
    assert st["outcomes"] == {a: "trained"}
    assert not any(p.exists() for p in orphans) and other.exists()
    assert (out / "runs" / a / "checkpoint.pt").is_file() and not (out / "runs" / a / "model.pt").exists()


def _session_pids(sid: int) -> list[int]:
    out = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                raw = (d / "stat").read_text()
            except OSError:
                continue
            rest = raw[raw.rindex(")") + 2:].split()
            if int(rest[3]) == sid and rest[0] != "Z":
                out.append(int(d.name))
    return out


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
def test_killing_only_the_runner_stops_its_local_workers(tmp_path):
    pytest.importorskip("torch")
    pytest.importorskip("submitit")
    from naslib_anb.training import make_image_folder

    root = make_image_folder(tmp_path / "imgs", num_classes=4, train_per_class=8, val_per_class=4)
    out = tmp_path / "out"
    cmd = [sys.executable, str(REPO / "runners" / "collect.py"), "--n", "4", "--seed", "3", "--config", str(TINY),
           "--data", str(root), "--out", str(out), "--executor", "local", "--chunk-size", "4"]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO)}
    p = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    try:
        # kill the runner once its task has started training (a run directory exists)
        kill_point = lambda: (out / "runs").is_dir() and any((out / "runs").iterdir())  # noqa: E731
        deadline = time.time() + 240
        while p.poll() is None and time.time() < deadline and not kill_point():
            time.sleep(0.05)
        assert p.poll() is None and kill_point(), p.stderr.read().decode()[-3000:] if p.poll() is not None else ""
        os.kill(p.pid, signal.SIGKILL)  # the runner only, not its process group
        p.wait()
        deadline = time.time() + 120
        while _session_pids(p.pid) and time.time() < deadline:
            time.sleep(0.1)
        assert _session_pids(p.pid) == []  # its controller and task ended with it
        assert status(out)["done"] < 4 and status(out)["running"] == 0
    finally:
        for pid in _session_pids(p.pid):
            os.kill(pid, signal.SIGKILL)


def test_fit_refuses_fewer_records_than_folds(tmp_path, dataset):
    recs = tmp_path / "results"
    recs.mkdir()
    for r in list(dataset.unique())[:3]:
        (recs / f"{r.name}.json").write_text(json.dumps(r.to_json()))
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO)}
    r = subprocess.run([sys.executable, "-m", "naslib_anb.cli.main", "fit", "--data", str(recs), "--split", "all",
                        "--targets", "val_top1", "--members", "2", "--folds", "5", "--threads", "1",
                        "--out", str(tmp_path / "fitted")], env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 2, r.stderr[-2000:]
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "--folds 5 needs at least 5 records" in lines[0] and "gives 3" in lines[0]
    assert "valid: --folds 2..3" in lines[0] and not (tmp_path / "fitted").exists()


@pytest.mark.parametrize("argv, msg", [
    (["--status", "--out", "/nonexistent"], "'/nonexistent' is not a results directory"),
    (["--n", "2", "--chunk-size", "0"], "chunk_size is 0; valid: an int >= 1"),
    (["--n", "-3"], "n is -3; valid: an int >= 1"),
    (["--n", "2", "--max-retries", "-1"], "max_retries is -1; valid: an int >= 0"),
    (["--n", "2", "--nproc", "0"], "nproc is 0; valid: an int >= 1"),
    (["--n", "2", "--executor", "local", "--no-wait"], "needs executor 'slurm'"),
    (["--n", "2", "--executor", "pbs"], "unknown name 'pbs'; valid: 'slurm', 'local', 'debug', 'inline'"),
    (["--n", "2", "--set", "amp=maybe"], "amp is 'maybe'; valid: true or false"),
])
def test_collect_runner_bad_inputs_give_one_clear_line(tmp_path, capsys, argv, msg):
    if "--out" not in argv:
        argv = argv + ["--out", str(tmp_path / "out")]
    assert _load_runner().main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and msg in err[0], err
    assert not (tmp_path / "out" / "plan.json").exists()  # refused before anything is planned


def test_collect_runner_unwritable_out(capsys):
    assert _load_runner().main(["--n", "2", "--out", "/proc/no/such/dir"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--out '/proc/no/such/dir' is not a writable directory" in err[0]


def test_fit_calibrates_the_std_only_where_the_records_support_it(tmp_path, dataset):
    """By default a small collection is fitted without a std calibration, with a note; asked for, it is refused."""
    recs = tmp_path / "results"
    recs.mkdir()
    for r in list(dataset.unique())[:8]:
        (recs / f"{r.name}.json").write_text(json.dumps(r.to_json()))
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO)}
    cmd = [sys.executable, "-m", "naslib_anb.cli.main", "fit", "--data", str(recs), "--split", "all",
           "--targets", "val_top1", "--members", "2", "--folds", "2", "--threads", "1"]
    # the buffered calibration goes with the calibration it feeds
    r = subprocess.run(cmd + ["--calibration-buffer-reps", "2", "--out", str(tmp_path / "auto")], env=env,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "std not calibrated: 8 records" in r.stderr
    manifest = json.loads((tmp_path / "auto" / "manifest.json").read_text())
    assert "calibration" not in manifest["targets"]["val_top1"]
    r = subprocess.run(cmd + ["--calibration-folds", "2", "--out", str(tmp_path / "fitted")], env=env,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2, r.stderr[-2000:]
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "calibration_folds 2" in lines[0] and "there are 8" in lines[0], lines
    assert "--calibration-folds 0" in lines[0] and not (tmp_path / "fitted").exists()
