"""Turn pydantic validation errors into located, explanatory diagnostics.

Each pydantic error becomes a `Problem` (a key path, a sentence, a hint), and each problem
is then placed in the YAML file it came from. Sentences are written here per error type, with
the valid keys and choices read from the JSON Schema (`schema`), so an unknown key lists what
would be valid and suggests the closest; a bare "Input should be..." never reaches the user.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from pydantic import ValidationError

from chaos._errors import Diagnostic
from chaos._registry import did_you_mean
from chaos._spec import schema as schemas
from chaos._spec import units
from chaos._spec.base import Loc, Problem, SpecModel, SpecProblems, key_path
from chaos._spec.types import PATTERN_FORMS
from chaos._spec.yamlsource import Document

Root = tuple[schemas.Schema, schemas.Schema]

_ENTRY_KINDS = {"faults": "fault type", "assertions": "assertion"}
_TYPE_WORDS = {
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "string_type": "text",
    "dict_type": "a mapping of keys to values",
    "model_type": "a mapping of keys to values",
    "model_attributes_type": "a mapping of keys to values",
    "tuple_type": "a list",
    "list_type": "a list",
    "iterable_type": "a list",
    "set_type": "a list",
}
_BOUNDS = {
    "greater_than": ("gt", "above"),
    "greater_than_equal": ("ge", "at least"),
    "less_than": ("lt", "below"),
    "less_than_equal": ("le", "at most"),
}
_MY_KINDS = ("duration", "rate", "fraction", "size", "handler_ref")
_UNIT_FORMS = (units.DURATION_FORM, units.RATE_FORM, units.PERCENT_FORM, units.SIZE_FORM)


@dataclass(frozen=True)
class Site:
    """Where an experiment sits: its document and its key path inside it (a list's index)."""

    document: Document
    prefix: Loc = ()

    def at(self, problem: Problem) -> Diagnostic:
        return place(problem, self.document, self.prefix)


def diagnostics(
    error: ValidationError, document: Document, prefix: Sequence[str | int], root: Root
) -> list[Diagnostic]:
    """One diagnostic per problem in `error`, located in `document` below `prefix`.

    `root` is the schema of what was validated (`schema.experiment_root(vocabulary)` or
    `schema.system_root()`): the valid keys and choices the messages list come from it.
    """
    return [place(problem, document, prefix) for problem in problems(error, root)]


def problems(error: ValidationError, root: Root) -> list[Problem]:
    """The problems in a validation error, key paths relative to the validated data."""
    items = error.errors(include_url=False)
    found: list[Problem] = []
    for item in items:
        if not _echo(item, items):
            found.extend(explain(item, root))
    return _without_implied(found)


def _echo(item: Any, items: list[Any]) -> bool:
    """An error that only repeats another: a list too short because its items failed."""
    if item["type"] != "too_short":
        return False
    loc = tuple(item["loc"])
    return any(
        tuple(other["loc"][: len(loc)]) == loc and len(other["loc"]) > len(loc) for other in items
    )


def _without_implied(found: list[Problem]) -> list[Problem]:
    """Drop 'missing key X' where an unknown key beside it is a misspelling of X."""
    unknown = [p.loc for p in found if p.on_key and p.message.startswith("unknown key")]
    return [
        p
        for p in found
        if not (
            p.missing
            and any(
                u[:-1] == p.loc[:-1] and did_you_mean(str(u[-1]), [str(p.loc[-1])]) for u in unknown
            )
        )
    ]


def place(problem: Problem, document: Document, prefix: Sequence[str | int] = ()) -> Diagnostic:
    """The diagnostic of a problem, at the line and column where `document` has its key."""
    loc = [*prefix, *problem.loc]
    line, column, _ = document.locate(loc[:-1] if problem.missing else loc)
    if problem.on_key and loc:
        position = document.key_position(loc[:-1], loc[-1])
        if position is not None:
            line, column = position
    value = None
    if not (problem.missing or problem.on_key):
        value = document.written(loc) or problem.shown
    shown_loc = list(loc)
    if problem.on_key and loc and not isinstance(loc[-1], str):
        # A key YAML read as true or a number: show it as written (`on`, not `True`).
        shown_loc[-1] = document.key_text(loc[:-1], loc[-1]) or loc[-1]
    return Diagnostic(
        document.path, line, column, problem.message, key_path(shown_loc), value, problem.hint
    )


def clean_loc(loc: Sequence[str | int]) -> tuple[Loc, bool]:
    """A pydantic location as the user's key path, and whether it ends at a mapping's key.

    pydantic repeats a tagged union's tag before the field alias (`faults.0.lambda.error.
    lambda.error.at`) and marks dict keys with `[key]`; neither is in the YAML.
    """
    out: list[str | int] = []
    on_key = False
    for index, part in enumerate(loc):
        if part == "[key]":
            on_key = True
            continue
        after_item = index >= 2 and isinstance(loc[index - 2], int) and loc[index - 1] == part
        if after_item and not isinstance(part, int):
            continue
        out.append(part)
    return tuple(out), on_key


def explain(item: Any, root: Root) -> list[Problem]:
    """The problems one pydantic error stands for (a SpecProblems error stands for several)."""
    loc, on_key = clean_loc(item["loc"])
    kind = str(item["type"])
    context = item.get("ctx") or {}
    error = context.get("error")
    if kind == "value_error" and isinstance(error, SpecProblems):
        return [problem.under(loc) for problem in error.problems]
    shown = _shown(item.get("input"))
    if on_key:
        return [Problem(loc, f"the key {shown} {_should_be(kind, item)}", on_key=True)]
    problem = _explained(kind, loc, item, root)
    if problem.shown is None and not problem.missing and not problem.on_key:
        problem = replace(problem, shown=shown)
    return [problem]


def _explained(kind: str, loc: Loc, item: Any, root: Root) -> Problem:
    context = item.get("ctx") or {}
    value = item.get("input")
    if kind == "extra_forbidden":
        return _unknown_key(loc, root)
    if kind == "missing":
        return Problem(
            loc,
            f"missing required key {str(loc[-1])!r}",
            schemas.description(*root, loc),
            missing=True,
        )
    if kind == "invalid_key":
        # pydantic puts True as 1 in the location; the input is the key as YAML read it.
        return _unknown_key((*loc[:-1], value), root)
    if kind == "union_tag_invalid":
        return _unknown_name(loc, str(context.get("tag", "")), root)
    if kind == "union_tag_not_found":
        return Problem(loc, "expected a name, or a mapping with exactly one name as its key")
    if kind in _MY_KINDS or kind.endswith("_shape"):
        return Problem(loc, str(context.get("message", item["msg"])), context.get("hint") or None)
    if kind == "value_error":
        return Problem(loc, _strip(str(item["msg"])))
    if kind in ("literal_error", "enum"):
        return _not_a_choice(loc, value, context, root)
    if kind in _BOUNDS:
        return _out_of_bounds(kind, loc, value, context, root)
    return Problem(loc, f"{_subject(loc, root)} {_should_be(kind, item)}", _type_hint(kind, value))


def _unknown_key(loc: Loc, root: Root) -> Problem:
    key = loc[-1]
    keys = schemas.valid_keys(*root, loc[:-1])
    suggestion = did_you_mean(str(key), keys) if keys else None
    if _aliases().get(str(key)) in keys:
        suggestion = _aliases()[str(key)]  # the Python name of a key files spell otherwise
    hint = f"valid keys: {', '.join(keys)}" if keys else "this mapping takes no keys"
    if suggestion is not None:
        hint = f"did you mean {suggestion!r}? {hint}"
    shown = str(key).lower() if isinstance(key, bool) else repr(key)
    return Problem(loc, f"unknown key {shown}{_bool_note(key)}", hint, on_key=True)


def _aliases() -> dict[str, str]:
    """Field names whose YAML key differs (`duration` is written `for`), over every model
    (not cached: models registered later count too, and only an unknown key asks)."""
    found: dict[str, str] = {}
    pending: list[type[SpecModel]] = [SpecModel]
    while pending:
        model = pending.pop()
        pending.extend(model.__subclasses__())
        for name, info in model.model_fields.items():
            if info.alias and info.alias != name and not name.startswith("params"):
                found.setdefault(name, info.alias)
    return found


def _unknown_name(loc: Loc, tag: str, root: Root) -> Problem:
    field = next((p for p in loc if isinstance(p, str)), "")
    kind = _ENTRY_KINDS.get(field, "name")
    names = sorted(
        {key for node in schemas.nodes_at(*root, loc) for key in node.get("properties", {})}
    )
    suggestion = did_you_mean(tag, names)
    hint = f"valid {kind}s: {', '.join(names)}"
    if suggestion is not None:
        hint = f"did you mean {suggestion!r}? {hint}"
    return Problem((*loc, tag), f"unknown {kind} {tag!r}", hint, on_key=True)


def _not_a_choice(loc: Loc, value: Any, context: Any, root: Root) -> Problem:
    valid = schemas.choices(*root, loc) or [str(context.get("expected", ""))]
    hint = None
    if isinstance(value, str) and (suggestion := did_you_mean(value, valid)) is not None:
        hint = f"did you mean {suggestion!r}?"
    return Problem(loc, f"{_subject(loc, root)} must be one of: {', '.join(valid)}", hint)


def _out_of_bounds(kind: str, loc: Loc, value: Any, context: Any, root: Root) -> Problem:
    key, words = _BOUNDS[kind]
    limit = _as_written(context.get(key), value)
    about = schemas.description(*root, loc)
    if about is not None and any(form in about for form in _UNIT_FORMS):
        about = None  # the unit's form says nothing about the limit
    return Problem(loc, f"{_subject(loc, root)} must be {words} {limit}", about)


def _as_written(limit: Any, value: Any) -> str:
    """A limit in the unit the user wrote the value in (`15m`, `0/s`), or as a number."""
    if not isinstance(limit, int | float) or not isinstance(value, str):
        return f"{limit:,}" if isinstance(limit, int) else str(limit)
    for parse, render in (
        (units.parse_duration, units.format_duration),
        (units.parse_rate, units.format_rate),
        (units.parse_size, units.format_size),
    ):
        try:
            parse(value)
        except units.UnitError:
            continue
        return render(float(limit))
    return str(limit)


def _subject(loc: Loc, root: Root) -> str:
    """What a message calls the value at `loc`: its key, or `map.key` inside a free mapping."""
    if not loc:
        return "the experiment"
    if len(loc) > 1 and (isinstance(loc[-1], int) or _in_free_mapping(loc, root)):
        return key_path(loc[-2:])
    return str(loc[-1])


def _in_free_mapping(loc: Loc, root: Root) -> bool:
    return any(
        isinstance(node.get("additionalProperties"), dict)
        for node in schemas.nodes_at(*root, loc[:-1])
    )


def _should_be(kind: str, item: Any) -> str:
    value = item.get("input")
    context = item.get("ctx") or {}
    if kind in _TYPE_WORDS:
        return f"must be {_TYPE_WORDS[kind]}, not {_kind_of(value)}"
    if kind == "string_pattern_mismatch":
        pattern = str(context.get("pattern", ""))
        form = PATTERN_FORMS.get(pattern)
        return f"must be {form}" if form else f"must match the pattern {pattern}"
    if kind in ("string_too_short", "too_short"):
        least = context.get("min_length", 1)
        noun = "character" if kind.startswith("string") else "item"
        return "must not be empty" if least == 1 else f"must have at least {least} {noun}s"
    if kind in ("string_too_long", "too_long"):
        noun = "character" if kind.startswith("string") else "item"
        return f"must have at most {context.get('max_length')} {noun}s"
    if kind == "recursion_loop":
        return "refers to itself"
    message = _strip(str(item["msg"]))
    if message.startswith("Input should be "):
        return "should be " + message.removeprefix("Input should be ")
    return f"is not valid: {message[:1].lower()}{message[1:]}"


def _type_hint(kind: str, value: Any) -> str | None:
    if isinstance(value, bool) and kind != "bool_type":
        return "YAML reads an unquoted yes, no, on or off as true or false"
    if kind == "string_type" and isinstance(value, int | float):
        return "put it in quotes if you mean the text"
    if kind in ("tuple_type", "list_type") and isinstance(value, dict):
        return "start each item of a list with '- '"
    return None


def _kind_of(value: Any) -> str:
    if value is None:
        return "nothing (an empty value)"
    if isinstance(value, bool):
        return f"{str(value).lower()}"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the text {value[:60]!r}"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def _bool_note(key: Any) -> str:
    if isinstance(key, bool):
        return " (YAML reads an unquoted on, off, yes or no as true or false; quote the key)"
    return ""


def _shown(value: Any) -> str | None:
    """A value for a message: text as is (quoted only when blank or padded), no collections."""
    if isinstance(value, dict | list | tuple):
        return None
    plain = isinstance(value, str) and value and value.strip() == value
    text = value if plain else repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _strip(message: str) -> str:
    for prefix in ("Value error, ", "Assertion failed, "):
        message = message.removeprefix(prefix)
    return message
