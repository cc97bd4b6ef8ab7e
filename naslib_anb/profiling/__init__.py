"""Device profiling: throughput, latency and energy of any architecture, in the dataset's schema.

Light at import; torch, timm, pynvml and onnx are imported inside the functions that need them.
"""
from naslib_anb.profiling.config import ProfileConfig, device_label, load_config
from naslib_anb.profiling.errors import DeviceUnavailableError, InjectedFailure
from naslib_anb.profiling.manifest import Entry, build_manifest, parse_spec
from naslib_anb.profiling.records import SCHEMA, ProfileRecord
from naslib_anb.profiling.sweep import SweepResult, read_records, run_sweep

__all__ = ["ProfileConfig", "load_config", "device_label", "DeviceUnavailableError", "InjectedFailure",
           "Entry", "build_manifest", "parse_spec", "SCHEMA", "ProfileRecord", "SweepResult", "read_records",
           "run_sweep"]
