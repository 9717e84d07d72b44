"""JSON Schema (draft 2020-12) of experiment files and system definitions, from the models.

pydantic writes the schema; this module reshapes the parts where the YAML is shorter than the
model (`- no_loss`, `- dlq: only_poison`, `- eda: {overrides}`), writes defaults the way a
file would (`0s`, not `0.0`), and wraps the root so a file may hold one experiment or a list.
The diagnostics use the same schema to list valid keys and choices at any key path.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Sequence
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Any

from chaos._spec import units

if TYPE_CHECKING:
    from chaos._spec.catalog import Vocabulary

DRAFT = "https://json-schema.org/draft/2020-12/schema"
Schema = dict[str, Any]

_ENTRY_PREFIXES = {"FaultEntry_": "faults", "AssertionEntry_": "assertions"}


def experiment_schema(vocabulary: Vocabulary) -> Schema:
    """The JSON Schema of an experiment file: one experiment, or a list of them."""
    return copy.deepcopy(_experiment_schema(vocabulary))


def system_schema() -> Schema:
    """The JSON Schema of a system definition file."""
    return copy.deepcopy(_system_schema())


def _experiment_schema(vocabulary: Vocabulary) -> Schema:
    return _schema_of(vocabulary, vocabulary.version())


@lru_cache(maxsize=8)
def _schema_of(vocabulary: Vocabulary, _version: object) -> Schema:
    """The schema of the experiment model of `vocabulary` (rebuilt with the registries)."""
    from chaos._spec.experiment import REFERENCE_SYSTEMS, experiment_model

    model = experiment_model(vocabulary)
    generated = model.model_json_schema(by_alias=True)
    defs: Schema = generated.pop("$defs", {})
    defs["Experiment"] = generated
    _reshape_entries(defs, {name: a.shorthand for name, a in vocabulary.assertions})
    properties = generated["properties"]
    properties["systems"] = {
        **_systems_schema(vocabulary.systems.names()),
        "default": list(REFERENCE_SYSTEMS),
        "description": properties["systems"].get("description", ""),
    }
    defs.pop("SystemRef", None)
    _written_defaults(defs)
    return {
        "$schema": DRAFT,
        "title": "chaos-arena experiment file",
        "description": "One chaos-arena experiment, or a list of them. Quantities carry units: "
        "durations 250ms/30s/5m/1h, rates 20/s/600/m, percentages 5% or 0.05.",
        "anyOf": [
            {"$ref": "#/$defs/Experiment"},
            {"type": "array", "items": {"$ref": "#/$defs/Experiment"}, "minItems": 1},
        ],
        "$defs": defs,
    }


@cache
def _system_schema() -> Schema:
    from chaos._spec.system import SystemDefinition

    generated = SystemDefinition.model_json_schema(by_alias=True)
    _written_defaults(generated.get("$defs", {}))
    _written_defaults({"SystemDefinition": generated})
    return {"$schema": DRAFT, **generated}


def _entry_names(defs: Schema, prefix: str) -> list[str]:
    return [next(iter(d["properties"])) for n, d in defs.items() if n.startswith(prefix)]


def _reshape_entries(defs: Schema, shorthands: dict[str, str | None]) -> None:
    """Let entries be written as a bare name, `{name: null}` or `{name: scalar}` too."""
    experiment = defs["Experiment"]["properties"]
    for prefix, field in _ENTRY_PREFIXES.items():
        bare = []
        for def_name, entry in defs.items():
            if not def_name.startswith(prefix):
                continue
            ((name, params),) = entry["properties"].items()
            params_schema = _deref(defs, params)
            if not params_schema.get("required"):
                bare.append(name)
            forms = [params, {"type": "null"}]
            shorthand = shorthands.get(name) if field == "assertions" else None
            if shorthand is not None:
                forms.append(params_schema["properties"][shorthand])
            entry["properties"][name] = {"anyOf": forms}
        items = experiment[field]["items"]
        if bare:
            items["oneOf"].insert(
                0,
                {
                    "type": "string",
                    "enum": sorted(bare),
                    "description": "a name whose parameters all have defaults",
                },
            )


def _systems_schema(systems: list[str]) -> Schema:
    name = {
        "anyOf": [
            {"enum": systems, "description": "a registered system"},
            {
                "type": "string",
                "pattern": r"(/|\.ya?ml$)",
                "description": "a path to a system definition file, relative to the experiment",
            },
        ]
    }
    with_overrides = {
        "type": "object",
        "minProperties": 1,
        "maxProperties": 1,
        "description": "a system with overrides, keyed as in its definition file",
        "propertyNames": name,
        "additionalProperties": {"anyOf": [{"type": "object"}, {"type": "null"}]},
    }
    return {"type": "array", "minItems": 1, "items": {"anyOf": [name, with_overrides]}}


_FORMATTERS = (
    ("(ms|s|m|h|d)", units.format_duration),
    ("/\\s*(s|m|h)", units.format_rate),
    ("[kK][iI][bB]", units.format_size),
)


def _written_defaults(defs: Schema) -> None:
    """Defaults as a file writes them (`30s`), and no object defaults (they are not YAML)."""
    for definition in defs.values():
        for prop in definition.get("properties", {}).values():
            default = prop.get("default")
            if isinstance(default, dict):
                del prop["default"]
            elif isinstance(default, int | float) and not isinstance(default, bool):
                pattern = _pattern(prop)
                for marker, format_value in _FORMATTERS:
                    if pattern is not None and marker in pattern:
                        prop["default"] = format_value(default)
                        break
            _drop_pydantic_keys(prop)


def _pattern(prop: Schema) -> str | None:
    if "pattern" in prop:
        return str(prop["pattern"])
    for branch in prop.get("anyOf", []):
        if "pattern" in branch and branch.get("type") == "string":
            return str(branch["pattern"])
    return None


def _drop_pydantic_keys(prop: Schema) -> None:
    # pydantic can leak its own constraint names (`gt`) next to a replaced schema; JSON
    # Schema would ignore them, but an editor shows them.
    for node in [prop, *prop.get("anyOf", [])]:
        for key in ("gt", "ge", "lt", "le"):
            node.pop(key, None)


# -- walking the schema along a key path (for diagnostics) -----------------------------------


def _deref(root: Schema, node: Schema) -> Schema:
    while "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        node = root.get(name) or root.get("$defs", {}).get(name, {})
    return node


def _flatten(root: Schema, node: Schema) -> Iterator[Schema]:
    """The concrete alternatives of a node: references followed, unions opened."""
    node = _deref(root, node)
    branches = [*node.get("anyOf", []), *node.get("oneOf", []), *node.get("allOf", [])]
    if not branches:
        yield node
        return
    yield node
    for branch in branches:
        yield from _flatten(root, branch)


def nodes_at(root: Schema, start: Schema, loc: Sequence[str | int]) -> list[Schema]:
    """Every schema alternative that could describe the value at `loc` below `start`."""
    defs = root.get("$defs", {})
    current = list(_flatten(defs, start))
    for part in loc:
        following: list[Schema] = []
        for node in current:
            child = _step(node, part)
            if child is not None:
                following.extend(_flatten(defs, child))
        current = following
    return current


def _step(node: Schema, part: str | int) -> Schema | None:
    if isinstance(part, int) and not isinstance(part, bool):
        items = node.get("items")
        return items if isinstance(items, dict) else None
    properties = node.get("properties", {})
    if part in properties:
        return properties[part]  # type: ignore[no-any-return]
    extra = node.get("additionalProperties")
    return extra if isinstance(extra, dict) else None


def valid_keys(root: Schema, start: Schema, loc: Sequence[str | int]) -> list[str]:
    """The keys a mapping at `loc` may have, in the order the model declares them."""
    keys: dict[str, None] = {}
    for node in nodes_at(root, start, loc):
        keys.update(dict.fromkeys(node.get("properties", {})))
    return list(keys)


def choices(root: Schema, start: Schema, loc: Sequence[str | int]) -> list[str]:
    """The values allowed at `loc` when they are a closed set."""
    found: dict[str, None] = {}
    for node in nodes_at(root, start, loc):
        for value in node.get("enum", []):
            found[str(value)] = None
        if "const" in node:
            found[str(node["const"])] = None
    return list(found)


def description(root: Schema, start: Schema, loc: Sequence[str | int]) -> str | None:
    """The documentation of the key at `loc`, if the model has any."""
    if not loc:
        return None
    for node in nodes_at(root, start, loc[:-1]):
        prop = node.get("properties", {}).get(loc[-1])
        if not isinstance(prop, dict):
            continue
        for candidate in (prop, *_flatten(root.get("$defs", {}), prop)):
            if candidate.get("description"):
                return str(candidate["description"])
    return None


def experiment_root(vocabulary: Vocabulary) -> tuple[Schema, Schema]:
    """The experiment schema and the node of one experiment, for `nodes_at` and friends."""
    schema = _experiment_schema(vocabulary)
    return schema, schema["$defs"]["Experiment"]


def system_root() -> tuple[Schema, Schema]:
    """The system definition schema and its root node."""
    schema = _system_schema()
    return schema, schema
