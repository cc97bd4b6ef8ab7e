"""The ANB graph and sequence encodings NASLib's gcn, bonas, seminas and nao read (pure numpy, no NASLib)."""
import numpy as np

from naslib_anb.naslib.graph_encoding import (MAX_NODES, OP_FEATURES, SEMINAS_MAX_NODES, SEMINAS_OPS,
                                              arch_from_seminas, bonas_encoding, gcn_encoding, layers,
                                              seminas_encoding)
from naslib_anb.space import EFFICIENTNET_B0, sample


def test_gcn_is_the_layer_chain_with_labelled_nodes():
    g = gcn_encoding(EFFICIENTNET_B0)
    n = g["num_vertices"]
    assert n == EFFICIENTNET_B0.depth + 2 == len(layers(EFFICIENTNET_B0)) + 2
    assert g["adjacency"].shape == (MAX_NODES, MAX_NODES) and g["operations"].shape == (MAX_NODES, len(OP_FEATURES))
    assert g["adjacency"].sum() == n - 1 and all(g["adjacency"][i, i + 1] == 1 for i in range(n - 1))
    assert g["mask"].sum() == n and not g["operations"][n:].any()
    ops = g["operations"]
    col = {name: i for i, name in enumerate(OP_FEATURES)}
    assert ops[0, col["stem"]] == 1 and ops[n - 1, col["head"]] == 1
    # first layer: stage 1 of B0 is e1 k3 se; every layer row has exactly e, k, se and stage set
    assert [OP_FEATURES[j] for j in np.flatnonzero(ops[1])] == ["e1", "k3", "se1", "stage1"]
    assert (ops[1:n - 1].sum(1) == 4).all()


def test_bonas_adds_the_global_node_last():
    b = bonas_encoding(EFFICIENTNET_B0)
    adj, ops = b["adjacency"], b["operations"]
    assert adj.shape == (MAX_NODES + 1, MAX_NODES + 1) and ops.shape == (MAX_NODES + 1, len(OP_FEATURES) + 1)
    assert (np.diag(adj) == 1).all() and (adj[-1, :] == 1).all()  # transposed: every node feeds the global one
    assert ops[-1, -1] == 1 and ops[-1, :-1].sum() == 0


def test_seminas_sequence_is_lossless_and_fits_nb301_sizes():
    for a in sample(3, 300):
        s = seminas_encoding(a)
        assert len(s["operations"]) == s["num_vertices"] <= SEMINAS_MAX_NODES <= 35
        assert max(s["operations"]) <= 10 and len(SEMINAS_OPS) <= 11  # SemiNAS's token budget
        assert arch_from_seminas(s["operations"]) == a
    # distinct architectures give distinct encodings
    encs = {tuple(seminas_encoding(a)["operations"]) for a in sample(4, 200)}
    assert len(encs) == len(set(sample(4, 200)))
