"""Arrows only point down: every import inside `chaos/` is one ARCHITECTURE.md's layer table
allows. The table is read from the document itself, so the two cannot drift apart.

Module names are compared without a leading underscore per part (`chaos._spec.loader` is
`spec.loader` in the table), so private packages keep the rows of their public names.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
TABLE_HEADING = "## Layers and what each may import"


@dataclass(frozen=True)
class Row:
    paths: tuple[str, ...]
    """The modules and packages of the row, as table names (`spec`, `faults.base`)."""
    allowed: tuple[str, ...]


@dataclass(frozen=True)
class Arrow:
    source: str
    target: str
    where: str


def plain(module: str) -> str:
    """The module's name with the leading underscore of each part dropped (`_spec` is `spec`
    in the table; dunder names stay as they are)."""
    return ".".join(
        p[1:] if p.startswith("_") and not p.startswith("__") else p for p in module.split(".")
    )


def layer_table(markdown: str) -> list[Row]:
    """The rows of the layer table: backticked `chaos/...` paths, then backticked names."""
    section = markdown.split(TABLE_HEADING, 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 3 or not cells[0].startswith("`chaos"):
            continue
        paths = tuple(_table_name(p) for p in re.findall(r"`(chaos[^`]*)`", cells[0]))
        allowed = tuple(re.findall(r"`([a-z_.]+)`", cells[2]))
        rows.append(Row(paths, allowed))
    return rows


def _table_name(path: str) -> str:
    """`chaos/_spec/` -> `spec`; `chaos/_faults/base.py` -> `faults.base`; the package's own
    `__init__.py` -> `chaos`."""
    parts = path.removesuffix("/").removesuffix(".py").split("/")
    if parts[-1] == "__init__" and len(parts) == 2:
        return "chaos"
    return plain(".".join(parts[1:]))


def covers(name: str, module: str) -> bool:
    """Does the table name `name` stand for `module` (a plain module name)?"""
    if name == "chaos":
        return module == "chaos"
    full = f"chaos.{name}"
    return module == full or module.startswith(f"{full}.")


def row_of(module: str, rows: list[Row]) -> Row | None:
    """The most specific row whose paths cover the module (by its plain name)."""
    module = plain(module)
    matches = [(len(p), row) for row in rows for p in row.paths if covers(p, module)]
    return max(matches, key=lambda m: m[0])[1] if matches else None


def modules(package: Path) -> dict[str, Path]:
    """Every module below `package` by its plain dotted name."""
    found = {}
    for path in sorted(package.rglob("*.py")):
        parts = list(path.relative_to(package.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[plain(".".join(parts))] = path
    return found


def arrows(package: Path) -> list[Arrow]:
    """Every import of a `chaos` module by a module of `package`, at module or function
    level; those under `if TYPE_CHECKING:` are left out."""
    known = modules(package)
    found = []
    for source, path in known.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node, line in _imports(tree):
            for target in _targets(node, known):
                found.append(Arrow(source, target, f"{path.relative_to(package.parent)}:{line}"))
    return found


def _imports(tree: ast.AST) -> list[tuple[ast.Import | ast.ImportFrom, int]]:
    exempt: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            exempt.update(id(child) for stmt in node.body for child in ast.walk(stmt))
    return [
        (node, node.lineno)
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom) and id(node) not in exempt
    ]


def _targets(node: ast.Import | ast.ImportFrom, known: dict[str, Path]) -> list[str]:
    if isinstance(node, ast.Import):
        names = [plain(alias.name) for alias in node.names]
    elif node.module is None or node.level:
        return []  # relative imports: the package does not use them
    else:
        base = plain(node.module)
        # `from chaos._spec import schema` imports the module chaos._spec.schema.
        names = [
            f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base
            for alias in node.names
        ]
    return [n for n in names if n == "chaos" or n.startswith("chaos.")]


def violations(package: Path, rows: list[Row]) -> list[str]:
    """Every arrow the table does not allow, and every module in no row."""
    problems = [
        f"{module} ({path.relative_to(package.parent)}) is in no row of the layer table: "
        "add it to ARCHITECTURE.md"
        for module, path in modules(package).items()
        if row_of(module, rows) is None
    ]
    return problems + _violations_of(arrows(package), rows)


def _violations_of(graph: list[Arrow], rows: list[Row]) -> list[str]:
    problems = []
    for arrow in graph:
        source, target = row_of(arrow.source, rows), row_of(arrow.target, rows)
        if source is None or target is None or source == target:
            continue
        if not any(covers(name, plain(arrow.target)) for name in source.allowed):
            problems.append(
                f"{arrow.where}: {arrow.source} imports {arrow.target}, which its row "
                f"({', '.join(source.paths)}) may not import"
            )
    return problems


@pytest.fixture(scope="module")
def rows() -> list[Row]:
    return layer_table((ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8"))


def test_the_table_is_read(rows: list[Row]) -> None:
    names = {p for row in rows for p in row.paths}
    assert {"errors", "spec", "sim", "aws", "engine", "checks", "cli", "chaos"} <= names
    spec = row_of("chaos._spec.loader", rows)
    assert spec is not None
    assert spec.allowed == ("errors", "registry")


def test_every_import_in_chaos_follows_the_layer_table(rows: list[Row]) -> None:
    assert violations(ROOT / "chaos", rows) == []


def test_sim_knows_nothing_of_aws() -> None:
    for path in (ROOT / "chaos").glob("*sim/*.py"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"^\s*(import|from) (boto3|botocore|moto)\b", text, re.M), path


SYNTHETIC = """
## Layers and what each may import

| package | job | may import |
|---|---|---|
| `chaos/base/` | the bottom | stdlib |
| `chaos/low/` | above it | `base` |
| `chaos/high/`, `chaos/top.py` | at the top | `low`, `base` |
| `chaos/__init__.py` | the package | `base` |
"""


def _package(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in {"__init__.py": "", **files}.items():
        path = tmp_path / "chaos" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path / "chaos"


def test_a_reversed_arrow_fails(tmp_path: Path) -> None:
    """A low layer importing a high one is caught, at module level and inside a function
    alike; the high one importing the low one is fine, and so is an import only a type
    checker sees. (A table of its own, so that no rename of the real packages touches it.)"""
    package = _package(
        tmp_path,
        {
            "low/a.py": "import chaos.high.b\n",
            "low/c.py": "def f():\n    from chaos.high import b\n",
            "low/d.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
            "    from chaos.top import T\n",
            "high/b.py": "from chaos.low import a\nimport chaos.base.e\n",
            "base/e.py": "",
            "top.py": "import chaos.high.b\n",
        },
    )
    assert violations(package, layer_table(SYNTHETIC)) == [
        "chaos/low/a.py:1: chaos.low.a imports chaos.high.b, which its row (low) may not import",
        "chaos/low/c.py:2: chaos.low.c imports chaos.high.b, which its row (low) may not import",
    ]


def test_the_real_graph_with_a_reversed_arrow_fails(rows: list[Row]) -> None:
    """The spec importing the engine, added to the real graph, is one violation."""
    graph = [*arrows(ROOT / "chaos"), Arrow("chaos._spec.loader", "chaos._engine.world", "x:1")]
    assert _violations_of(graph, rows) == [
        "x:1: chaos._spec.loader imports chaos._engine.world, which its row (spec) may not import"
    ]


def test_a_module_in_no_row_fails(tmp_path: Path) -> None:
    package = _package(tmp_path, {"stray/guards.py": ""})
    assert violations(package, layer_table(SYNTHETIC)) == [
        "chaos.stray.guards (chaos/stray/guards.py) is in no row of the layer table: "
        "add it to ARCHITECTURE.md"
    ]


def test_private_names_keep_their_rows(tmp_path: Path) -> None:
    package = _package(tmp_path, {"_low/a.py": "from chaos._high import b\n", "_high/b.py": ""})
    assert violations(package, layer_table(SYNTHETIC)) == [
        "chaos/_low/a.py:1: chaos.low.a imports chaos.high.b, which its row (low) may not import"
    ]
