"""The plugin's options and ini keys, resolved once per session into `Settings`.

CLI paths are relative to where pytest was started, ini paths to the ini file's directory.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from chaos._spec.volume import DEFAULT_MAX_REQUESTS  # cheap: no pydantic at import

if TYPE_CHECKING:
    from chaos._decide.seeds import SeedSummary
    from chaos._report.data import RunSummary
    from chaos._spec.loader import ExperimentNames, Loader

SETTINGS = pytest.StashKey["Settings"]()
RUNS = pytest.StashKey[list["RunSummary"]]()
SEED_RUNS = pytest.StashKey[list["SeedSummary"]]()
"""Per item run over many seeds: what its seeds added up to, for the session's report."""
"""Per item: the runs it made (its experiment, or `chaos_run` calls), for reports."""
EXPERIMENT_NAMES: pytest.StashKey[ExperimentNames] = pytest.StashKey()
"""Experiment names collected so far: a second file may not reuse one (see ExperimentNames)."""
LOADER: pytest.StashKey[Loader] = pytest.StashKey()
"""The session's loader: every system definition file is read once per session."""


def session_loader(config: pytest.Config) -> Loader:
    """The loader of this session (of this xdist worker), made on first use."""
    if LOADER not in config.stash:
        from chaos._loading import loader

        config.stash[LOADER] = loader(max_requests=config.stash[SETTINGS].max_requests)
    return config.stash[LOADER]


def max_requests(config: pytest.Config) -> int:
    """The request limit of a run: --chaos-max-requests, else ini chaos_max_requests."""
    option = config.getoption("chaos_max_requests")
    if option is not None:
        return _request_limit(option, "--chaos-max-requests")
    text = str(config.getini("chaos_max_requests")).strip()
    return _request_limit(text, "ini chaos_max_requests") if text else DEFAULT_MAX_REQUESTS


def _request_limit(text: str, where: str) -> int:
    try:
        value = int(text.replace("_", "").replace(",", ""))
    except ValueError:
        raise pytest.UsageError(f"{where}: {text!r} is not a number of requests") from None
    if value < 1:
        raise pytest.UsageError(f"{where}: the limit must be at least 1 request, not {value}")
    return value


def add_options(parser: pytest.Parser) -> None:
    """The `--chaos-*` options and the `chaos_*` ini keys."""
    group = parser.getgroup("chaos-arena", "chaos experiments (*.chaos.yaml)")
    group.addoption(
        "--chaos-seed",
        type=int,
        metavar="N",
        dest="chaos_seed",
        help="run every experiment with this seed instead of its own",
    )
    group.addoption(
        "--chaos-seeds",
        type=_seeds,
        metavar="SEEDS",
        dest="chaos_seeds",
        help="run every experiment once per seed (1-50, 1-5,9): one item per experiment and "
        "system still, judged on the share of seeds; replaces the experiments' seeds:",
    )
    group.addoption(
        "--chaos-system",
        metavar="NAME",
        dest="chaos_system",
        help="run only this system; items of other systems are deselected",
    )
    group.addoption(
        "--chaos-journal",
        metavar="DIR",
        dest="chaos_journal",
        help="write one JSON journal and ledger per run into DIR (ini: chaos_journal)",
    )
    group.addoption(
        "--chaos-report",
        action="append",
        metavar="KINDS",
        dest="chaos_report",
        help="terminal, markdown, svg, html or none; comma-separated or repeated "
        "(ini: chaos_report; default: terminal)",
    )
    group.addoption(
        "--chaos-reports-dir",
        metavar="DIR",
        dest="chaos_reports_dir",
        help="where markdown, svg and html reports go (ini: chaos_reports_dir; default: reports)",
    )
    group.addoption(
        "--chaos-max-requests",
        metavar="N",
        dest="chaos_max_requests",
        help=f"refuse an experiment that sends more than N requests a run (ini: "
        f"chaos_max_requests; default: {DEFAULT_MAX_REQUESTS:,}, a run within a few GB)",
    )
    group.addoption(
        "--chaos-stories",
        metavar="N",
        dest="chaos_stories",
        help="request stories each failure shows (ini: chaos_stories; default: 3; 'all' "
        "for every one); journals keep them all",
    )
    group.addoption(
        "--chaos-full-trace",
        action="store_true",
        dest="chaos_full_trace",
        help="on failure, show chaos-arena's traceback, not only the finding",
    )
    parser.addini(
        "chaos_files",
        type="args",
        default=["*.chaos.yaml", "*.chaos.yml"],
        help="file name patterns of chaos-arena experiments",
    )
    parser.addini(
        "chaos_paths",
        type="paths",
        default=[],
        help="collect experiments only under these directories (files named on "
        "the command line always are); default: wherever pytest looks",
    )
    parser.addini(
        "chaos_report",
        type="args",
        default=["terminal"],
        help="chaos-arena reports: terminal, markdown, svg, html or none",
    )
    parser.addini(
        "chaos_reports_dir",
        type="string",
        default="reports",
        help="directory for chaos-arena's markdown, svg and html reports",
    )
    parser.addini(
        "chaos_max_requests",
        type="string",
        default="",
        help="refuse an experiment that sends more requests a run than this (default: "
        f"{DEFAULT_MAX_REQUESTS:,}: a run keeps every request's history in memory, about "
        "3-4 KB a request, so a run stays within a few GB)",
    )
    parser.addini(
        "chaos_stories",
        type="string",
        default="3",
        help="request stories each chaos-arena failure shows (a number, or all)",
    )
    parser.addini(
        "chaos_journal",
        type="string",
        default="",
        help="directory for chaos-arena's JSON journals (default: none written)",
    )


@dataclass(frozen=True)
class Settings:
    """The session's chaos options, resolved once."""

    seed: int | None
    system: str | None
    seeds: tuple[int, ...] | None
    journal: Path | None
    kinds: frozenset[str]
    reports_dir: Path
    full_trace: bool
    stories: int | None
    """Request stories a failure shows; None for all."""
    patterns: tuple[str, ...]
    paths: tuple[Path, ...]
    root: Path
    """The invocation directory: paths in reports and reproduce commands are relative to it."""
    max_requests: int = DEFAULT_MAX_REQUESTS
    """An experiment that sends more requests a run is a collection error."""

    def collects(self, path: Path, *, explicit: bool) -> bool:
        if not any(fnmatch.fnmatch(path.name, pattern) for pattern in self.patterns):
            return False
        return explicit or not self.paths or any(path.is_relative_to(p) for p in self.paths)

    def shown(self, path: Path) -> Path:
        """`path` relative to where pytest was started, when it lies below it."""
        try:
            return path.relative_to(self.root)
        except ValueError:
            return path


def settings_from(config: pytest.Config) -> Settings:
    """Command-line options win over ini keys; relative ini paths start at the ini file."""
    from chaos._report.kinds import parse_kinds

    root = config.invocation_params.dir
    ini_base = config.inipath.parent if config.inipath else config.rootpath
    try:
        kinds = parse_kinds(config.getoption("chaos_report") or config.getini("chaos_report"))
    except ValueError as error:
        raise pytest.UsageError(f"--chaos-report: {error}") from None
    journal = _directory(config.getoption("chaos_journal"), root) or _directory(
        config.getini("chaos_journal"), ini_base
    )
    reports_dir = (
        _directory(config.getoption("chaos_reports_dir"), root)
        or _directory(config.getini("chaos_reports_dir"), ini_base)
        or root / "reports"
    )
    return Settings(
        seed=config.getoption("chaos_seed"),
        system=config.getoption("chaos_system"),
        seeds=config.getoption("chaos_seeds"),
        journal=journal,
        kinds=kinds,
        reports_dir=reports_dir,
        full_trace=bool(config.getoption("chaos_full_trace")),
        stories=_stories_setting(config),
        patterns=tuple(config.getini("chaos_files")),
        paths=tuple(Path(p) for p in config.getini("chaos_paths")),
        root=root,
        max_requests=max_requests(config),
    )


def _stories_setting(config: pytest.Config) -> int | None:
    """`--chaos-stories N` or the ini key: a count of at least 0, or `all` (None)."""
    option = config.getoption("chaos_stories")
    text = str(option if option is not None else config.getini("chaos_stories")).strip()
    where = "--chaos-stories" if option is not None else "chaos_stories"
    if text == "all":
        return None
    try:
        value = int(text)
    except ValueError:
        raise pytest.UsageError(
            f"{where}: {text!r} is not a number of stories (a number, or 'all')"
        ) from None
    if value < 0:
        raise pytest.UsageError(f"{where}: a number of stories cannot be negative")
    return value


def _seeds(text: str) -> tuple[int, ...]:
    import argparse

    from chaos._spec.seeds import SeedsError, parse_seeds

    try:
        return parse_seeds(text)
    except SeedsError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _directory(value: str | None, base: Path) -> Path | None:
    return base / value if value else None
