"""Run one training job under torchrun in a subprocess (used by the proxy search and the collector)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from naslib_anb.errors import ANBError


class TrainingFailedError(ANBError, RuntimeError):
    """A training subprocess exited with an error."""


def run_torchrun(cfg: Any, arch: str, out_dir: Any, nproc: int, *, timeout: float | None = None) -> dict[str, Any]:
    """``torchrun --standalone --nproc_per_node=nproc -m naslib_anb.training`` and return result.json."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    cfg_path = cfg.save(out / "launch_config.yaml")
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={nproc}",
           "-m", "naslib_anb.training", "--config", str(cfg_path), "--arch", str(arch), "--out", str(out)]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=dict(os.environ))
    if r.returncode != 0:
        raise TrainingFailedError(f"training {arch} in {out} exited with {r.returncode}: {r.stderr[-2000:]}")
    return json.loads((out / "result.json").read_text())
