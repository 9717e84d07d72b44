"""YAML documents with their node trees, so every value can be traced back to file:line:col.

Only safe YAML: no tags that construct objects. Syntax errors become diagnostics.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import SafeConstructor

from chaos.errors import Diagnostic


@dataclass(frozen=True)
class Document:
    """One parsed YAML document: its data and the node tree it came from."""

    path: str
    data: Any
    node: yaml.Node

    def locate(self, loc: Sequence[str | int]) -> tuple[int, int, list[str | int]]:
        """Line, column (1-based) and the matched path of the deepest node along `loc`.

        Items of `loc` that the YAML does not have (a union's tag, say) are skipped, so the
        location is that of the nearest thing the user wrote.
        """
        node = self.node
        matched: list[str | int] = []
        for part in loc:
            child = _child(node, part)
            if child is not None:
                node = child
                matched.append(part)
        return node.start_mark.line + 1, node.start_mark.column + 1, matched

    def key_position(self, loc: Sequence[str | int], key: str) -> tuple[int, int] | None:
        """Where the key `key` of the mapping at `loc` is written."""
        line, column, matched = self.locate(loc)
        node = self.node
        for part in matched:
            node = _child(node, part) or node
        if isinstance(node, yaml.MappingNode):
            for key_node, _ in node.value:
                if isinstance(key_node, yaml.ScalarNode) and key_node.value == key:
                    return key_node.start_mark.line + 1, key_node.start_mark.column + 1
        return None


def _child(node: yaml.Node, part: str | int) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.value == str(part):
                return value_node  # type: ignore[no-any-return]
    elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
        if 0 <= part < len(node.value):
            return node.value[part]  # type: ignore[no-any-return]
    return None


class YamlProblem(Exception):
    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(diagnostic.message)
        self.diagnostic = diagnostic


def read_text(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise YamlProblem(Diagnostic(str(path), 0, 0, f"cannot read the file: {error.strerror}"))
    if b"\x00" in raw:
        raise YamlProblem(Diagnostic(str(path), 0, 0,
                                     "this is a binary file, not a YAML experiment"))
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise YamlProblem(Diagnostic(str(path), 0, 0,
                                     f"the file is not UTF-8 text (byte {error.start})")) from None


def parse_documents(path: str, text: str) -> list[Document]:
    """Every document in the text, safely constructed; a syntax error is a YamlProblem."""
    try:
        nodes = list(yaml.compose_all(text, Loader=yaml.SafeLoader))
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else 0
        column = mark.column + 1 if mark else 0
        problem = error.problem or "invalid YAML"
        context = f" ({error.context})" if error.context else ""
        raise YamlProblem(Diagnostic(path, line, column,
                                     f"YAML syntax error: {problem}{context}")) from None
    except yaml.YAMLError as error:
        raise YamlProblem(Diagnostic(path, 0, 0, f"YAML error: {error}")) from None
    documents = []
    for node in nodes:
        if node is None:
            continue
        try:
            data = SafeConstructor().construct_document(node)
        except yaml.constructor.ConstructorError as error:
            mark = error.problem_mark
            raise YamlProblem(Diagnostic(
                path, mark.line + 1 if mark else 0, mark.column + 1 if mark else 0,
                f"unsupported YAML: {error.problem}",
            )) from None
        documents.append(Document(path, data, node))
    return documents
