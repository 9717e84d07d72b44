"""Systems under test: one resolver that finds a system definition by name or path, reads it
once, merges an experiment's overrides into it and validates it, with located problems; and
the import of its handlers (one module instance per execution environment).

The reference systems (`sync`, `eda`) live in `systems_under_test/` and are registered the
same way a third party registers theirs (`register_system`, or the entry point group
`chaos_arena.systems`, whose objects are paths to system definition files). The spec's loader
is handed a `Resolver` (it implements `chaos._spec.catalog.SystemResolver`); validating with
handler imports is the one thing here that needs the AWS models (a moto account), lazily.
"""

from __future__ import annotations

import copy
import importlib
import importlib.machinery
import importlib.util
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from chaos._errors import Diagnostic, SpecError
from chaos._registry import Registry, did_you_mean
from chaos._spec import schema as schemas
from chaos._spec.base import Loc, Problem, key_path
from chaos._spec.catalog import Resolution, ResolvedSystem
from chaos._spec.diagnose import Site, place, problems
from chaos._spec.prices import PriceTable, prices_from
from chaos._spec.system import SystemDefinition
from chaos._spec.types import YAML_CONTEXT
from chaos._spec.yamlsource import Document, YamlProblem, parse_documents, read_text


def _register_reference_systems() -> None:
    import systems_under_test

    root = Path(systems_under_test.__file__).parent
    for name in ("sync", "eda", "hybrid"):
        register_system(name, root / name / "system.yaml")


SYSTEMS: Registry[Path] = Registry(
    "system", "chaos_arena.systems", builtins=_register_reference_systems
)


def register_system(name: str, definition: Path | str) -> None:
    """Make `name` refer to the system definition file `definition` in experiments."""
    SYSTEMS.register(name, Path(definition))


def system_registry() -> Registry[Path]:
    """The system registry (the reference systems load on first use)."""
    return SYSTEMS


# -- resolving -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Base:
    """A system definition file as written, validated without any overrides."""

    path: Path
    document: Document | None
    definition: SystemDefinition | None
    problems: tuple[Diagnostic, ...]


@dataclass
class Resolver:
    """Resolves the systems of every experiment of one run, reading each file once.

    Attributes:
        import_handlers: also import every handler (validation then runs the user's module
            code, in a moto account).
    """

    import_handlers: bool = False
    _bases: dict[Path, _Base] = field(default_factory=dict)
    _imports: dict[tuple[str, Path], str | None] = field(default_factory=dict)
    _price_tables: dict[Path, tuple[PriceTable | None, list[Diagnostic]]] = field(
        default_factory=dict
    )

    def resolve(
        self, ref: str, overrides: Mapping[str, Any], base_dir: Path, site: Site, entry: Loc
    ) -> Resolution:
        """The system `ref` names with `overrides` merged in; problems located in `site`
        (those of the definition file itself, in that file)."""
        overrides = dict(overrides)
        path, problem = _definition_path(ref, base_dir)
        if path is None:
            assert problem is not None
            return Resolution(ref, None, [site.at(Problem(entry, *problem))])
        base = self._base(path)
        if base.definition is None or base.document is None:
            return Resolution(ref, None, list(base.problems))
        definition: SystemDefinition | None = base.definition
        found: list[Diagnostic] = []
        if overrides:
            definition, found = _with_overrides(base, overrides, site, (*entry, ref))
        if definition is None:
            return Resolution(base.definition.system, None, found)
        if self.import_handlers:
            found.extend(self._handler_problems(definition, base, overrides, site, (*entry, ref)))
        prices, problems_of_prices = self._prices(definition, base)
        if problems_of_prices:
            return Resolution(definition.system, None, [*found, *problems_of_prices])
        resolved = ResolvedSystem(definition, path.resolve(), ref, prices)
        return Resolution(definition.system, resolved, found)

    def _prices(
        self, definition: SystemDefinition, base: _Base
    ) -> tuple[PriceTable | None, list[Diagnostic]]:
        """The price table the definition's `prices:` names (relative to its file)."""
        if definition.prices is None:
            return None, []
        path = base.path.parent / definition.prices
        key = path.resolve()
        if key not in self._price_tables:
            self._price_tables[key] = _read_prices(path, base)
        return self._price_tables[key]

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
    (`init_problems`)."""
    return init_problems(definition, path, handlers)


def _read_prices(path: Path, base: _Base) -> tuple[PriceTable | None, list[Diagnostic]]:
    if not _is_file(path):
        assert base.document is not None
        problem = Problem(
            ("prices",),
            f"price table {str(base.document.data.get('prices'))!r} not found",
            f"looked for {shown_path(path)}; the path is relative to the system definition",
        )
        return None, [place(problem, base.document)]
    try:
        return prices_from(path, shown=shown_path(path)), []
    except SpecError as error:
        return None, list(error.diagnostics)


def _definition_path(ref: str, base_dir: Path) -> tuple[Path | None, tuple[str, str] | None]:
    """The file `ref` names, or (None, (message, hint))."""
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


def deep_merge(base: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    merged = copy.deepcopy(dict(base))
    for key, value in overrides.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


@contextmanager
def import_paths(*paths: Path) -> Iterator[None]:
    added = [str(p) for p in paths if str(p) not in sys.path]
    sys.path[:0] = added
    try:
        yield
    finally:
        for entry in added:
            sys.path.remove(entry)


class HandlerModule:
    """A handler's module, found and read once, run afresh for each execution environment.

    On AWS every execution environment imports the handler module itself, so module-level
    state (an SDK client and its retry quota, caches) is per environment. Finding and
    unmarshalling the module again for each environment cost a fifth of what the module's
    own init does, so it happens once, at the first init: inside a contained fiber like every
    init, since finding `package.module` imports `package` (user code).
    """

    def __init__(self, reference: str, system: ResolvedSystem) -> None:
        from chaos._sandbox.code import ENTRY_CODES, add_handler_package

        ENTRY_CODES.add(HandlerModule.new_handler.__code__)  # it only runs the module's code
        self.reference = reference
        self.module_name, _, self.attribute = reference.partition(":")
        add_handler_package(self.module_name)
        self.paths = (Path.cwd(), system.import_root)
        self._spec: Any = None
        self._code: Any = None

    def _find(self) -> Any:
        if self._spec is None:
            with import_paths(*self.paths):
                # Searched on the path, not through `find_spec`, which answers from
                # sys.modules: another system's `handler` module may be there already.
                parent = self.module_name.rpartition(".")[0]
                search = importlib.import_module(parent).__path__ if parent else None
                spec = importlib.machinery.PathFinder.find_spec(self.module_name, search)
                if spec is None or spec.loader is None:
                    raise ModuleNotFoundError(
                        f"No module named {self.module_name!r}", name=self.module_name
                    )
                # Loaders that can hand out the code object (the usual source and bytecode
                # loaders) are asked once; others (pytest's assertion rewriter) load each time.
                get_code = getattr(spec.loader, "get_code", None)
                self._code = get_code(self.module_name) if get_code is not None else None
            self._spec = spec
        return self._spec

    def new_handler(self) -> Callable[[Any, Any], Any]:
        """Run the module's init in a new module object; its handler function."""
        spec = self._find()
        module = importlib.util.module_from_spec(spec)
        # In sys.modules while and after it runs, as an import leaves it: code that looks its
        # own module up (dataclasses, pydantic resolving string annotations) must find it.
        # Each new environment's module takes the place of the one before.
        previous = sys.modules.get(self.module_name)
        sys.modules[self.module_name] = module
        try:
            with import_paths(*self.paths):  # the module may import more of its own package
                if self._code is not None:
                    exec(self._code, module.__dict__)
                else:
                    spec.loader.exec_module(module)
        except BaseException:
            if previous is None:
                sys.modules.pop(self.module_name, None)
            else:
                sys.modules[self.module_name] = previous
            raise
        handler = getattr(module, self.attribute, None)
        if not callable(handler):
            from chaos._sandbox.failures import HandlerNotFound

            raise HandlerNotFound(f"module {self.module_name!r} has no function {self.attribute!r}")
        return handler  # type: ignore[no-any-return]


def init_problems(
    definition: SystemDefinition, source: Path, handlers: Iterable[str]
) -> dict[str, str | None]:
    """Why each handler cannot start (None: it can), tried as a cold start tries it.

    Handler modules often make SDK clients at import, which need the region and credentials
    a run sets, and must never reach real AWS; they may also loop, exit or reach for the
    network. So each init runs inside the run's moto account, contained, on a virtual clock
    of its own (AWS and the engine are imported here, lazily: only runs and `validate` ask).
    """
    import simpy

    from chaos._aws.lambda_runtime import check_init, lambda_variables
    from chaos._aws.moto_env import REGION, MotoAccount
    from chaos._sandbox import Containment

    system = ResolvedSystem(definition, source.resolve())
    wanted = set(handlers)
    reasons: dict[str, str | None] = {}
    with (
        MotoAccount(definition, seed=0),
        Containment(simpy.Environment()) as containment,
        import_paths(Path.cwd(), system.import_root),
    ):
        for name, function in definition.functions.items():
            if function.handler not in wanted or function.handler in reasons:
                continue
            module = HandlerModule(function.handler, system)
            variables = lambda_variables(
                name,
                function,
                task_root=str(system.import_root),
                region=REGION,
                sdk=definition.sdk,
            )
            problem = check_init(module.new_handler, variables, function, containment)
            reasons[function.handler] = None if problem is None else problem.describe()
    return reasons
