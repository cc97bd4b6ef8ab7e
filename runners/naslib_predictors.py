#!/usr/bin/env python
"""Run a NASLib predictor-evaluation config: ``python runners/naslib_predictors.py --config configs/naslib/predictor_xgb.yaml``.

Needs NASLib on PYTHONPATH (except the comparison) and OMP_NUM_THREADS=1; see docs/naslib.md.
"""
import sys

from naslib_anb.naslib.cli import predictors_main

if __name__ == "__main__":
    sys.exit(predictors_main())
