"""The ANB graph and sequence encodings NASLib's gcn, bonas, seminas and nao read (pure numpy, no NASLib)."""
import numpy as np
import pytest

from naslib_anb.naslib.graph_encoding import (MAX_NODES, OP_FEATURES, SEMINAS_MAX_NODES, SEMINAS_OPS,
                                              SEMINAS_SEQUENCE_LENGTH, SEMINAS_VOCAB_SIZE, arch_from_seminas, bonas_encoding, gcn_encoding, layers,
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


def test_seminas_sequence_is_the_layer_chain_and_lossless():
    for a in sample(3, 300):
        s = seminas_encoding(a)
        n = s["num_vertices"]
        assert len(s["operations"]) == n == a.depth + 2 <= SEMINAS_MAX_NODES == MAX_NODES
        assert s["adjacency"].shape == (n, n) and s["adjacency"].sum() == n - 1
        assert all(s["adjacency"][i, i + 1] == 1 for i in range(n - 1))
        assert 0 <= min(s["operations"]) and max(s["operations"]) < len(SEMINAS_OPS) == SEMINAS_VOCAB_SIZE - 2
        assert arch_from_seminas(s["operations"]) == a
    # one id per node carries what a GCN row does: stage, expansion, kernel, squeeze-excite
    names = [SEMINAS_OPS[i] for i in seminas_encoding(EFFICIENTNET_B0)["operations"]]
    assert names[:2] == ["stem", "s1e1k3se1"] and names[-1] == "head"
    # distinct architectures give distinct encodings
    encs = {tuple(seminas_encoding(a)["operations"]) for a in sample(4, 200)}
    assert len(encs) == len(set(sample(4, 200)))


def test_seminas_token_sequence_is_sized_for_the_chain():
    # NASLib's tokeniser writes, for each node after the first, one token per possible incoming edge
    # and one for the operation: 2 + 3 + ... + SEMINAS_MAX_NODES tokens
    assert SEMINAS_SEQUENCE_LENGTH == sum(range(2, SEMINAS_MAX_NODES + 1)) == 299


def test_arch_from_seminas_rejects_what_is_not_an_anb_sequence():
    ops = seminas_encoding(EFFICIENTNET_B0)["operations"]
    for bad in (ops[1:], ops[:-1], ops[:1] + ops[2:3] + ops[1:2] + ops[3:], ops[:1] + [ops[1], ops[1] + 1] + ops[2:],
                ops[:1] + [len(SEMINAS_OPS)] + ops[1:]):
        with pytest.raises(ValueError, match="not an ANB SemiNAS sequence"):
            arch_from_seminas(bad)
