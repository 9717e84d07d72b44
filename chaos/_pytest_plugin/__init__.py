"""pytest plugin: each `*.chaos.yaml` experiment becomes one test item per system.

Registered as the `pytest11` entry point `chaos_arena`, so it loads in every session of an
environment where chaos-arena is installed: importing it is cheap (pytest, the stdlib and
`chaos.api`). The spec loader is imported when an experiment file is collected; the engine
(moto, boto3, SimPy) only when an item runs.

An item passes when the system's verdict is the one the experiment expects. Under
pytest-xdist every worker runs items and writes journals; run summaries ride on the test
reports (`report.chaos_runs`, plain data) to the controller, which builds the run-wide report
once. See ../shared/reference/delivery-checks-and-pytest.md sections 4-6.
"""

from __future__ import annotations

import os
from collections.abc import Generator
from pathlib import Path

import pytest

from chaos import __version__
from chaos._pytest_plugin.items import MARKER_HELP, ChaosFile, ChaosItem, InvalidExperiment
from chaos._pytest_plugin.session import ChaosRunner, SessionReport
from chaos._pytest_plugin.settings import RUNS, SEED_RUNS, SETTINGS, add_options, settings_from

__all__ = ["ChaosRunner", "chaos_run"]


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", MARKER_HELP)
    settings = settings_from(config)
    config.stash[SETTINGS] = settings
    if not hasattr(config, "workerinput"):
        config.pluginmanager.register(SessionReport(settings), "chaos-arena-report")


def pytest_report_header(config: pytest.Config) -> list[str]:
    settings = config.stash[SETTINGS]
    seed = (
        f"--chaos-seed={settings.seed}"
        if settings.seed is not None
        else "each experiment's own (override with --chaos-seed N)"
    )
    if settings.seeds is not None:
        from chaos._spec.seeds import seeds_text

        seed = f"--chaos-seeds={seeds_text(settings.seeds)}"
    extras = [f"system {settings.system}"] if settings.system else []
    if settings.journal is not None:
        extras.append(f"journals in {settings.shown(settings.journal)}")
    suffix = "".join(f"; {extra}" for extra in extras)
    noun = "seeds" if settings.seeds is not None else "seed"
    return [f"chaos-arena {__version__}: {noun} {seed}{suffix}"]


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> ChaosFile | None:
    settings = parent.config.stash[SETTINGS]
    if not settings.collects(file_path, explicit=parent.session.isinitpath(file_path)):
        return None
    return ChaosFile.from_parent(parent, path=file_path)


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(
    collector: pytest.Collector,
) -> Generator[None, pytest.CollectReport, pytest.CollectReport]:
    report = yield
    if isinstance(collector, pytest.Directory) and report.passed:
        report.result.extend(_not_files(collector))
    return report


def _not_files(directory: pytest.Directory) -> list[ChaosFile]:
    """What is named like an experiment file here but is not a regular file (a dangling or
    looping link, a FIFO, a device, a directory): pytest passes over these in silence, so
    each is collected here, and its error item says what it is, as `chaos-arena` does."""
    settings = directory.config.stash[SETTINGS]
    found = []
    try:
        entries = sorted(os.scandir(directory.path), key=lambda entry: entry.name)
    except OSError:
        return []
    for entry in entries:
        path = Path(entry.path)
        if not settings.collects(path, explicit=False) or _is_regular_file(entry):
            continue
        if directory.session.isinitpath(path) and path.is_dir():
            continue  # a directory named on the command line is searched, as the CLI does
        if directory.ihook.pytest_ignore_collect(collection_path=path, config=directory.config):
            continue
        found.append(ChaosFile.from_parent(directory, path=path))
    return found


def _is_regular_file(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_file()
    except OSError:  # a symlink loop
        return False


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    system = config.stash[SETTINGS].system
    if system is None:
        return
    keep = [i for i in items if not isinstance(i, ChaosItem) or i.system.name == system]
    if len(keep) != len(items):
        config.hook.pytest_deselected(items=[i for i in items if i not in keep])
        items[:] = keep


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item,
    call: pytest.CallInfo[None],
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if call.when == "call" and RUNS in item.stash:
        # Plain data: xdist copies report.__dict__ to the controller.
        report.chaos_runs = [s.to_dict() for s in item.stash[RUNS]]  # type: ignore[attr-defined]
    if call.when == "call" and SEED_RUNS in item.stash:
        report.chaos_seeds = [s.to_dict() for s in item.stash[SEED_RUNS]]  # type: ignore[attr-defined]
    full_trace = item.config.stash[SETTINGS].full_trace
    if (
        call.when == "setup"
        and isinstance(item, InvalidExperiment)
        and not full_trace
        and report.failed
    ):
        report.longrepr = item.error_repr()
    return report


@pytest.fixture
def chaos_run(request: pytest.FixtureRequest) -> ChaosRunner:
    """Run chaos experiments from a test: `outcome = chaos_run(yaml_text, "eda")`."""
    return ChaosRunner(request.node)
