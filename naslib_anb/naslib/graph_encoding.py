"""Graph and sequence encodings of the macro space, in the formats NASLib's graph predictors read.

The MnasNet space has no cell: an architecture is a chain of MBConv layers (stem, then the layers of
seven stages in order, then the head). NASLib's graph predictors want a DAG with labelled nodes, so:

- :func:`gcn_encoding` (``EncodingType.GCN``, NASLib's GCN predictor): the layer chain padded to
  :data:`MAX_NODES` nodes; each node's features are a multi-hot row of :data:`OP_FEATURES`
  (stem / head / expansion / kernel / squeeze-excite / stage), edges ``i -> i+1``; the dict keys
  are NASLib's (``num_vertices``, ``adjacency``, ``operations``, ``mask``, ``val_acc``).
- :func:`bonas_encoding` (``EncodingType.BONAS``): the same graph with BONAS's global node appended
  last (edges from every node, self loops, transposed), as NASLib builds it for its own spaces.
- :func:`seminas_encoding` (``EncodingType.SEMINAS``, SemiNAS and NAO): integer node operations.
  SemiNAS's tokeniser allows at most 11 operation ids, fewer than the 12 (e, k, se) layer types,
  so squeeze-excite becomes a stage-end node: stem, then per stage its layers labelled by (e, k)
  and one ``stage_end`` node labelled SE on/off, then the head. At most 31 nodes: it fits NASLib's
  NAS-Bench-301 sequence sizes (35 nodes, 11 ids), which :data:`SEMINAS_SIZES_OF` names.

All three are lossless (the architecture can be read back) and are pure numpy, without NASLib.
"""
from __future__ import annotations

import numpy as np

from naslib_anb.space import NUM_STAGES, Arch
from naslib_anb.space.arch import EXPANSIONS, KERNELS, layer_choices

#: most MBConv layers an architecture can have (3 per stage, 4 in stage 5)
MAX_LAYERS = sum(max(layer_choices(s)) for s in range(NUM_STAGES))
#: nodes of the GCN/BONAS chain: stem, every layer, head (shorter archs are zero-padded)
MAX_NODES = MAX_LAYERS + 2
#: the per-node feature columns of the GCN/BONAS encodings
OP_FEATURES = (("stem", "head") + tuple(f"e{e}" for e in EXPANSIONS) + tuple(f"k{k}" for k in KERNELS)
               + ("se0", "se1") + tuple(f"stage{s + 1}" for s in range(NUM_STAGES)))
_COL = {name: i for i, name in enumerate(OP_FEATURES)}

#: SemiNAS operation ids: stem 0, layer (e, k) 1..6, stage end without/with SE 7/8, head 9
SEMINAS_OPS = (("stem",) + tuple(f"e{e}k{k}" for e in EXPANSIONS for k in KERNELS)
               + ("stage_end_se0", "stage_end_se1", "head"))
_SEMINAS_ID = {name: i for i, name in enumerate(SEMINAS_OPS)}
#: most nodes of the SemiNAS graph: stem, layers, one stage end per stage, head
SEMINAS_MAX_NODES = MAX_LAYERS + NUM_STAGES + 2
#: the NASLib space whose SemiNAS sequence sizes (max nodes 35, 11 operation ids) hold this graph
SEMINAS_SIZES_OF = "nasbench301"


def layers(arch: Arch) -> list[tuple[int, int, int, bool]]:
    """Every MBConv layer in order as ``(stage, e, k, se)``."""
    out = []
    for s, st in enumerate(arch.stages):
        out += [(s, st.e, st.k, bool(st.se))] * st.l
    return out


def _chain(n: int, size: int) -> np.ndarray:
    adj = np.zeros((size, size), dtype=np.float32)
    idx = np.arange(n - 1)
    adj[idx, idx + 1] = 1.0
    return adj


def gcn_encoding(arch: Arch) -> dict:
    """NASLib's GCN dict for the layer chain (see module docstring)."""
    nodes = layers(arch)
    n = len(nodes) + 2
    ops = np.zeros((MAX_NODES, len(OP_FEATURES)), dtype=np.float32)
    ops[0, _COL["stem"]] = 1.0
    for i, (s, e, k, se) in enumerate(nodes, start=1):
        for name in (f"e{e}", f"k{k}", f"se{int(se)}", f"stage{s + 1}"):
            ops[i, _COL[name]] = 1.0
    ops[n - 1, _COL["head"]] = 1.0
    return {
        "num_vertices": n,
        "adjacency": _chain(n, MAX_NODES),
        "operations": ops,
        "mask": (np.arange(MAX_NODES) < n).astype(np.float32),
        "val_acc": 0.0,
    }


def _add_global_node(mx: np.ndarray, is_adjacency: bool) -> np.ndarray:
    """BONAS's global node, appended last (the layout NASLib's BONAS encodings use)."""
    rows, cols = mx.shape
    out = np.zeros((rows + 1, cols + 1), dtype=np.float32)
    out[:rows, :cols] = mx
    if is_adjacency:
        out[:rows, cols] = 1.0
        np.fill_diagonal(out, 1.0)
        return out.T.copy()
    out[rows, cols] = 1.0
    return out


def bonas_encoding(arch: Arch) -> dict:
    """NASLib's BONAS dict: the GCN graph plus a global node (the predictor reads its embedding)."""
    g = gcn_encoding(arch)
    return {"adjacency": _add_global_node(g["adjacency"], True),
            "operations": _add_global_node(g["operations"], False), "val_acc": 0.0}


def seminas_encoding(arch: Arch) -> dict:
    """NASLib's SemiNAS/NAO dict: unpadded chain adjacency and integer operation ids."""
    ops = [_SEMINAS_ID["stem"]]
    for st in arch.stages:
        ops += [_SEMINAS_ID[f"e{st.e}k{st.k}"]] * st.l
        ops.append(_SEMINAS_ID[f"stage_end_se{int(bool(st.se))}"])
    ops.append(_SEMINAS_ID["head"])
    n = len(ops)
    return {
        "num_vertices": n,
        "adjacency": _chain(n, n).astype(int),
        "operations": ops,
        "mask": np.ones(n, dtype=np.float32),
        "val_acc": 0.0,
    }


def arch_from_seminas(operations: list[int]) -> Arch:
    """Read an architecture back from :func:`seminas_encoding`'s operations (checks losslessness)."""
    names = [SEMINAS_OPS[i] for i in operations]
    if names[0] != "stem" or names[-1] != "head":
        raise ValueError(f"not an ANB SemiNAS sequence: {names}")
    stages, current = [], []
    for name in names[1:-1]:
        if name.startswith("stage_end"):
            if not current:
                raise ValueError(f"a stage without layers in {names}")
            e, k = current[0][1:].split("k")
            stages.append({"e": int(e), "k": int(k), "l": len(current), "se": name.endswith("1")})
            current = []
        else:
            current.append(name)
    return Arch.from_lists([[s["e"] for s in stages], [s["k"] for s in stages], [s["l"] for s in stages],
                            [s["se"] for s in stages]])


#: NASLib ``EncodingType`` value -> encoder
GRAPH_ENCODERS = {"gcn": gcn_encoding, "bonas": bonas_encoding, "seminas": seminas_encoding}
