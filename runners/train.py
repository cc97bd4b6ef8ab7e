#!/usr/bin/env python
"""Train one architecture (p* by default). Multi-GPU: ``torchrun --nproc_per_node=N runners/train.py ...``.

See docs/training.md. Same as ``python -m naslib_anb.training``.
"""
import sys

from naslib_anb.training.cli import main

if __name__ == "__main__":
    sys.exit(main())
