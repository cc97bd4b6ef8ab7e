"""Real-NASLib tests: every module skips when ``naslib`` cannot be imported (CI has no NASLib)."""
import os

# XGBoost/LightGBM inside NASLib start one thread per core and crawl on small machines.
os.environ.setdefault("OMP_NUM_THREADS", "1")
