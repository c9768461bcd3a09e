"""The package's layers (ARCHITECTURE.md): imports go downward only, and there are no cycles."""
from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "byom_monitor"
#: Each layer and the layers it may import from (besides itself). The front door
#: (byom_monitor/__init__.py, cli.py, __main__.py) may import every layer; every layer may
#: import the foundation, byom_monitor/errors.py, which imports nothing of the package.
LAYERS = {
    "engines": set(),
    "io": set(),
    "analyzer": {"engines", "io", "clarify"},
    "clarify": {"engines", "io", "analyzer"},
    "session": {"engines", "io", "analyzer", "clarify"},
    "live": {"engines", "io", "analyzer", "clarify", "session"},
    "example": {"engines", "io", "analyzer", "clarify", "session", "live"},
}


def _module(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module(p) for p in PACKAGE.rglob("*.py")}


def _imports(path: Path) -> set[str]:
    """The byom_monitor modules a file imports, deferred imports included
    (``from byom_monitor.io import storage`` imports ``byom_monitor.io.storage``)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            assert not node.level, f"{path}: relative import; write byom_monitor.<layer>..."
            for alias in node.names:
                submodule = f"{node.module}.{alias.name}"
                found.add(submodule if submodule in MODULES else node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
    return {name for name in found if name.split(".")[0] == "byom_monitor"}


def _layer(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 or (len(parts) == 2 and parts[1] in LAYERS) else None


def test_every_module_is_in_a_layer():
    loose = [_module(p) for p in PACKAGE.glob("*.py")
             if p.stem not in ("__init__", "__main__", "cli", "errors")]
    assert loose == [], f"modules outside the layer packages: {loose}"
    folders = {p.name for p in PACKAGE.iterdir() if p.is_dir() and p.name != "__pycache__"}
    assert folders == set(LAYERS)


def test_the_foundation_imports_nothing_of_the_package():
    assert _imports(PACKAGE / "errors.py") == set()


def test_imports_go_downward_only():
    wrong = []
    for path in PACKAGE.rglob("*.py"):
        source = _layer(_module(path))
        if source is None:
            continue
        for target in _imports(path):
            layer = _layer(target)
            if layer is not None and layer != source and layer not in LAYERS[source]:
                wrong.append(f"{_module(path)} ({source}) imports {target} ({layer})")
    assert wrong == [], "\n".join(wrong)


def test_no_import_cycles_between_modules():
    graph = {_module(path): _imports(path) for path in PACKAGE.rglob("*.py")}
    state: dict[str, int] = {}
    cycles = []

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if nxt == node or nxt not in MODULES:
                continue
            if state.get(nxt) == 1:
                cycles.append(" -> ".join(trail[trail.index(nxt):] + [nxt]))
            elif nxt not in state:
                visit(nxt, trail + [nxt])
        state[node] = 2

    for module in sorted(MODULES):
        if module not in state:
            visit(module, [module])
    assert cycles == []
