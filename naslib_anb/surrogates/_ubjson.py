"""A small UBJSON reader for XGBoost's ``save_raw("ubj")`` output.

XGBoost stores its tree arrays as typed, counted UBJSON containers; reading those
straight into numpy arrays makes table compilation fast (Python's JSON parser needs
about a second for a few thousand trees).
"""
from __future__ import annotations

import struct
from typing import Any

import numpy as np

# tag byte -> (struct format, numpy dtype, size)
_NUM = {
    ord("i"): (struct.Struct(">b"), ">i1", 1), ord("U"): (struct.Struct(">B"), ">u1", 1),
    ord("I"): (struct.Struct(">h"), ">i2", 2), ord("l"): (struct.Struct(">i"), ">i4", 4),
    ord("L"): (struct.Struct(">q"), ">i8", 8), ord("d"): (struct.Struct(">f"), ">f4", 4),
    ord("D"): (struct.Struct(">d"), ">f8", 8),
}
_FLOATS = (ord("d"), ord("D"))
_S, _T, _F, _Z, _LB, _RB, _LC, _RC, _DOLLAR, _HASH, _C = (ord(c) for c in "STFZ[]{}$#C")


def loads(data: bytes) -> Any:
    """Decode one UBJSON value; typed numeric arrays become numpy arrays (native byte order)."""
    buf = bytes(data)
    pos = 0

    def num(tag: int):
        nonlocal pos
        st, _, n = _NUM[tag]
        v = st.unpack_from(buf, pos)[0]
        pos += n
        return v

    def string() -> str:
        nonlocal pos
        n = num(buf[pos - 0]) if False else None  # placeholder, replaced below
        return n  # pragma: no cover

    def read_str() -> str:
        nonlocal pos
        tag = buf[pos]
        pos += 1
        n = num(tag)
        s = buf[pos:pos + n].decode("utf-8")
        pos += n
        return s

    def header():
        nonlocal pos
        typ = count = None
        if buf[pos] == _DOLLAR:
            typ = buf[pos + 1]
            pos += 2
        if buf[pos] == _HASH:
            pos += 1
            tag = buf[pos]
            pos += 1
            count = num(tag)
        return typ, count

    def value(tag: int | None = None):
        nonlocal pos
        if tag is None:
            tag = buf[pos]
            pos += 1
        if tag in _NUM:
            return num(tag)
        if tag == _S:
            return read_str()
        if tag == _LB:
            typ, count = header()
            if typ is not None and typ in _NUM:
                _, dt, n = _NUM[typ]
                arr = np.frombuffer(buf, dtype=dt, count=count, offset=pos).astype(dt[1:])
                pos += n * count
                return arr
            out = []
            if count is not None:
                for _ in range(count):
                    out.append(value(typ))
                return out
            while buf[pos] != _RB:
                out.append(value())
            pos += 1
            return out
        if tag == _LC:
            typ, count = header()
            obj = {}
            if count is not None:
                for _ in range(count):
                    k = read_str()
                    obj[k] = value(typ)
                return obj
            while buf[pos] != _RC:
                k = read_str()
                obj[k] = value()
            pos += 1
            return obj
        if tag == _T:
            return True
        if tag == _F:
            return False
        if tag == _Z:
            return None
        if tag == _C:
            c = chr(buf[pos])
            pos += 1
            return c
        raise ValueError(f"unsupported UBJSON tag {chr(tag)!r} at byte {pos - 1}")

    return value()
