"""Resolve an experiment's systems: registered names or paths, with overrides merged in.

Each definition file is read and validated once per run. Overrides are validated merged
into the definition, and their problems are placed where the user wrote them: at the
override's key in the experiment when it names the setting, otherwise at the system entry. A
definition file that is wrong on its own is reported in that file. On request, handlers are
imported too, in the environment of a run.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from chaos.errors import Diagnostic
from chaos.registry import did_you_mean
from chaos.spec import schema as schemas
from chaos.spec.base import Loc, Problem, key_path
from chaos.spec.diagnose import Site, place, problems
from chaos.spec.system import SystemDefinition
from chaos.spec.types import YAML_CONTEXT
from chaos.spec.yamlsource import Document, YamlProblem, parse_documents, read_text


@dataclass(frozen=True)
class SystemInfo:
    """One system an experiment runs, resolved as far as it could be."""

    ref: str
    name: str
    definition: SystemDefinition | None
    source: Path | None = None


@dataclass(frozen=True)
class _Base:
    """A system definition file as written, validated without any overrides."""

    path: Path
    document: Document | None
    definition: SystemDefinition | None
    problems: tuple[Diagnostic, ...]


@dataclass
class SystemResolver:
    """Resolves the systems of every experiment in one validation run, reading each file once.

    Attributes:
        import_handlers: also import every handler (validation then runs the user's module code).
    """

    import_handlers: bool = False
    _bases: dict[Path, _Base] = field(default_factory=dict)
    _imports: dict[tuple[str, Path], str | None] = field(default_factory=dict)

    def resolve(
        self, ref: str, overrides: dict[Any, Any], base_dir: Path, site: Site, entry: Loc
    ) -> tuple[SystemInfo, list[Diagnostic]]:
        """The system `ref` names with `overrides` merged in; problems located in `site`."""
        path, problem = _definition_path(ref, base_dir)
        if path is None:
            assert problem is not None
            return SystemInfo(ref, ref, None), [site.at(Problem(entry, *problem))]
        base = self._base(path)
        if base.definition is None or base.document is None:
            return SystemInfo(ref, ref, None, path), list(base.problems)
        definition: SystemDefinition | None = base.definition
        found: list[Diagnostic] = []
        if overrides:
            definition, found = _with_overrides(base, overrides, site, (*entry, ref))
        if definition is not None and self.import_handlers:
            found.extend(self._handler_problems(definition, base, overrides, site, (*entry, ref)))
        name = definition.system if definition is not None else base.definition.system
        return SystemInfo(ref, name, definition, path), found

    def _base(self, path: Path) -> _Base:
        key = path.resolve()
        if key not in self._bases:
            self._bases[key] = _read_base(path)
        return self._bases[key]

    def _handler_problems(
        self,
        definition: SystemDefinition,
        base: _Base,
        overrides: dict[Any, Any],
        site: Site,
        entry: Loc,
    ) -> list[Diagnostic]:
        assert base.document is not None
        root = base.path.resolve().parent
        wanted = [
            f.handler
            for f in definition.functions.values()
            if (f.handler, root) not in self._imports
        ]
        if wanted:
            self._imports.update(
                ((handler, root), reason)
                for handler, reason in import_problems(wanted, definition, base.path).items()
            )
        found = []
        for name, function in definition.functions.items():
            reason = self._imports[(function.handler, root)]
            if reason is None:
                continue
            loc = ("functions", name, "handler")
            problem = Problem(
                loc,
                f"cannot import handler {function.handler!r}: {reason}",
                "handlers import from the current directory or the system definition's directory",
            )
            if _has_path(overrides, loc):
                found.append(site.at(problem.under(entry)))
            else:
                found.append(place(problem, base.document))
        return found


def import_problems(
    handlers: list[str], definition: SystemDefinition, path: Path
) -> dict[str, str | None]:
    """Why each handler cannot start (None: it can), tried as a run's cold start tries it
    (`chaos.systems.init_problems`, imported lazily: only `validate` asks for imports)."""
    from chaos.systems import init_problems

    return init_problems(definition, path, handlers)


def _definition_path(ref: str, base_dir: Path) -> tuple[Path | None, tuple[str, str] | None]:
    """The file `ref` names, or (None, (message, hint))."""
    from chaos.systems import system_registry

    if ref.endswith((".yaml", ".yml")) or "/" in ref:
        path = Path(ref) if Path(ref).is_absolute() else base_dir / ref
        if not _is_file(path):
            return None, (
                f"system definition {ref!r} not found",
                f"looked for {shown_path(path)}; a path is relative to the experiment file",
            )
        return path, None
    registry = system_registry()
    if ref in registry:
        return registry.get(ref), None
    names = registry.names()
    hint = f"valid systems: {', '.join(names)}, or a path to a system definition .yaml"
    suggestion = did_you_mean(ref, names)
    if suggestion is not None:
        hint = f"did you mean {suggestion!r}? {hint}"
    return None, (f"unknown system {ref!r}", hint)


def shown_path(path: Path) -> str:
    """A path as a user would type it: relative to the current directory when inside it."""
    try:
        relative = os.path.relpath(path)
    except ValueError:
        return str(path)
    return relative if not relative.startswith("..") else str(path.resolve())


def read_definition(path: Path) -> SystemDefinition | None:
    """The system definition in `path` as written, or None if the file is not valid."""
    return _read_base(path).definition


def _read_base(path: Path) -> _Base:
    shown = shown_path(path)
    try:
        documents = parse_documents(shown, read_text(path))
    except YamlProblem as problem:
        return _Base(path, None, None, (problem.diagnostic,))
    if len(documents) != 1 or not isinstance(documents[0].data, dict):
        return _Base(
            path,
            None,
            None,
            (
                Diagnostic(
                    shown,
                    0,
                    0,
                    "a system definition is one YAML mapping",
                    hint="start with 'system: my-system'",
                ),
            ),
        )
    document = documents[0]
    try:
        definition = SystemDefinition.model_validate(document.data, context=YAML_CONTEXT)
    except ValidationError as error:
        located = [place(p, document) for p in problems(error, schemas.system_root())]
        return _Base(path, document, None, (*document.problems, *located))
    return _Base(path, document, definition, document.problems)


def _with_overrides(
    base: _Base, overrides: dict[Any, Any], site: Site, entry: Loc
) -> tuple[SystemDefinition | None, list[Diagnostic]]:
    """The definition with `overrides` merged in, or None and the problems they cause."""
    from chaos.systems import deep_merge

    assert base.document is not None
    unknown = list(_unknown_members(base.document.data, overrides))
    if unknown:
        return None, [site.at(p.under(entry)) for p in unknown]
    merged = deep_merge(base.document.data, overrides)
    try:
        return SystemDefinition.model_validate(merged, context=YAML_CONTEXT), []
    except ValidationError as error:
        return None, [
            _relocated(p, overrides, site, entry) for p in problems(error, schemas.system_root())
        ]


_MEMBER_KINDS = {"functions": "function", "tables": "table"}


def _unknown_members(data: dict[str, Any], overrides: dict[Any, Any]) -> Iterator[Problem]:
    """Overrides of a function or table the system does not have (a typo adds a new one)."""
    for part, kind in _MEMBER_KINDS.items():
        members, changes = data.get(part), overrides.get(part)
        if not isinstance(members, dict) or not isinstance(changes, dict):
            continue
        for name in changes:
            if name not in members:
                names = [str(n) for n in members]
                suggestion = did_you_mean(str(name), names)
                hint = f"its {kind}s: {', '.join(names)}"
                if suggestion is not None:
                    hint = f"did you mean {suggestion!r}? {hint}"
                yield Problem(
                    (part, name),
                    f"the system has no {kind} {str(name)!r} to override",
                    hint,
                    on_key=True,
                )


def _relocated(problem: Problem, overrides: dict[Any, Any], site: Site, entry: Loc) -> Diagnostic:
    """A problem of the merged definition, placed at the override that caused it."""
    for loc in (problem.loc, *problem.related):
        written = loc[:-1] if problem.missing else loc
        if _has_path(overrides, written):
            return site.at(replace(problem, loc=loc, related=()).under(entry))
    # The base was valid, so the overrides caused it even though none names this key.
    line, column = (
        site.document.key_position([*site.prefix, *entry[:-1]], entry[-1])
        or site.document.locate([*site.prefix, *entry])[:2]
    )
    return Diagnostic(
        site.document.path,
        line,
        column,
        f"{problem.message} (with this experiment's overrides)",
        key_path([*site.prefix, *entry, *problem.loc]),
        problem.shown,
        problem.hint,
    )


def _has_path(data: Any, loc: Loc) -> bool:
    for part in loc:
        if not isinstance(data, dict) or part not in data:
            return False
        data = data[part]
    return True


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except OSError:  # a name too long for the file system
        return False
