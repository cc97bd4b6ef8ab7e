"""Documented means tested: every ```python and ```bash block of README.md and docs/*.md runs here.

Each block is one test, named ``FILE:LINE-LANG``:

- a ```python block runs as written in a fresh ``python`` process;
- a ```bash block runs with ``bash -e`` (``naslib-anb`` and ``python`` are on ``PATH``).

Both run in a scratch directory that holds links to the repository's ``configs/``, ``runners/``,
``examples/`` and ``benchmarks/`` (so relative paths in the docs work and outputs stay out of the
tree), with the repository first on ``PYTHONPATH``.

A block that must not run here is marked in the doc by an HTML comment on the line(s) just above its
fence (invisible when rendered):

- ``<!-- snippet: skip REASON -->``: never executed (installs, cluster jobs, hour-long runs, ...);
  the reason is shown as the skip reason;
- ``<!-- snippet: needs naslib -->`` / ``needs torch`` / ``needs gpu`` / ``needs data`` / ``needs optuna``
  / ``needs synetune``: runs where that is available, skips with the reason otherwise (several may be
  listed, comma-separated). Blocks that import ``naslib``, ``naslib_anb.naslib``, ``torch``, Optuna or
  Syne Tune (or their ``naslib_anb`` adapters), or run a NASLib runner, are detected as needing them
  without a marker;
- ``<!-- snippet: timeout SECONDS -->``: another limit than the default 1,200 s (a hang guard, not a
  speed test);
- ``<!-- snippet: slow -->``: runs with the slow tests only (``pytest -m slow``; deselected by default).

Every other fence must carry a language that is not executed (``text``, ``jsonc``, ``yaml``,
``bibtex``, ...); a bare fence fails ``test_every_fence_is_classified`` so that nothing meant to be
pasted goes unexecuted by accident. The terminal summary lists what ran and what was skipped.
"""
from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def data_path() -> Path | None:
    """The ANB data the snippets read, found by the library's one rule (naslib_anb.data.source)."""
    from naslib_anb.data.source import find_data_path

    return find_data_path()


def no_data_reason() -> str:
    from naslib_anb.data.source import WHERE_TO_PUT

    return f"ANB dataset not found ({WHERE_TO_PUT})"


DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
EXECUTED = {"python", "bash"}
NOT_EXECUTED = {"text", "jsonc", "json", "yaml", "bibtex", "toml", "csv", "console-output"}
LINKED_DIRS = ("configs", "runners", "examples", "benchmarks")
DEFAULT_TIMEOUT = 1200  # catches hangs; a loaded 2-core machine must not fail a block
FENCE = re.compile(r"^(\s*)```(\S*)\s*$")
MARKER = re.compile(r"^\s*<!--\s*snippet:\s*(skip|needs|timeout|slow)\b\s*(.*?)\s*-->\s*$")
KNOWN_NEEDS = {"naslib", "torch", "gpu", "data", "optuna", "synetune"}

#: (test id, status, reason) collected for the terminal summary (tests/conftest.py prints it)
REPORT: list[tuple[str, str, str]] = []


@dataclass
class Block:
    path: Path
    line: int          # 1-based line of the opening fence
    lang: str
    code: str
    skip: str | None = None
    needs: set[str] = field(default_factory=set)
    timeout: int = DEFAULT_TIMEOUT
    slow: bool = False

    @property
    def id(self) -> str:
        return f"{self.path.relative_to(REPO)}:{self.line}-{self.lang or 'bare'}"


def parse_blocks(path: Path) -> list[Block]:
    """All fenced blocks of one markdown file, with the snippet markers written just above each."""
    lines = path.read_text(encoding="utf-8").splitlines()
    blocks: list[Block] = []
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        indent, lang = m.group(1), m.group(2).lower()
        start = i
        body = []
        i += 1
        while i < len(lines) and not re.match(rf"^{re.escape(indent)}```\s*$", lines[i]):
            body.append(lines[i])
            i += 1
        block = Block(path, start + 1, lang, textwrap.dedent("\n".join(body)) + "\n")
        j = start - 1
        while j >= 0 and not lines[j].strip():
            j -= 1
        while j >= 0 and (mk := MARKER.match(lines[j])):
            kind, arg = mk.group(1), mk.group(2)
            if kind == "skip":
                block.skip = arg or "marked skip"
            elif kind == "needs":
                block.needs |= {n.strip() for n in arg.split(",") if n.strip()}
            elif kind == "slow":
                block.slow = True
            else:
                block.timeout = int(arg)
            j -= 1
        blocks.append(block)
        i += 1
    return blocks


def implied_needs(block: Block) -> set[str]:
    needs = set(block.needs)
    if re.search(r"^\s*(from|import)\s+naslib(\.|\s|$)|\bnaslib_anb\.naslib\b"
                 r"|runners/naslib_(search|predictors|zerocost)\.py", block.code, re.M):
        needs.add("naslib")
    if re.search(r"^\s*(from|import)\s+(torch|timm|torchvision)\b", block.code, re.M):
        needs.add("torch")
    if re.search(r"^\s*(from|import)\s+(optuna|optunahub)\b|\bnaslib_anb\.optuna\b|bench_frameworks_optuna",
                 block.code, re.M):
        needs.add("optuna")
    if re.search(r"^\s*(from|import)\s+syne_tune\b|\bnaslib_anb\.synetune\b|bench_frameworks_synetune",
                 block.code, re.M):
        needs.add("synetune")
    return needs


ALL_BLOCKS = [b for p in DOCS for b in parse_blocks(p)]
RUNNABLE = [b for b in ALL_BLOCKS if b.lang in EXECUTED]


@functools.lru_cache(maxsize=None)
def missing(need: str) -> str | None:
    """Why ``need`` is unavailable here, or None when it is available."""
    if need == "data":
        return None if data_path() is not None else no_data_reason()
    if need == "torch":
        try:
            import torch  # noqa: F401
            import timm  # noqa: F401
        except ImportError as exc:
            return f"needs the train extra (torch, timm): {exc}"
        return None
    if need in ("optuna", "synetune"):  # the extras of the same names
        modules = ("optuna", "optunahub") if need == "optuna" else ("syne_tune",)
        try:
            for name in modules:
                __import__(name)
        except ImportError as exc:
            return f"needs the {need} extra (pip install naslib_anb[{need}]): {exc}"
        return None
    if need == "gpu":
        if missing("torch"):
            return missing("torch")
        import torch

        return None if torch.cuda.is_available() else "needs a CUDA GPU"
    if need == "naslib":
        # in a child process: importing NASLib applies compat patches this test process should not get
        probe = ("from naslib_anb.naslib import naslib_import_problem as p\n"
                 "print(p() or 'OK')")
        proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=600,
                              env=snippet_env(Path(sys.executable).parent))
        answer = (proc.stdout.strip().splitlines() or [proc.stderr.strip()[-500:]])[-1]
        return None if answer == "OK" else f"needs NASLib's import chain: {answer}"
    raise AssertionError(f"unknown snippet need {need!r}; known: {sorted(KNOWN_NEEDS)}")


@pytest.fixture()
def scratch(tmp_path: Path) -> Path:
    for name in LINKED_DIRS:
        if (REPO / name).exists():
            (tmp_path / name).symlink_to(REPO / name)
    return tmp_path


def snippet_env(bin_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), *filter(None, [env.get("PYTHONPATH")])])
    env["PATH"] = os.pathsep.join([str(bin_dir), env.get("PATH", "")])
    env["MPLBACKEND"] = "Agg"
    env.setdefault("OMP_NUM_THREADS", "1")
    if data_path() is not None:
        env["NASLIB_ANB_DATA"] = str(data_path())
    return env


def make_bin(directory: Path) -> Path:
    """``python`` and ``naslib-anb`` wrappers around the interpreter running the tests."""
    directory.mkdir()
    (directory / "python").write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    (directory / "python3").write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    (directory / "naslib-anb").write_text(f'#!/bin/sh\nexec "{sys.executable}" -m naslib_anb.cli.main "$@"\n')
    for f in directory.iterdir():
        f.chmod(0o755)
    return directory


def test_every_fence_is_classified():
    """Every fence is either executed here, explicitly marked, or tagged with a non-executed language."""
    bad = [b.id for b in ALL_BLOCKS if b.lang not in EXECUTED | NOT_EXECUTED]
    assert not bad, (f"fenced blocks without a known language: {bad}; tag them ```text (or another of "
                     f"{sorted(NOT_EXECUTED)}) if they are not meant to be pasted, else ```python/```bash")
    unknown = [(b.id, n) for b in ALL_BLOCKS for n in b.needs if n not in KNOWN_NEEDS]
    assert not unknown, f"unknown '<!-- snippet: needs -->' values {unknown}; known: {sorted(KNOWN_NEEDS)}"
    assert RUNNABLE, "no python/bash block found in README.md and docs/*.md"


def test_parser_reads_markers(tmp_path):
    """The marker grammar, checked on a small document (so a parser slip cannot hide blocks)."""
    doc = tmp_path / "doc.md"
    doc.write_text("text\n\n<!-- snippet: skip installs things -->\n```bash\npip install x\n```\n\n"
                   "<!-- snippet: needs naslib, gpu -->\n<!-- snippet: timeout 900 -->\n<!-- snippet: slow -->\n\n```python\n"
                   "print(1)\n```\n```\nbare\n```\n  ```python\n  import torch\n  ```\n")
    a, b, c, d = parse_blocks(doc)
    assert (a.lang, a.skip, a.code) == ("bash", "installs things", "pip install x\n")
    assert (b.lang, b.skip, b.needs, b.timeout, b.line, b.slow) == ("python", None, {"naslib", "gpu"}, 900, 12, True)
    assert not a.slow
    assert c.lang == "" and c.skip is None
    assert d.code == "import torch\n" and implied_needs(d) == {"torch"}
    a.code = "from naslib_anb.naslib import register\nregister()\n"
    assert implied_needs(a) == {"naslib"}
    a.code = "python runners/naslib_search.py --config configs/naslib/re.yaml\n"
    assert implied_needs(a) == {"naslib"}
    a.code = "import optuna\nfrom naslib_anb.synetune import ANBBlackbox\n"
    assert implied_needs(a) == {"optuna", "synetune"}


@pytest.mark.parametrize("block", [pytest.param(b, id=b.id, marks=[pytest.mark.slow] if b.slow else [])
                                   for b in RUNNABLE])
def test_snippet_runs(block: Block, scratch: Path, tmp_path_factory):
    if block.skip:
        REPORT.append((block.id, "skipped (marked)", block.skip))
        pytest.skip(f"marked in the doc: {block.skip}")
    for need in sorted(implied_needs(block)):
        reason = missing(need)
        if reason:
            REPORT.append((block.id, "skipped", reason))
            pytest.skip(reason)
    bin_dir = make_bin(tmp_path_factory.mktemp("bin") / "bin")
    if block.lang == "python":
        cmd = [sys.executable, "-c", block.code]
    else:
        cmd = ["bash", "-e", "-o", "pipefail", "-c", block.code]
    try:
        proc = subprocess.run(cmd, cwd=scratch, env=snippet_env(bin_dir), capture_output=True, text=True,
                              timeout=block.timeout)
    except subprocess.TimeoutExpired:
        REPORT.append((block.id, "FAILED", f"timeout {block.timeout}s"))
        pytest.fail(f"{block.id} ran past {block.timeout}s; shorten it or mark it in the doc")
    if proc.returncode != 0:
        REPORT.append((block.id, "FAILED", f"exit {proc.returncode}"))
    else:
        REPORT.append((block.id, "ran", ""))
    assert proc.returncode == 0, (f"{block.id} exited {proc.returncode}\n--- code\n{block.code}\n--- stdout\n"
                                  f"{proc.stdout[-3000:]}\n--- stderr\n{proc.stderr[-5000:]}")
    shutil.rmtree(bin_dir, ignore_errors=True)
