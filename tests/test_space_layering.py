"""naslib_anb.space imports one way: the architecture as data at the bottom, sampling at the top."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

SPACE = Path(__file__).resolve().parents[1] / "naslib_anb" / "space"

#: bottom to top; a module may import only modules of lower layers (same layer: independent)
LAYERS = (
    {"arch", "seeding"},
    {"codes"},
    {"cost"},
    {"memory"},
    {"support", "trainability"},
    {"trust_region"},
    {"space"},
    {"encoding", "campaigns"},
)
LAYER_OF = {m: i for i, layer in enumerate(LAYERS) for m in layer}


def space_imports(path: Path) -> set[str]:
    """Every ``naslib_anb.space.X`` a module imports, at module level or inside functions."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "naslib_anb.space":
                found.add("__init__")  # the package itself, i.e. everything
            elif node.module.startswith("naslib_anb.space."):
                found.add(node.module.split(".")[2])
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("naslib_anb.space"):
                    parts = alias.name.split(".")
                    found.add(parts[2] if len(parts) > 2 else "__init__")
    return found


def test_every_module_has_a_layer():
    """A new module must be placed in the order (so the order stays complete)."""
    modules = {p.stem for p in SPACE.glob("*.py")} - {"__init__"}
    assert modules == set(LAYER_OF), f"place these in LAYERS: {sorted(modules ^ set(LAYER_OF))}"


@pytest.mark.parametrize("module", sorted(LAYER_OF))
def test_imports_run_downwards(module):
    """Each module imports only modules below its own layer, never the package or its own layer."""
    imported = space_imports(SPACE / f"{module}.py")
    assert "__init__" not in imported, f"{module} imports naslib_anb.space (the whole package)"
    upward = sorted(m for m in imported if LAYER_OF[m] >= LAYER_OF[module])
    assert not upward, f"{module} (layer {LAYER_OF[module]}) imports {upward} (same or higher layer)"


def test_detector_sees_function_level_imports(tmp_path):
    """The check reads imports inside functions too (a lazy upward import is still a cycle)."""
    f = tmp_path / "m.py"
    f.write_text("def f():\n    from naslib_anb.space.space import sample\n    import naslib_anb.space.cost\n")
    assert space_imports(f) == {"space", "cost"}
