"""One writer per output directory, whole-directory swaps, and a killed fit that resumes per target.

No sleeps: processes synchronise on files and pipes, and kills happen at a chosen point in the code.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from naslib_anb.cli.main import main
from naslib_anb.errors import OutputBusyError
from naslib_anb.outdir import OutputLock, staged_output

REPO = Path(__file__).resolve().parents[1]
SEARCH = ["search", "--optimizer", "rs", "--benchmark", "toy", "--budget", "8", "--no-progress"]


def _env() -> dict:
    return {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""),
            "OMP_NUM_THREADS": "1"}


_HOLDER = """
import sys
from naslib_anb.outdir import OutputLock
lock = OutputLock(sys.argv[1]).acquire()
print("locked", flush=True)
sys.stdin.read()          # hold the lock until the test closes our stdin
lock.release()
"""


def _holder(out: Path) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", _HOLDER, str(out)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, env=_env())
    assert proc.stdout.readline().strip() == b"locked"  # blocks until the lock is held
    return proc


def test_second_writer_gets_a_clear_error(tmp_path, capsys):
    out = tmp_path / "run"
    holder = _holder(out)
    try:
        assert main([*SEARCH, "--out", str(out)]) == 2
        err = capsys.readouterr().err
        assert "being written by another process" in err and f"pid {holder.pid}" in err
        assert not out.exists()
    finally:
        holder.stdin.close()
        holder.wait(timeout=600)
    assert main([*SEARCH, "--out", str(out)]) == 0  # once the first writer is done, the directory is free
    assert (out / "summary.json").is_file()
    assert not (tmp_path / "run.lock").exists() and not (tmp_path / "run.partial").exists()


def test_a_killed_holder_never_blocks_the_next_run(tmp_path):
    out = tmp_path / "run"
    holder = _holder(out)
    holder.kill()  # SIGKILL: the kernel drops the flock with the process
    holder.wait(timeout=600)
    assert (tmp_path / "run.lock").exists()  # the file stays; the lock does not
    with OutputLock(out):
        pass
    assert not (tmp_path / "run.lock").exists()


def test_two_locks_in_one_process_conflict(tmp_path):
    with OutputLock(tmp_path / "x"):
        with pytest.raises(OutputBusyError):
            OutputLock(tmp_path / "x").acquire()


def test_force_replaces_the_whole_directory(tmp_path, capsys):
    out = tmp_path / "run"
    assert main([*SEARCH, "--device", "a100", "--out", str(out)]) == 0
    assert (out / "pareto.png").is_file()
    (out / "stray.txt").write_text("from before")
    assert main([*SEARCH, "--no-plots", "--seed", "1", "--out", str(out)]) == 2  # not empty, no --force
    assert "--force" in capsys.readouterr().err
    assert main([*SEARCH, "--no-plots", "--seed", "1", "--out", str(out), "--force"]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["config.yaml", "pareto.csv", "pareto.json", "queries.csv",
                                                      "summary.json"]
    assert "seed: 1" in (out / "config.yaml").read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_a_failing_run_leaves_the_previous_results_untouched(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    (out / "summary.json").write_text("old")
    with pytest.raises(RuntimeError):
        with staged_output(out, force=True) as staging:
            (staging / "summary.json").write_text("new")
            raise RuntimeError("boom")
    assert (out / "summary.json").read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_a_swap_interrupted_between_its_renames_is_recovered(tmp_path):
    out = tmp_path / "run"
    old = tmp_path / "run.replaced"  # the state after the first rename of a swap
    old.mkdir()
    (old / "summary.json").write_text("old")
    with staged_output(out, force=True) as staging:
        assert (out / "summary.json").read_text() == "old"  # restored before anything else
        (staging / "summary.json").write_text("new")
    assert (out / "summary.json").read_text() == "new" and not old.exists()


_KILL_AFTER_FIRST_TARGET = """
import os, signal, sys
import naslib_anb.surrogates._registry as reg
import naslib_anb.surrogates._fit as fit
reg._ANB_XGB_COMMON["n_estimators"] = 20
save = fit._ResumeDir.save
def save_then_die(self, target, ens, info):
    save(self, target, ens, info)
    os.kill(os.getpid(), signal.SIGKILL)   # killed right after the first target is kept
fit._ResumeDir.save = save_then_die
from naslib_anb.cli.main import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.slow
def test_killed_fit_keeps_finished_targets_and_resumes(tmp_path, anb_data_path, monkeypatch):
    out = tmp_path / "models"
    args = ["fit", "--out", str(out), "--targets", "latency_zcu102", "throughput_zcu102", "--members", "2",
            "--folds", "2", "--threads", "1", "--data", str(anb_data_path), "--no-eval"]
    proc = subprocess.run([sys.executable, "-c", _KILL_AFTER_FIRST_TARGET, *args], env=_env(),
                          capture_output=True, timeout=1200)
    assert proc.returncode == -signal.SIGKILL, proc.stderr.decode()[-2000:]
    partial = tmp_path / "models.partial"
    assert not out.exists()
    assert (partial / "finished" / "latency_zcu102" / "entry.json").is_file()
    assert not (partial / "finished" / "throughput_zcu102").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # nothing hidden is left behind

    import naslib_anb.surrogates._fit as fit
    import naslib_anb.surrogates._registry as reg

    monkeypatch.setitem(reg._ANB_XGB_COMMON, "n_estimators", 20)
    fitted = []
    real = fit.fit_ensemble
    monkeypatch.setattr(fit, "fit_ensemble", lambda recs, t, cfg: fitted.append(t) or real(recs, t, cfg))
    assert main(args) == 0
    assert fitted == ["throughput_zcu102"]  # the kept target is not fitted again
    manifest = json.loads((out / "manifest.json").read_text())
    assert set(manifest["targets"]) == {"latency_zcu102", "throughput_zcu102"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["models"]
    assert not (out / "finished").exists()
    from naslib_anb.benchmark.surrogate import SurrogateBenchmark

    b = SurrogateBenchmark.from_dir(out)
    assert b.query("b0", "latency_zcu102") > 0 and b.query("b0", "throughput_zcu102") > 0


def test_a_changed_fit_does_not_reuse_kept_targets(tmp_path, anb_data_path, monkeypatch):
    import naslib_anb.surrogates._fit as fit
    import naslib_anb.surrogates._registry as reg
    from naslib_anb.data import load_dataset
    from naslib_anb.surrogates import FitConfig

    monkeypatch.setitem(reg._ANB_XGB_COMMON, "n_estimators", 10)
    recs = list(load_dataset(anb_data_path).unique())[:300]
    cfg = FitConfig(targets=("latency_zcu102",), members=2, n_folds=2, n_jobs=1)
    fit.fit_model_set(recs, cfg, progress=False, resume_dir=tmp_path)
    fitted = []
    real = fit.fit_ensemble
    monkeypatch.setattr(fit, "fit_ensemble", lambda r, t, c: fitted.append((t, c.seed)) or real(r, t, c))
    fit.fit_model_set(recs, cfg, progress=False, resume_dir=tmp_path)
    assert fitted == []
    fit.fit_model_set(recs, FitConfig(targets=("latency_zcu102",), members=2, n_folds=2, n_jobs=1, seed=1),
                      progress=False, resume_dir=tmp_path)
    assert fitted == [("latency_zcu102", 1)]


def test_force_replaces_only_an_earlier_run(tmp_path, capsys, monkeypatch):
    """--force swaps out a whole directory, so it must be one a run wrote, never a directory of other things."""
    mine = tmp_path / "notes"
    mine.mkdir()
    (mine / "thesis.tex").write_text("months of work")
    assert main([*SEARCH, "--out", str(mine), "--force"]) == 2
    assert "does not look like an earlier run's output" in capsys.readouterr().err
    assert (mine / "thesis.tex").read_text() == "months of work"
    monkeypatch.chdir(mine)
    for out in (".", str(tmp_path)):  # the current directory, or one holding it
        assert main([*SEARCH, "--out", out, "--force"]) == 2
        assert "is the current directory or holds it" in capsys.readouterr().err
    assert sorted(p.name for p in mine.iterdir()) == ["thesis.tex"]
    monkeypatch.chdir(tmp_path / "..")
    assert main(["fit", "--targets", "val_top1", "--out", str(mine), "--force"]) == 2
    assert "manifest.json" in capsys.readouterr().err
