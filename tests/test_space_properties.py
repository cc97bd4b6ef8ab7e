"""Property-based: arbitrary strings and dicts give an Arch or a typed error, never a crash."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from naslib_anb.errors import ANBError
from naslib_anb.space import Arch
from naslib_anb.space.arch import FIELDS, NUM_STAGES

token = st.builds(
    lambda e, k, l, s: f"e{e}k{k}l{l}s{s}",
    st.integers(-2, 8), st.integers(0, 8), st.integers(-1, 6), st.integers(-1, 3),
)
arch_like_string = st.lists(token, min_size=5, max_size=9).map("-".join)
values = st.one_of(st.integers(-3, 8), st.booleans(), st.floats(allow_nan=True), st.text(max_size=3),
                   st.none())


@settings(max_examples=300, deadline=None)
@given(st.one_of(arch_like_string, st.text(max_size=80)))
def test_strings_parse_or_raise_typed(text):
    try:
        a = Arch.from_string(text)
    except ANBError as exc:
        assert isinstance(exc, ValueError)
        return
    assert str(a) == text.strip()


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(
    st.one_of(st.sampled_from([f"block{i}_{f}" for i in range(NUM_STAGES + 1) for f in FIELDS]),
              st.text(max_size=6)),
    values, max_size=32))
def test_dicts_parse_or_raise_typed(d):
    try:
        a = Arch.from_dict(d)
    except ANBError:
        return
    assert Arch.from_dict(a.to_dict()) == a


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(values, min_size=0, max_size=8), min_size=0, max_size=5))
def test_nested_lists_parse_or_raise_typed(lists):
    try:
        Arch.parse(lists)
    except ANBError:
        pass
