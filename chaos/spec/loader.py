"""Load experiment files: YAML -> typed `Experiment`s, or a SpecError with every problem.

A file holds one experiment, several YAML documents, or a list of experiments. Systems named
by an experiment are resolved (and their overrides validated) here too, so what leaves this
module is fully typed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from chaos.errors import Diagnostic, SpecError
from chaos.spec.diagnose import diagnostics
from chaos.spec.experiment import Experiment, experiment_model
from chaos.spec.types import YAML_CONTEXT
from chaos.spec.yamlsource import Document, YamlProblem, parse_documents, read_text

EXPERIMENT_SUFFIXES = (".chaos.yaml", ".chaos.yml")


@dataclass(frozen=True)
class LoadedExperiment:
    """An experiment with where it came from."""

    experiment: Experiment
    path: Path
    line: int


def experiment_files(paths: Iterable[Path]) -> list[Path]:
    """The experiment files named: files as given, directories searched for *.chaos.yaml."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.name.endswith(EXPERIMENT_SUFFIXES)))
        else:
            found.append(path)
    return found


def load_file(path: Path) -> list[LoadedExperiment]:
    """Every experiment in one file; raises SpecError listing all problems."""
    shown = str(path)
    try:
        documents = parse_documents(shown, read_text(path))
    except YamlProblem as problem:
        raise SpecError([problem.diagnostic]) from None
    entries = list(_entries(documents, shown))
    if not entries:
        raise SpecError.single(
            shown, "the file has no experiment in it",
            hint="start with 'experiment: my-name' (see `chaos-arena new`)",
        )
    model = experiment_model()
    loaded: list[LoadedExperiment] = []
    problems: list[Diagnostic] = []
    for document, prefix, data in entries:
        line, _, _ = document.locate(prefix)
        if not isinstance(data, dict):
            problems.append(Diagnostic(shown, line, 1, "an experiment must be a mapping of keys",
                                       hint="start with 'experiment: my-name'"))
            continue
        try:
            experiment = model.model_validate(data, context=YAML_CONTEXT)
        except ValidationError as error:
            problems.extend(diagnostics(error, document, prefix))
            continue
        loaded.append(LoadedExperiment(experiment, path, line))
    problems.extend(_duplicate_names(loaded))
    if problems:
        raise SpecError(problems)
    return loaded


def _entries(documents: list[Document], shown: str) -> Iterable[tuple[Document, list[Any], Any]]:
    for document in documents:
        if isinstance(document.data, list):
            for index, item in enumerate(document.data):
                yield document, [index], item
        else:
            yield document, [], document.data


def _duplicate_names(loaded: list[LoadedExperiment]) -> list[Diagnostic]:
    seen: dict[str, int] = {}
    problems = []
    for item in loaded:
        name = item.experiment.experiment
        if name in seen:
            problems.append(Diagnostic(str(item.path), item.line, 1,
                                       f"experiment name {name!r} is used twice in this file",
                                       "experiment", repr(name),
                                       f"first used on line {seen[name]}"))
        else:
            seen[name] = item.line
    return problems


def load_paths(paths: Iterable[Path]) -> list[LoadedExperiment]:
    """Every experiment under `paths`; raises one SpecError with the problems of all files."""
    loaded: list[LoadedExperiment] = []
    problems: list[Diagnostic] = []
    for path in experiment_files(paths):
        try:
            loaded.extend(load_file(path))
        except SpecError as error:
            problems.extend(error.diagnostics)
    if problems:
        raise SpecError(problems)
    return loaded
