"""Run one training job under torchrun in a subprocess (used by the proxy search and the collector).

torchrun runs in its own process group, which this process owns: if the caller is interrupted
(KeyboardInterrupt, submitit's requeue on preemption) or its owner disappears, the whole group is
killed, so no worker keeps training for a caller that is gone.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any, Optional

from naslib_anb.errors import ANBError

_CHILD_GROUPS: set[int] = set()


class TrainingFailedError(ANBError, RuntimeError):
    """A training subprocess exited with an error."""


def kill_children() -> None:
    """SIGKILL every torchrun process group this process started and has not reaped yet."""
    for pgid in list(_CHILD_GROUPS):
        try:
            os.killpg(pgid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        _CHILD_GROUPS.discard(pgid)


def run_torchrun(cfg: Any, arch: str, out_dir: Any, nproc: int, *, timeout: float | None = None,
                 save_weights: bool = False, keep_checkpoint: bool = False) -> Optional[dict[str, Any]]:
    """``torchrun --standalone --nproc_per_node=nproc -m naslib_anb.training``; return result.json's
    record, or None when the memory filter skipped the architecture (``skipped.json``, no result).

    The recipe reaches the subprocess through a private YAML file that is removed afterwards; the
    engine itself writes ``config.yaml`` when a fresh run starts.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    cfg_path = cfg.save(out / f".launch_config.{uuid.uuid4().hex}.yaml")
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={nproc}",
           "-m", "naslib_anb.training", "--config", str(cfg_path), "--arch", str(arch), "--out", str(out)]
    if save_weights:
        cmd.append("--save-weights")
    if keep_checkpoint:
        cmd.append("--keep-checkpoint")
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(os.environ),
                            start_new_session=True)
    _CHILD_GROUPS.add(proc.pid)
    try:
        _, stderr = proc.communicate(timeout=timeout)
    except BaseException:
        kill_children()
        proc.wait()
        raise
    finally:
        _CHILD_GROUPS.discard(proc.pid)
        Path(cfg_path).unlink(missing_ok=True)
    if proc.returncode != 0:
        raise TrainingFailedError(f"training {arch} in {out} exited with {proc.returncode}: {stderr[-2000:]}")
    result = out / "result.json"
    if result.is_file():
        return json.loads(result.read_text())
    if (out / "skipped.json").is_file():
        return None
    raise TrainingFailedError(f"training {arch} in {out} exited cleanly but wrote neither result.json nor "
                              f"skipped.json: {stderr[-2000:]}")
