"""SLURM status and resubmission cost O(1) scheduler calls, however many array tasks a collection has.

A fake ``sbatch`` accepts a 300-task job array; a fake ``sacct`` on PATH logs every call and answers
for the whole array, so the test counts exactly how often a status check or a resubmission asks.
"""
from __future__ import annotations

import os

import pytest

from naslib_anb.training.collect import CollectSpec, run_collection, status

N = 300


def _fake_slurm(tmp_path, monkeypatch):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "srun").write_text("#!/bin/sh\nexit 0\n")
    (bin_dir / "sbatch").write_text("#!/bin/sh\necho 'Submitted batch job 4242'\n")
    calls, state = tmp_path / "sacct_calls", tmp_path / "state"
    (bin_dir / "sacct").write_text(
        "#!/bin/sh\n"
        f"echo \"$@\" >> {calls}\n"
        "echo 'JobID|State|NodeList'\n"
        f"i=0; while [ $i -lt {N} ]; do echo \"4242_$i|$(cat {state})|n1\"; i=$((i+1)); done\n")
    for f in bin_dir.iterdir():
        f.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return calls, state


def _calls(path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def test_status_and_resubmission_call_sacct_once_for_300_tasks(tmp_path, monkeypatch):
    pytest.importorskip("submitit")
    from naslib_anb.training import TrainConfig

    calls, state = _fake_slurm(tmp_path, monkeypatch)
    spec = CollectSpec(str(tmp_path / "out"), N, seed=0, config=TrainConfig().to_dict())
    slurm = {"slurm_partition": "gpu", "gpus_per_node": 1}
    st = run_collection(spec, executor="slurm", chunk_size=1, slurm=slurm)
    assert len(st["submitted"]) == N and st["submitted"][-1] == f"4242_{N - 1}"

    state.write_text("RUNNING")
    before = len(_calls(calls))
    assert status(tmp_path / "out")["running"] == N
    made = _calls(calls)[before:]
    assert len(made) == 1, made  # one sacct for the whole array, not one per task
    assert made[0].count("-j") == 1 and "4242" in made[0]

    before = len(_calls(calls))
    st = run_collection(spec, executor="slurm", chunk_size=1, slurm=slurm)  # resubmission: nothing to do
    assert st["submitted"] == [] and st["running"] == N
    assert 1 <= len(_calls(calls)) - before <= 2  # the check before submitting and the status after

    state.write_text("CANCELLED by 0")  # gone: every architecture is submitted again, still O(1) calls
    before = len(_calls(calls))
    st = run_collection(spec, executor="slurm", chunk_size=1, slurm=slurm)
    assert len(st["submitted"]) == N and len(_calls(calls)) - before <= 2


def test_unreadable_sacct_counts_jobs_as_active(tmp_path, monkeypatch):
    """No answer from sacct is not evidence that a job ended: nothing is submitted twice."""
    pytest.importorskip("submitit")
    from naslib_anb.training import TrainConfig

    calls, state = _fake_slurm(tmp_path, monkeypatch)
    spec = CollectSpec(str(tmp_path / "out"), 3, seed=0, config=TrainConfig().to_dict())
    run_collection(spec, executor="slurm", chunk_size=1, slurm={"slurm_partition": "gpu"})
    (tmp_path / "bin" / "sacct").write_text("#!/bin/sh\nexit 1\n")
    assert status(tmp_path / "out")["running"] == 3
