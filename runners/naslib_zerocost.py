#!/usr/bin/env python
"""Score every NASLib zero-cost proxy on measured ANB architectures against measured accuracy and
device throughput: ``python runners/naslib_zerocost.py --n-archs 200 --out run/zerocost``.

Needs NASLib on PYTHONPATH, the train extra (torch, timm) and OMP_NUM_THREADS=1; see docs/naslib.md.
"""
import sys

from naslib_anb.naslib.cli import zerocost_main

if __name__ == "__main__":
    sys.exit(zerocost_main())
