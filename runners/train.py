#!/usr/bin/env python
"""Train one architecture (p* by default). Multi-GPU: ``torchrun --nproc_per_node=N runners/train.py ...``.

See docs/training.md. Same as ``python -m naslib_anb.training``.
"""
import os as _os
import sys as _sys

# Running ``python runners/<name>.py`` puts runners/ first on sys.path, where other runner scripts
# (e.g. profile.py) would shadow standard-library modules; the package is imported from its install.
if _sys.path and _os.path.abspath(_sys.path[0] or ".") == _os.path.dirname(_os.path.abspath(__file__)):
    _sys.path.pop(0)
import sys

from naslib_anb.training.cli import main

if __name__ == "__main__":
    sys.exit(main())
