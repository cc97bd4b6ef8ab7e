"""Benchmark objects: query any architecture for any target."""
from naslib_anb.benchmark.base import Benchmark, FunctionBenchmark, as_archs

__all__ = ["Benchmark", "FunctionBenchmark", "as_archs"]
