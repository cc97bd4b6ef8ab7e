"""Benchmark objects: query any architecture for any target."""
from naslib_anb.benchmark.base import Benchmark, FunctionBenchmark, as_archs


def load_benchmark(*args, **kwargs):
    """The shipped surrogate benchmark, cached per process (see :mod:`.surrogate`)."""
    from naslib_anb.benchmark.surrogate import load_benchmark as _load

    return _load(*args, **kwargs)


def list_benchmarks():
    from naslib_anb.benchmark.surrogate import list_benchmarks as _list

    return _list()


def list_variants():
    """Benchmark variants, name -> one-line description (``load_benchmark(variant=...)``)."""
    from naslib_anb.benchmark.variants import list_variants as _list

    return _list()


__all__ = ["Benchmark", "FunctionBenchmark", "as_archs", "load_benchmark", "list_benchmarks", "list_variants"]
