"""No way of running reads a system definition file twice: the CLI (serially and with
`--jobs 2`), `chaos.api.run` and a pytest session each read every system file once."""

from __future__ import annotations

import pickle
import shutil
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

import systems_under_test
from chaos import _execution as execution
from chaos import _systems as systems
from chaos._cli import main
from chaos._execution import Event, Finished, Job
from chaos._report.data import RunSummary
from chaos.api import run

pytest_plugins = ["pytester"]

TINY = """\
experiment: {name}
duration: 2s
{systems}workload: {{steady: {{rate: 1/s, for: 1s}}}}
assertions: [no_loss]
"""
REFERENCE = Path(systems_under_test.__file__).parent


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """How often each system definition file is read (by its name below its system)."""
    counts: Counter[str] = Counter()
    real = systems.read_text

    def counting(path: Path) -> str:
        counts[f"{path.resolve().parent.name}/{path.name}"] += 1
        return real(path)

    monkeypatch.setattr(systems, "read_text", counting)
    return counts


@pytest.fixture
def experiments(tmp_path: Path) -> Path:
    """Two files, three experiments, three systems (one by path) named six times."""
    mine = tmp_path / "mine"
    mine.mkdir()
    eda = (REFERENCE / "eda" / "system.yaml").read_text()
    (mine / "system.yaml").write_text(eda.replace("system: eda", "system: mine", 1))
    (tmp_path / "a.chaos.yaml").write_text(
        TINY.format(name="a", systems="")
        + "---\n"
        + TINY.format(name="a2", systems="systems: [eda, mine/system.yaml]\n")
    )
    (tmp_path / "b.chaos.yaml").write_text(TINY.format(name="b", systems="systems: [sync, eda]\n"))
    return tmp_path


ALL_ONCE = {"sync/system.yaml": 1, "eda/system.yaml": 1, "mine/system.yaml": 1}


def test_a_cli_run_reads_each_system_file_once(experiments: Path, reads: Counter[str]) -> None:
    assert main(["run", str(experiments), "--jobs", "1", "--report", "none"]) == 0
    assert reads == ALL_ONCE


def inline_supervise(jobs: Sequence[Job], workers: int, **_options: Any) -> Iterator[Event]:
    """A supervisor that runs each job at once in this process (so its reads are counted),
    the job pickled and unpickled as on the way to a spawned worker."""
    for index, job in enumerate(jobs):
        result = execution._work(pickle.loads(pickle.dumps(job)))
        yield Finished(index, RunSummary.from_dict(result["summary"]))


def test_workers_read_no_system_file(
    experiments: Path, reads: Counter[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(execution, "supervise", inline_supervise)
    assert main(["run", str(experiments), "--jobs", "2", "--report", "none"]) == 0
    assert reads == ALL_ONCE  # by the plan; the six runs in "workers" read none


def test_api_run_reads_each_system_file_once(experiments: Path, reads: Counter[str]) -> None:
    outcome = run(experiments / "a.chaos.yaml", "mine/system.yaml", name="a2")
    assert outcome.system == "mine"
    assert reads == ALL_ONCE  # file a names all three
    reads.clear()
    run(TINY.format(name="t", systems="systems: [eda]\n"), "eda")
    assert reads == {"eda/system.yaml": 1}


def test_a_pytest_session_reads_each_system_file_once(
    experiments: Path, reads: Counter[str], pytester: pytest.Pytester
) -> None:
    for path in experiments.iterdir():
        target = pytester.path / path.name
        if path.is_dir():
            shutil.copytree(path, target)
        else:
            shutil.copy(path, target)
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-q")
    result.assert_outcomes(passed=6)
    assert reads == ALL_ONCE


@pytest.fixture(autouse=True)
def _no_reports(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    monkeypatch.chdir(tmp_path)
    yield
