"""Load experiments: YAML or Python data -> typed `Experiment`s, or a SpecError with every
problem.

A file holds one experiment, several YAML documents, or a list of experiments. Each is
validated by its model and by the cross-key rules of `semantics` (windows, systems and their
overrides, `expect` keys, fault targets, and on request handler imports), so what leaves this
module is fully typed, carries its resolved systems, and every problem of a file is reported
at once. A mapping given from Python goes the same way, its problems located by key path.
The `Loader`'s caller passes in the vocabulary and the system resolver (`chaos._loading`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from chaos._errors import Diagnostic, SpecError
from chaos._spec import schema as schemas
from chaos._spec.base import key_path
from chaos._spec.catalog import ResolvedSystem, SystemResolver, Vocabulary
from chaos._spec.diagnose import Site, diagnostics
from chaos._spec.experiment import Experiment, SystemRef, experiment_model
from chaos._spec.semantics import check_experiment
from chaos._spec.types import YAML_CONTEXT
from chaos._spec.volume import DEFAULT_MAX_REQUESTS, limit_problem
from chaos._spec.yamlsource import (
    Document,
    YamlProblem,
    parse_documents,
    python_document,
    read_text,
)

EXPERIMENT_SUFFIXES = (".chaos.yaml", ".chaos.yml")


@dataclass(frozen=True)
class LoadedExperiment:
    """An experiment with where it came from and its systems, resolved.

    Attributes:
        experiment: the typed experiment.
        path: the file it is in (`<python>` for one given from Python).
        line: where it starts in `path`.
        column: likewise.
        systems: its systems in the order it names them, validated with their overrides:
            a run takes them from here, never from their files again.
        base_dir: where its relative system paths count from.
        data: the plain data it was validated from, so a worker process can rebuild it
            exactly (`PortableExperiment`); None for an experiment given as a model.
        from_yaml: `data` is a YAML document's (quantities need units), not Python's.
    """

    experiment: Experiment
    path: Path
    line: int
    column: int = 1
    systems: tuple[ResolvedSystem, ...] = field(default=(), compare=False, repr=False)
    base_dir: Path = field(default=Path(), compare=False, repr=False)
    data: Any = field(default=None, compare=False, repr=False)
    from_yaml: bool = field(default=True, compare=False, repr=False)


@dataclass(frozen=True)
class PortableExperiment:
    """A loaded experiment as plain data, for another process (the model classes, built
    from the registries at run time, do not pickle): `Loader.rebuild` makes it again."""

    path: Path
    line: int
    column: int
    systems: tuple[ResolvedSystem, ...]
    base_dir: Path
    data: Any
    from_yaml: bool

    @classmethod
    def of(cls, loaded: LoadedExperiment) -> PortableExperiment:
        if loaded.data is None:
            raise ValueError("an experiment given as a model has no data to rebuild it from")
        return cls(
            loaded.path,
            loaded.line,
            loaded.column,
            loaded.systems,
            loaded.base_dir,
            loaded.data,
            loaded.from_yaml,
        )


def experiment_files(paths: Iterable[Path]) -> list[Path]:
    """The experiment files named: files as given, directories searched for *.chaos.yaml.

    A file named twice (directly and through its directory, say) is listed once, or it
    would run twice and clash with its own experiment names. Whatever is named like an
    experiment file is listed, even when it is not one (a directory, a FIFO, a dangling
    link): reading it reports why, rather than skipping it in silence.
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
    except (OSError, RuntimeError):  # a symlink loop (RuntimeError before Python 3.13)
        return path.absolute()


@dataclass
class Loader:
    """Loads experiments with the vocabulary and system resolver its caller passes in.

    One loader serves one run (a command, a pytest session): its resolver reads each system
    definition file once, however many experiments name it. An experiment that sends more
    than `max_requests` requests a run is refused like any other bad value (`volume`); None
    sets no limit.
    """

    vocabulary: Vocabulary
    resolver: SystemResolver
    max_requests: int | None = DEFAULT_MAX_REQUESTS

    def file(self, path: Path) -> list[LoadedExperiment]:
        """Every experiment in one file; raises SpecError listing all problems."""
        try:
            text = read_text(path)
        except YamlProblem as problem:
            raise SpecError([problem.diagnostic]) from None
        return self.text(text, str(path), base_dir=path.parent, source=path)

    def text(
        self,
        text: str,
        shown: str = "<string>",
        *,
        base_dir: Path | None = None,
        source: Path | None = None,
    ) -> list[LoadedExperiment]:
        """Every experiment in `text` (as if read from a file named `shown`); SpecError
        otherwise. Relative system paths count from `base_dir` (default: the current
        directory)."""
        base_dir = Path.cwd() if base_dir is None else base_dir
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
        where = source or Path(shown)
        for document, prefix, data in entries:
            one, found = self._one(document, prefix, data, base_dir, where, from_yaml=True)
            problems.extend(found)
            if one is not None:
                loaded.append(one)
        problems.extend(_duplicate_names(entries))
        if problems:
            raise SpecError(_unique(problems))
        return loaded

    def mapping(
        self,
        data: Mapping[str, Any],
        where: Path,
        line: int = 1,
        *,
        base_dir: Path,
        from_yaml: bool = False,
    ) -> LoadedExperiment:
        """One experiment given from Python as a mapping (numbers in base units), checked by
        the same rules as a file's; its problems are located at `where` by key path.
        `from_yaml`: the mapping is a YAML document's data, changed (a sweep's point), so
        quantities are written with units as in a file."""
        plain = dict(data)
        document = python_document(str(where), plain, line)
        loaded, problems = self._one(document, [], plain, base_dir, where, from_yaml=from_yaml)
        if problems or loaded is None:
            raise SpecError(_unique(problems))
        return loaded

    def model(
        self, experiment: Experiment, where: Path, line: int = 1, *, base_dir: Path
    ) -> LoadedExperiment:
        """An experiment given as a model: its systems resolved, problems by key path."""
        document = python_document(str(where), {}, line)
        site = Site(document)
        systems: list[ResolvedSystem] = []
        problems: list[Diagnostic] = []
        for index, ref in enumerate(experiment.systems):
            resolution = self.resolver.resolve(
                ref.ref, ref.overrides, base_dir, site, ("systems", index)
            )
            problems.extend(resolution.problems)
            if resolution.system is not None:
                systems.append(resolution.system)
        problems.extend(self._too_much(experiment, site))
        if problems:
            raise SpecError(_unique(problems))
        return LoadedExperiment(experiment, where, line, 1, tuple(systems), base_dir)

    def system(self, ref: SystemRef, base_dir: Path) -> ResolvedSystem:
        """One system named from Python (the `system` of `chaos.run(..., "eda")`); SpecError
        if it is wrong, at `<python>` (`system`) or in its definition file."""
        site = Site(python_document("<python>", {"system": {ref.ref: ref.overrides}}))
        resolution = self.resolver.resolve(ref.ref, ref.overrides, base_dir, site, ("system",))
        if resolution.problems or resolution.system is None:
            raise SpecError(resolution.problems)
        return resolution.system

    def rebuild(self, portable: PortableExperiment) -> LoadedExperiment:
        """The experiment again, validated from the same data with its systems as resolved
        (in a worker process: no file is read again, and the model is the same)."""
        context = YAML_CONTEXT if portable.from_yaml else None
        model = self.model_type().model_validate(portable.data, context=context, by_name=False)
        return LoadedExperiment(
            model,
            portable.path,
            portable.line,
            portable.column,
            portable.systems,
            portable.base_dir,
            portable.data,
            portable.from_yaml,
        )

    def _too_much(self, experiment: Experiment, site: Site) -> list[Diagnostic]:
        """The request limit's problem, if the experiment sends more."""
        if self.max_requests is None:
            return []
        problem = limit_problem(experiment.workload, experiment.duration, self.max_requests)
        return [] if problem is None else [site.at(problem)]

    def model_type(self) -> type[Experiment]:
        """The experiment model of this loader's vocabulary."""
        return experiment_model(self.vocabulary)

    def each(
        self, files: Iterable[Path]
    ) -> Iterator[tuple[list[LoadedExperiment], list[Diagnostic]]]:
        """Per file of one run: its experiments that can run and its problems (a file with
        problems in its own text yields no experiments; an experiment whose name another
        file already used is left out, and its clash is a problem)."""
        names = ExperimentNames()
        for path in files:
            try:
                experiments = self.file(path)
            except SpecError as error:
                yield [], list(error.diagnostics)
                continue
            clashes = names.clashes(experiments)
            clashing = {(d.line, d.column) for d in clashes}
            yield [e for e in experiments if (e.line, e.column) not in clashing], clashes

    def paths(self, paths: Iterable[Path]) -> list[LoadedExperiment]:
        """Every experiment under `paths`; raises one SpecError with the problems of all
        files."""
        loaded, problems = self.valid_paths(paths)
        if problems:
            raise SpecError(problems)
        return loaded

    def valid_paths(self, paths: Iterable[Path]) -> tuple[list[LoadedExperiment], list[Diagnostic]]:
        """The experiments under `paths` that are valid, and the problems of the rest (each
        once), as pytest collects them: an invalid file does not stop the others."""
        loaded: list[LoadedExperiment] = []
        problems: list[Diagnostic] = []
        for experiments, found in self.each(experiment_files(paths)):
            loaded.extend(experiments)
            problems.extend(found)
        return loaded, _unique(problems)

    def _one(
        self,
        document: Document,
        prefix: list[Any],
        data: Any,
        base_dir: Path,
        where: Path,
        *,
        from_yaml: bool,
    ) -> tuple[LoadedExperiment | None, list[Diagnostic]]:
        site = Site(document, tuple(prefix))
        line, column, _ = document.locate(prefix)
        if not isinstance(data, dict):
            hint = "an experiment starts with 'experiment: my-name'"
            message = _not_an_experiment(data, prefix)
            return None, [
                Diagnostic(document.path, line, column, message, key_path(prefix), hint=hint)
            ]
        if "experiment" not in data and "system" in data and "architecture" in data:
            hint = "name it in an experiment: 'systems: [path/to/system.yaml]'"
            message = "this is a system definition, not an experiment"
            return None, [Diagnostic(document.path, line, column, message, hint=hint)]
        checked = check_experiment(
            data, site, base_dir, self.resolver, self.vocabulary.faults, from_yaml=from_yaml
        )
        problems = checked.diagnostics
        context = YAML_CONTEXT if from_yaml else None
        try:
            experiment = self.model_type().model_validate(data, context=context, by_name=False)
        except ValidationError as error:
            root = schemas.experiment_root(self.vocabulary)
            problems.extend(diagnostics(error, document, prefix, root))
            return None, problems
        problems.extend(self._too_much(experiment, site))
        if problems:
            return None, problems
        systems = tuple(checked.systems)
        return LoadedExperiment(
            experiment, where, line, column, systems, base_dir, data, from_yaml
        ), []


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
