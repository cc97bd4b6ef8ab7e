#!/usr/bin/env python
"""Plot several optimizers x seeds from NASLib outputs: ``python runners/naslib_compare.py run/naslib``.

Needs NASLib on PYTHONPATH (except the comparison) and OMP_NUM_THREADS=1; see docs/naslib.md.
"""
import sys

from naslib_anb.naslib.cli import compare_main

if __name__ == "__main__":
    sys.exit(compare_main())
