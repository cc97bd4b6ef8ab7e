#!/usr/bin/env python
"""Run a NASLib NAS config on the ANB space: ``python runners/naslib_search.py --config configs/naslib/re.yaml search.epochs 100``.

Needs NASLib on PYTHONPATH (except the comparison) and OMP_NUM_THREADS=1; see docs/naslib.md.
"""
import sys

from naslib_anb.naslib.cli import search_main

if __name__ == "__main__":
    sys.exit(search_main())
