#!/usr/bin/env python
"""NASLib's StatisticsEvaluator on the measured ANB architectures:
``python runners/naslib_statistics.py --config configs/naslib/statistics.yaml``.

Needs NASLib on PYTHONPATH and OMP_NUM_THREADS=1; see docs/naslib.md.
"""
import sys

from naslib_anb.naslib.cli import statistics_main

if __name__ == "__main__":
    sys.exit(statistics_main())
