"""Records against what the architecture fixes exactly: params and MACs are computable, so a record
that contradicts them is bad data (a mixed-up file, a wrong unit), not a measurement."""
from __future__ import annotations

from functools import lru_cache
from typing import Iterable

from naslib_anb.data.records import Record
from naslib_anb.errors import CorruptDataError
from naslib_anb.space import Arch, arch_cost
from naslib_anb.space.arch import EXPANSIONS, KERNELS, NUM_STAGES, layer_choices

#: Relative slack for a record's params/MACs (upstream's agree exactly; files of one's own may round).
COST_RTOL = 1e-4


@lru_cache(maxsize=1)
def _stage_cost_table():
    """Exact cost = base + sum of per-stage terms (channels and strides are fixed by the skeleton),
    each term read off ``arch_cost`` once: ~250 calls instead of one per record."""
    from naslib_anb.space import EFFICIENTNET_B0

    ref = EFFICIENTNET_B0
    ref_cost = arch_cost(ref)
    table: dict[tuple[int, str], tuple[float, float]] = {}
    for i in range(NUM_STAGES):
        for token in _stage_tokens(i):
            stages = list(str(ref).split("-"))
            stages[i] = token
            c = arch_cost(Arch.parse("-".join(stages)))
            table[(i, token)] = (c.params_m - ref_cost.params_m, c.macs_m - ref_cost.macs_m)
    return (ref_cost.params_m, ref_cost.macs_m), table, ref


def _stage_tokens(stage: int) -> list[str]:
    return [f"e{e}k{k}l{n}s{s}" for e in EXPANSIONS for k in KERNELS for n in layer_choices(stage)
            for s in (0, 1)]


def exact_cost_m(arch: Arch) -> tuple[float, float]:
    """(params_m, macs_m) of ``arch`` from the per-stage table (equals ``arch_cost``)."""
    (p0, m0), table, ref = _stage_cost_table()
    ref_tokens = str(ref).split("-")
    p, m = p0, m0
    for i, token in enumerate(str(arch).split("-")):
        dp, dm = table[(i, token)]
        ref_dp, ref_dm = table[(i, ref_tokens[i])]
        p, m = p + dp - ref_dp, m + dm - ref_dm
    return p, m


def check_costs(records: Iterable[Record]) -> None:
    """Raise :class:`CorruptDataError` on the first record whose params/MACs contradict its architecture."""
    for r in records:
        exact_p, exact_m = exact_cost_m(r.arch)
        for field, got, exact in (("params", r.params_m, exact_p), ("macs", r.macs_m, exact_m)):
            if abs(got - exact) > COST_RTOL * exact:
                raise CorruptDataError(
                    f"{r.name}: model_info.{field} is {got:g} M, but {r.arch} has exactly {exact:.6g} M "
                    f"(naslib_anb.space.arch_cost at 224 px, 1000 classes): bad data, not a measurement")
