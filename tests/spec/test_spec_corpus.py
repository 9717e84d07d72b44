"""The corpus of invalid experiments: each file's diagnostics pinned in corpus/expected.yaml.

Pinned per diagnostic: line, column, key path, a fragment of the message, and where it
matters the did-you-mean and the file it is reported in (a system definition, say).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from chaos._errors import SpecError
from chaos._loading import loader
from chaos._spec.loader import Loader

CORPUS = Path(__file__).parent / "corpus"
EXPECTED: dict[str, Any] = yaml.safe_load((CORPUS / "expected.yaml").read_text())


@pytest.fixture(scope="module")
def corpus_loader() -> Loader:
    """One loader for the corpus, importing handlers as `chaos-arena validate` does."""
    return loader(import_handlers=True)


def test_the_corpus_has_at_least_40_files_all_pinned() -> None:
    files = sorted(p.name for p in CORPUS.glob("*.chaos.yaml"))
    assert len(files) >= 40
    assert files == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_diagnostics_are_as_pinned(
    name: str, corpus_loader: Loader, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(CORPUS)
    with pytest.raises(SpecError) as caught:
        corpus_loader.file(Path(name))
    got = caught.value.diagnostics
    expected = EXPECTED[name]["diagnostics"]
    assert [(d.line, d.column, d.key_path) for d in got] == [tuple(e[:3]) for e in expected]
    for diagnostic, row in zip(got, expected, strict=True):
        extra = row[4] if len(row) > 4 else {}
        assert row[3] in diagnostic.message
        assert diagnostic.path == extra.get("file", name)
        assert extra.get("hint", "") in (diagnostic.hint or "")


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_diagnostics_render_compiler_style(
    name: str, corpus_loader: Loader, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(CORPUS)
    with pytest.raises(SpecError) as caught:
        corpus_loader.file(Path(name))
    for diagnostic in caught.value.diagnostics:
        first, *rest = diagnostic.render().splitlines()
        location = (
            diagnostic.path
            if diagnostic.line == 0
            else f"{diagnostic.path}:{diagnostic.line}:{diagnostic.column}"
        )
        assert first == f"{location}: {diagnostic.message}"
        assert all(line.startswith(("    at: ", "    got: ", "    hint: ")) for line in rest)
        assert "Input should be" not in diagnostic.render()
        assert "Traceback" not in diagnostic.render()
