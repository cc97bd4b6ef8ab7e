"""Run one training job under torchrun in a subprocess (used by the proxy search and the collector)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any, Optional

from naslib_anb.errors import ANBError


class TrainingFailedError(ANBError, RuntimeError):
    """A training subprocess exited with an error."""


def run_torchrun(cfg: Any, arch: str, out_dir: Any, nproc: int, *,
                 timeout: float | None = None) -> Optional[dict[str, Any]]:
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
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=dict(os.environ))
    finally:
        Path(cfg_path).unlink(missing_ok=True)
    if r.returncode != 0:
        raise TrainingFailedError(f"training {arch} in {out} exited with {r.returncode}: {r.stderr[-2000:]}")
    result = out / "result.json"
    if result.is_file():
        return json.loads(result.read_text())
    if (out / "skipped.json").is_file():
        return None
    raise TrainingFailedError(f"training {arch} in {out} exited cleanly but wrote neither result.json nor "
                              f"skipped.json: {r.stderr[-2000:]}")
