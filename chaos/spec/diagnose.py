"""Turn pydantic validation errors into located, explanatory diagnostics."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError

from chaos.errors import Diagnostic
from chaos.spec.yamlsource import Document


def key_path(loc: Sequence[str | int]) -> str:
    """`faults[0].lambda.error.probability` from a location tuple."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _shown(value: Any) -> str | None:
    if isinstance(value, dict | list):
        return None
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 80 else text[:77] + "..."


def diagnostics(error: ValidationError, document: Document,
                prefix: Sequence[str | int] = ()) -> list[Diagnostic]:
    """One diagnostic per pydantic error, located in `document`."""
    out = []
    for item in error.errors(include_url=False):
        loc = [*prefix, *item["loc"]]
        out.append(_one(item, loc, document))
    return out


def _one(item: Any, loc: list[str | int], document: Document) -> Diagnostic:
    kind = item["type"]
    line, column, matched = document.locate(loc)
    value = _shown(item.get("input"))
    message = _message(item)
    hint = None
    if kind == "extra_forbidden":
        key = str(loc[-1])
        position = document.key_position(loc[:-1], key)
        if position:
            line, column = position
        message = f"unknown key {key!r}"
        value = None
    elif kind == "missing":
        message = f"missing required key {str(loc[-1])!r}"
        value = None
    elif kind == "union_tag_invalid":
        context = item.get("ctx", {})
        tag = context.get("tag", "")
        expected = context.get("expected_tags", "")
        message = f"unknown name {tag!r}"
        hint = f"valid names: {expected}"
        value = None
    elif kind == "union_tag_not_found":
        message = "expected a name, or a mapping with exactly one name as its key"
    path = key_path(matched if kind not in ("extra_forbidden", "missing") else loc)
    return Diagnostic(document.path, line, column, message, path, value, hint)


def _message(item: Any) -> str:
    message = str(item["msg"])
    for prefix in ("Value error, ", "Assertion failed, "):
        if message.startswith(prefix):
            message = message[len(prefix):]
    return message
