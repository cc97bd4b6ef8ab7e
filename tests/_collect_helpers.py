"""Picklable task subclasses for the submitit tests (imported by submitit's worker processes)."""
from __future__ import annotations

import json
import os
import time
from pathlib import Path

from naslib_anb.training.evaluate import ArchTask


class PausingTask(ArchTask):
    """Logs (pid, arch, epoch) after every epoch; on the first attempt it announces its pid after
    epoch 0 and then waits, so a test can preempt it at exactly that point (no timing luck)."""

    def on_epoch_end(self, arch: str, epoch: int) -> None:
        root = Path(self.root)
        with open(root / "epochs.log", "a") as f:
            f.write(json.dumps([os.getpid(), arch, epoch]) + "\n")
        marker = root / "paused.json"
        if epoch == 0 and not marker.exists():
            tmp = root / "paused.json.part"
            tmp.write_text(json.dumps({"pid": os.getpid()}))
            os.replace(tmp, marker)
            while True:  # wait for the preemption signal (submitit's handler exits this process)
                time.sleep(0.05)
