#!/usr/bin/env python
"""Plot several optimizers x seeds from NASLib outputs: ``python runners/naslib_compare.py run/naslib``.

With ``--variants all`` (or a comma list) it compares the optimizers on every benchmark variant
instead: ``--configs a.yaml,b.yaml --seeds 0-9`` first runs each config x seed on each variant
under ``ROOT/<variant>/``, then ``--budgets 100,300`` writes ROOT/robustness.json and .txt
(docs/robustness.md).

Needs NASLib on PYTHONPATH (except the comparison) and OMP_NUM_THREADS=1; see docs/naslib.md.
"""
import sys

from naslib_anb.naslib.cli import compare_main, variants_main


def _wants_variants(argv):
    return any(a == "--variants" or a.startswith("--variants=") for a in argv)


if __name__ == "__main__":
    sys.exit(variants_main() if _wants_variants(sys.argv[1:]) else compare_main())
