"""Only `chaos`, `chaos.api`, `chaos.extend`, `chaos.strategies` and `chaos.__main__` are
public modules; every
other module of the package has a part with a leading underscore (`chaos._spec.loader`), as
httpx lays out its implementation. Each public module's `__all__` is pinned in
`test_public_api.py`.

This file becomes `test_public_surface.py` when the private-rename script moves the
implementation behind underscores (the script renames it); before, every module is public.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).parent.parent / "chaos"
PUBLIC = {"chaos", "chaos.api", "chaos.extend", "chaos.strategies", "chaos.__main__"}


def _modules() -> set[str]:
    found = set()
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found.add(".".join(parts))
    return found


def _public(module: str) -> bool:
    return not any(p.startswith("_") and not p.startswith("__") for p in module.split("."))


def test_only_the_curated_modules_are_public() -> None:
    assert {m for m in _modules() if _public(m)} == PUBLIC


def test_the_entry_points_name_private_modules() -> None:
    text = (PACKAGE.parent / "pyproject.toml").read_text(encoding="utf-8")
    assert 'chaos-arena = "chaos._cli:program"' in text
    assert 'chaos_arena = "chaos._pytest_plugin"' in text
