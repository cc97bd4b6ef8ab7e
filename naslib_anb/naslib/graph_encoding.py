"""Graph and sequence encodings of the macro space, in the formats NASLib's graph predictors read.

The MnasNet space has no cell: an architecture is a chain of MBConv layers (stem, then the layers of
seven stages in order, then the head). NASLib's graph predictors want a DAG with labelled nodes, so:

- :func:`gcn_encoding` (``EncodingType.GCN``, NASLib's GCN predictor): the layer chain padded to
  :data:`MAX_NODES` nodes; each node's features are a multi-hot row of :data:`OP_FEATURES`
  (stem / head / expansion / kernel / squeeze-excite / stage), edges ``i -> i+1``; the dict keys
  are NASLib's (``num_vertices``, ``adjacency``, ``operations``, ``mask``, ``val_acc``).
- :func:`bonas_encoding` (``EncodingType.BONAS``): the same graph with BONAS's global node appended
  last (edges from every node, self loops, transposed), as NASLib builds it for its own spaces.
- :func:`seminas_encoding` (``EncodingType.SEMINAS``, SemiNAS and NAO): the same chain (stem,
  layers, head; at most :data:`MAX_NODES` nodes), each node an integer operation id: stem, head, or
  the layer's (stage, expansion, kernel, squeeze-excite), the information of a GCN row in one id
  (:data:`SEMINAS_OPS`). NASLib turns the graph into a token sequence of
  :data:`SEMINAS_SEQUENCE_LENGTH` tokens over :data:`SEMINAS_VOCAB_SIZE` symbols;
  :mod:`naslib_anb.naslib.predictor_compat` runs SemiNAS/NAO with those sizes on the ANB space.

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

#: SemiNAS/NAO operation ids: stem 0, head 1, then one id per layer type (stage, e, k, se)
_SEMINAS_LAYER_TYPES = tuple((s, e, k, se) for s in range(NUM_STAGES) for e in EXPANSIONS for k in KERNELS
                             for se in (False, True))
SEMINAS_OPS = ("stem", "head") + tuple(f"s{s + 1}e{e}k{k}se{int(se)}" for s, e, k, se in _SEMINAS_LAYER_TYPES)
_SEMINAS_STEM, _SEMINAS_HEAD = 0, 1
_SEMINAS_LAYER_ID = {t: i + 2 for i, t in enumerate(_SEMINAS_LAYER_TYPES)}
#: most nodes of the SemiNAS/NAO graph: the layer chain of the GCN encoding
SEMINAS_MAX_NODES = MAX_NODES
#: NASLib's SemiNAS token sequence (``convert_arch_to_seq``): per node after the first, one token per
#: possible incoming edge and one for its operation
SEMINAS_SEQUENCE_LENGTH = (SEMINAS_MAX_NODES + 2) * (SEMINAS_MAX_NODES - 1) // 2
#: SemiNAS/NAO token vocabulary: padding 0, edge absent/present 1/2, operation id + 2
SEMINAS_VOCAB_SIZE = len(SEMINAS_OPS) + 2


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
    ops = [_SEMINAS_STEM] + [_SEMINAS_LAYER_ID[layer] for layer in layers(arch)] + [_SEMINAS_HEAD]
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
    ops = [int(i) for i in operations]
    bad = ValueError(f"not an ANB SemiNAS sequence: {[SEMINAS_OPS[i] for i in ops if 0 <= i < len(SEMINAS_OPS)]}")
    if len(ops) < 2 or ops[0] != _SEMINAS_STEM or ops[-1] != _SEMINAS_HEAD:
        raise bad
    try:
        nodes = [_SEMINAS_LAYER_TYPES[i - 2] for i in ops[1:-1] if i >= 2]
    except IndexError:
        raise bad from None
    per_stage: dict[int, list[tuple[int, int, bool]]] = {}
    for stage, e, k, se in nodes:
        per_stage.setdefault(stage, []).append((e, k, se))
    in_order = [n[0] for n in nodes] == sorted(n[0] for n in nodes)
    if (len(nodes) != len(ops) - 2 or not in_order or list(per_stage) != list(range(NUM_STAGES))
            or any(len(set(v)) != 1 for v in per_stage.values())):
        raise bad
    firsts = [per_stage[s][0] for s in range(NUM_STAGES)]
    return Arch.from_lists([[f[0] for f in firsts], [f[1] for f in firsts],
                            [len(per_stage[s]) for s in range(NUM_STAGES)], [f[2] for f in firsts]])


#: NASLib ``EncodingType`` value -> encoder
GRAPH_ENCODERS = {"gcn": gcn_encoding, "bonas": bonas_encoding, "seminas": seminas_encoding}
