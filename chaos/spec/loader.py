"""Load experiment files: YAML -> typed `Experiment`s, or a SpecError with every problem.

A file holds one experiment, several YAML documents, or a list of experiments. Each is
validated by its model and by the cross-key rules of `semantics` (windows, systems and their
overrides, `expect` keys, fault targets, and on request handler imports), so what leaves this
module is fully typed and every problem of a file is reported at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from chaos.errors import Diagnostic, SpecError
from chaos.spec import schema as schemas
from chaos.spec.base import key_path
from chaos.spec.diagnose import Site, diagnostics
from chaos.spec.experiment import Experiment, experiment_model
from chaos.spec.resolve import SystemInfo, SystemResolver
from chaos.spec.semantics import check_experiment
from chaos.spec.types import YAML_CONTEXT
from chaos.spec.yamlsource import Document, YamlProblem, parse_documents, read_text

EXPERIMENT_SUFFIXES = (".chaos.yaml", ".chaos.yml")


@dataclass(frozen=True)
class LoadedExperiment:
    """An experiment with where it came from."""

    experiment: Experiment
    path: Path
    line: int
    column: int = 1
    systems: tuple[SystemInfo, ...] = field(default=(), compare=False, repr=False)
    """Its systems as validation resolved them, kept for the run (empty for an experiment
    built in Python, whose systems are resolved when it runs)."""


def experiment_files(paths: Iterable[Path]) -> list[Path]:
    """The experiment files named: files as given, directories searched for *.chaos.yaml.

    A file named twice (directly and through its directory, say) is listed once, or it
    would run twice and clash with its own experiment names.
    """
    found: dict[Path, Path] = {}  # resolved -> as the user wrote it
    for path in paths:
        if _is_dir(path):
            named = sorted(p for p in path.rglob("*") if p.name.endswith(EXPERIMENT_SUFFIXES))
        else:
            named = [path]
        for file in named:
            found.setdefault(_same_file(file), file)
    return list(found.values())


def _is_dir(path: Path) -> bool:
    try:
        return path.is_dir()
    except OSError:  # a name too long, say: reading it will report the problem
        return False


def _same_file(path: Path) -> Path:
    try:
        return path.resolve()
    except OSError:
        return path


def load_file(
    path: Path, *, import_handlers: bool = False, resolver: SystemResolver | None = None
) -> list[LoadedExperiment]:
    """Every experiment in one file; raises SpecError listing all problems.

    Args:
        path: the experiment file.
        import_handlers: also import each system's handlers, reporting those that fail.
        resolver: shares system definitions between files of one run.
    """
    try:
        text = read_text(path)
    except YamlProblem as problem:
        raise SpecError([problem.diagnostic]) from None
    return load_text(
        text,
        str(path),
        base_dir=path.parent,
        import_handlers=import_handlers,
        resolver=resolver,
        source=path,
    )


def load_text(
    text: str,
    shown: str = "<string>",
    *,
    base_dir: Path | None = None,
    import_handlers: bool = False,
    resolver: SystemResolver | None = None,
    source: Path | None = None,
) -> list[LoadedExperiment]:
    """Every experiment in `text` (as if read from a file named `shown`); SpecError otherwise."""
    base_dir = Path.cwd() if base_dir is None else base_dir
    resolver = resolver or SystemResolver(import_handlers=import_handlers)
    try:
        documents = parse_documents(shown, text)
    except YamlProblem as problem:
        raise SpecError([problem.diagnostic]) from None
    problems = [d for document in documents for d in document.problems]
    loaded: list[LoadedExperiment] = []
    entries = list(_entries(documents))
    if not entries:
        raise SpecError.single(
            shown,
            "the file has no experiment in it",
            hint="start with 'experiment: my-name' (see `chaos-arena new`)",
        )
    for document, prefix, data in entries:
        experiment, found, systems = _load_one(document, prefix, data, base_dir, resolver)
        problems.extend(found)
        if experiment is not None:
            line, column, _ = document.locate(prefix)
            where = source or Path(shown)
            loaded.append(LoadedExperiment(experiment, where, line, column, tuple(systems)))
    problems.extend(_duplicate_names(entries))
    if problems:
        raise SpecError(_unique(problems))
    return loaded


def _load_one(
    document: Document, prefix: list[Any], data: Any, base_dir: Path, resolver: SystemResolver
) -> tuple[Experiment | None, list[Diagnostic], list[SystemInfo]]:
    site = Site(document, tuple(prefix))
    line, column, _ = document.locate(prefix)
    if not isinstance(data, dict):
        hint = "an experiment starts with 'experiment: my-name'"
        message = _not_an_experiment(data, prefix)
        return (
            None,
            [Diagnostic(document.path, line, column, message, key_path(prefix), hint=hint)],
            [],
        )
    if "experiment" not in data and "system" in data and "architecture" in data:
        hint = "name it in an experiment: 'systems: [path/to/system.yaml]'"
        message = "this is a system definition, not an experiment"
        return None, [Diagnostic(document.path, line, column, message, hint=hint)], []
    checked = check_experiment(data, site, base_dir, resolver)
    problems = checked.diagnostics
    try:
        experiment = experiment_model().model_validate(data, context=YAML_CONTEXT, by_name=False)
    except ValidationError as error:
        problems.extend(diagnostics(error, document, prefix, schemas.experiment_root()))
        return None, problems, []
    return (None if problems else experiment), problems, checked.systems


def _not_an_experiment(data: Any, prefix: list[Any]) -> str:
    what = {
        type(None): "nothing",
        bool: "true or false",
        int: "a number",
        float: "a number",
        str: "text",
        list: "a list",
    }.get(type(data), type(data).__name__)
    where = "each item of the list" if prefix else "the file"
    return f"{where} should be an experiment (a mapping of keys), but it is {what}"


def _entries(documents: list[Document]) -> Iterator[tuple[Document, list[Any], Any]]:
    for document in documents:
        if isinstance(document.data, list):
            for index, item in enumerate(document.data):
                yield document, [index], item
        else:
            yield document, [], document.data


def _duplicate_names(entries: list[tuple[Document, list[Any], Any]]) -> list[Diagnostic]:
    seen: dict[str, int] = {}
    problems = []
    for document, prefix, data in entries:
        name = data.get("experiment") if isinstance(data, dict) else None
        if not isinstance(name, str):
            continue
        line, column, _ = document.locate([*prefix, "experiment"])
        if name in seen:
            problems.append(
                Diagnostic(
                    document.path,
                    line,
                    column,
                    f"experiment name {name!r} is used twice in this file",
                    key_path([*prefix, "experiment"]),
                    name,
                    f"first used on line {seen[name]}; names must be unique "
                    "in a file (they name the test items)",
                )
            )
        else:
            seen[name] = line
    return problems


def _unique(problems: list[Diagnostic]) -> list[Diagnostic]:
    """Each problem once: a system file shared by several experiments reports once."""
    return list(dict.fromkeys(problems))


class ExperimentNames:
    """The experiment names of one run, across its files.

    Journals (`<experiment>.<system>.json`), report rows and `--experiment` address an
    experiment by name, so a second file reusing a name would overwrite the first one's
    journal; it is reported against the later file instead.
    """

    def __init__(self) -> None:
        self._first: dict[str, LoadedExperiment] = {}

    def clashes(self, experiments: Iterable[LoadedExperiment]) -> list[Diagnostic]:
        problems = []
        for loaded in experiments:
            name = loaded.experiment.experiment
            first = self._first.setdefault(name, loaded)
            if first.path != loaded.path:
                problems.append(
                    Diagnostic(
                        str(loaded.path),
                        loaded.line,
                        loaded.column,
                        f"experiment name {name!r} is also used in {first.path}:{first.line}",
                        "experiment",
                        name,
                        "names must be unique across the files of a run: journals and "
                        "report rows are named after the experiment",
                    )
                )
        return problems


def load_each(
    files: Iterable[Path], *, import_handlers: bool = False
) -> Iterator[tuple[list[LoadedExperiment], list[Diagnostic]]]:
    """Per file of one run: its experiments and its problems (a file with problems in its
    own text yields no experiments; a name another file already used is a problem too)."""
    resolver = SystemResolver(import_handlers=import_handlers)
    names = ExperimentNames()
    for path in files:
        try:
            experiments = load_file(path, resolver=resolver)
        except SpecError as error:
            yield [], list(error.diagnostics)
            continue
        yield experiments, names.clashes(experiments)


def load_paths(paths: Iterable[Path], *, import_handlers: bool = False) -> list[LoadedExperiment]:
    """Every experiment under `paths`; raises one SpecError with the problems of all files."""
    loaded: list[LoadedExperiment] = []
    problems: list[Diagnostic] = []
    for experiments, found in load_each(experiment_files(paths), import_handlers=import_handlers):
        loaded.extend(experiments)
        problems.extend(found)
    if problems:
        raise SpecError(_unique(problems))
    return loaded
