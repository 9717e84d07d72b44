"""Systems under test: find a system definition by name or path, apply overrides, import
its handlers.

The reference systems (`sync`, `eda`) live in `systems_under_test/` and are registered the
same way a third party registers theirs (entry point group `chaos_arena.systems`, whose
objects are paths to system definition files).
"""

from __future__ import annotations

import copy
import importlib
import importlib.util
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from chaos.errors import Diagnostic, SetupError, SpecError
from chaos.registry import Registry, UnknownName
from chaos.spec.diagnose import diagnostics
from chaos.spec.experiment import SystemRef
from chaos.spec.system import SystemDefinition
from chaos.spec.types import YAML_CONTEXT
from chaos.spec.yamlsource import Document, YamlProblem, parse_documents, read_text

if TYPE_CHECKING:
    from chaos.spec.loader import LoadedExperiment


def _register_reference_systems() -> None:
    import systems_under_test

    root = Path(systems_under_test.__file__).parent
    for name in ("sync", "eda"):
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


@dataclass(frozen=True)
class ResolvedSystem:
    """A validated system definition, with where to import its handlers from."""

    definition: SystemDefinition
    source: Path
    ref: str = ""
    """How the experiment named it (a registered name or a path), when it did."""

    @property
    def name(self) -> str:
        return self.definition.system

    @property
    def import_root(self) -> Path:
        return self.source.parent


def definition_path(ref: str, base_dir: Path) -> Path:
    """The file a system reference names: a registered name, or a path to a YAML file."""
    if ref.endswith((".yaml", ".yml")) or "/" in ref:
        path = Path(ref)
        return path if path.is_absolute() else base_dir / path
    try:
        return system_registry().get(ref)
    except UnknownName as error:
        raise SpecError.single(
            "",
            str(error),
            key_path="systems",
            value=repr(ref),
            hint=f"valid systems: {', '.join(error.choices)}, or a path to a system .yaml",
        ) from None


def load_system(ref: SystemRef, base_dir: Path) -> ResolvedSystem:
    """Resolve, merge overrides into, and validate one system; SpecError on any problem."""
    path = definition_path(ref.ref, base_dir)
    shown = str(path)
    try:
        documents = parse_documents(shown, read_text(path))
    except YamlProblem as problem:
        raise SpecError([problem.diagnostic]) from None
    if len(documents) != 1 or not isinstance(documents[0].data, dict):
        raise SpecError.single(
            shown, "a system definition is one YAML mapping", hint="start with 'system: my-system'"
        )
    document = documents[0]
    data = deep_merge(document.data, ref.overrides)
    try:
        definition = SystemDefinition.model_validate(data, context=YAML_CONTEXT)
    except ValidationError as error:
        raise SpecError(diagnostics(error, Document(shown, data, document.node))) from None
    return ResolvedSystem(definition, path.resolve(), ref.ref)


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


def load_handler(reference: str, system: ResolvedSystem) -> Callable[[Any, Any], Any]:
    """Import `package.module:function`, from the current directory or the system's."""
    module_name, _, attribute = reference.partition(":")
    with import_paths(Path.cwd(), system.import_root):
        try:
            module = importlib.import_module(module_name)
        except (Exception, SystemExit) as error:  # sys.exit() at import is the module's error
            raise SetupError(
                f"cannot import handler {reference!r} of system {system.name!r} "
                f"({system.source}): {type(error).__name__}: {error}"
            ) from error
    handler = getattr(module, attribute, None)
    if not callable(handler):
        raise SetupError(
            f"handler {reference!r}: module {module_name!r} has no function {attribute!r}"
        )
    return handler  # type: ignore[no-any-return]


class HandlerModule:
    """A handler's module, found and read once, run afresh for each execution environment.

    On AWS every execution environment imports the handler module itself, so module-level
    state (an SDK client and its retry quota, caches) is per environment. The first import,
    `load_handler`, has already surfaced import errors; finding and unmarshalling the module
    again for each environment cost a fifth of what the module's own init does.
    """

    def __init__(self, reference: str, system: ResolvedSystem) -> None:
        module_name, _, self.attribute = reference.partition(":")
        self.paths = (Path.cwd(), system.import_root)
        with import_paths(*self.paths):
            spec = importlib.util.find_spec(module_name)
            if spec is None or spec.loader is None:
                raise SetupError(f"handler {reference!r}: module {module_name!r} not found")
            # Loaders that can hand out the code object (the usual source and bytecode
            # loaders) are asked once; others (pytest's assertion rewriter) load each time.
            get_code = getattr(spec.loader, "get_code", None)
            self.code = get_code(module_name) if get_code is not None else None
        self.spec = spec
        self.loader = spec.loader

    def new_handler(self) -> Callable[[Any, Any], Any]:
        """Run the module's init in a new module object; its handler function."""
        module = importlib.util.module_from_spec(self.spec)
        with import_paths(*self.paths):  # the module may import more of its own package
            if self.code is not None:
                exec(self.code, module.__dict__)
            else:
                self.loader.exec_module(module)
        return getattr(module, self.attribute)  # type: ignore[no-any-return]


def located(error: SpecError, path: Path, line: int) -> SpecError:
    """A system problem reported against the experiment line that named the system."""
    return SpecError(
        [
            d if d.path else Diagnostic(str(path), line, 1, d.message, d.key_path, d.value, d.hint)
            for d in error.diagnostics
        ]
    )


def resolve_systems(
    loaded: LoadedExperiment, *, base_dir: Path | None = None
) -> list[ResolvedSystem]:
    """Every system the experiment names, validated; SpecError lists all problems.

    Relative system paths count from the experiment file's directory (or `base_dir`).
    Importing this does not load the engine (moto, boto3): pytest collection uses it.
    """
    kept = [
        ResolvedSystem(info.definition, info.source.resolve(), info.ref)
        for info in loaded.systems
        if info.definition is not None and info.source is not None
    ]
    if base_dir is None and len(kept) == len(loaded.experiment.systems):
        # Validation resolved them already, from the same directory: no second read.
        return kept
    base = loaded.path.parent if base_dir is None else base_dir
    resolved: list[ResolvedSystem] = []
    problems: list[Diagnostic] = []
    for ref in loaded.experiment.systems:
        try:
            resolved.append(load_system(ref, base))
        except SpecError as error:
            problems.extend(located(error, loaded.path, loaded.line).diagnostics)
    if problems:
        raise SpecError(problems)
    return resolved
