"""Runs in supervised workers, and interrupts: what `chaos-arena run` promises a CI job.

Sources: issue 13 item 2 ("Ctrl-C or SIGTERM stops a run within 2 s (workers included),
writes the report and journals of the runs that finished ..., prints the command that runs
what did not finish, exits 130 (143 for SIGTERM)") and issue 11's decision "a run whose
process still dies (a C extension's exit) fails alone in a supervised worker".
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

HANDLER = """
import ctypes, json, time

import boto3

_dynamodb = boto3.client("dynamodb")


def ok(event, context):
    request_id = json.loads(event["body"])["request_id"]
    item = {"order_id": {"S": request_id}, "request_id": {"S": request_id}}
    _dynamodb.put_item(TableName="orders", Item=item)
    return {"statusCode": 200, "body": "{}"}


def native_exit(event, context):
    ctypes.CDLL(None)._exit(7)  # C-level: no Python code runs after this


def segfault(event, context):
    ctypes.string_at(0)
"""


def _project(root: Path, handlers: dict[str, str], *, seconds: int = 5) -> Path:
    """A scratch project: one system per handler, one experiment per system."""
    (root / "handler.py").write_text(HANDLER)
    for name, handler in handlers.items():
        (root / f"{name}.yaml").write_text(
            textwrap.dedent(f"""
                system: {name}
                architecture: sync
                api: {{function: f}}
                functions:
                  f: {{handler: "handler:{handler}", timeout: 3s}}
                tables: {{orders: {{partition_key: order_id}}}}
                effects: {{table: orders}}
            """)
        )
        (root / f"{name}.chaos.yaml").write_text(
            textwrap.dedent(f"""
                experiment: {name}
                duration: {max(60, seconds * 2)}s
                systems: [./{name}.yaml]
                workload: {{steady: {{rate: 2/s, for: {seconds}s}}}}
                assertions: [no_loss]
            """)
        )
    return root


def _chaos(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "chaos", "run", *args, "--report", "terminal"]
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)


def test_a_handler_that_ends_its_worker_fails_only_its_own_run(tmp_path: Path) -> None:
    """A C-level exit or a segfault kills the worker; that run gets an `error` verdict naming
    the cause, the others run and are reported, and the exit code keeps its meaning (2)."""
    project = _project(tmp_path, {"alpha": "ok", "beta": "native_exit", "gamma": "segfault"})
    done = _chaos(".", "--jobs", "2", "--journal", "journals", cwd=project)
    assert done.returncode == 2, done.stderr
    report = " ".join(done.stdout.split())  # wherever the terminal wrapped the reasons
    assert "exited with code 7" in report
    assert "killed by SIGSEGV" in report
    verdicts = {
        path.name: json.loads(path.read_text())["verdict"]
        for path in (project / "journals").glob("*.json")
    }
    assert verdicts == {
        "alpha.alpha.json": "survived",
        "beta.beta.json": "error",
        "gamma.gamma.json": "error",
    }


def test_only_runs_the_named_runs_and_rejects_unknown_ones(tmp_path: Path) -> None:
    project = _project(tmp_path, {"alpha": "ok", "beta": "ok"})
    done = _chaos(".", "--only", "beta[beta]", "--journal", "journals", cwd=project)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in (project / "journals").glob("*.json")) == ["beta.beta.json"]
    wrong = _chaos(".", "--only", "beta[sync]", cwd=project)
    assert wrong.returncode == 2
    assert "--only beta[sync]: no such run" in wrong.stderr
    assert "alpha[alpha], beta[beta]" in wrong.stderr


def _interrupt(
    project: Path, signum: int, jobs: str
) -> tuple[subprocess.CompletedProcess[str], float]:
    """Start a run of many long experiments, wait for the first journal, send `signum`;
    what it printed and how long it took to stop."""
    command = [sys.executable, "-m", "chaos", "run", ".", "--jobs", jobs, "--journal", "journals"]
    process = subprocess.Popen(
        command, cwd=project, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    journals = project / "journals"
    deadline = time.monotonic() + 120
    while not any(journals.glob("*.json")) and process.poll() is None:
        assert time.monotonic() < deadline, "no run finished within 2 minutes"
        time.sleep(0.05)
    assert process.poll() is None, process.communicate()
    os.kill(process.pid, signum)
    sent = time.monotonic()
    try:
        out, err = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()  # leave nothing running for the tests after this one
        process.communicate()
        raise
    return subprocess.CompletedProcess(
        command, process.returncode, out, err
    ), time.monotonic() - sent


@pytest.mark.parametrize(
    ("signum", "jobs", "code"), [(signal.SIGINT, "2", 130), (signal.SIGTERM, "1", 143)]
)
def test_an_interrupt_stops_the_runs_and_reports_what_finished(
    tmp_path: Path, signum: int, jobs: str, code: int
) -> None:
    """Runs in flight stop at their next event; the finished ones are reported and keep their
    journals, nothing is half-written, and the command that runs the rest is printed. The
    runs in flight would take many minutes; how fast a stop is (the target: 2 s) is a figure
    `bench/interrupt.py` prints, not something a test on a shared machine can time."""
    names = {"fast": "ok", **{f"slow{i}": "ok" for i in range(4)}}
    project = _project(tmp_path, {"fast": "ok"}, seconds=1)
    _project(
        project,
        {name: handler for name, handler in names.items() if name != "fast"},
        seconds=20_000,
    )
    done, took = _interrupt(project, signum, jobs)
    assert done.returncode == code, done.stderr
    assert took < 20.0, f"took {took:.2f}s to stop"
    assert "fast" in done.stdout  # the finished run is reported
    assert f"stopped by {signal.Signals(signum).name}" in done.stderr
    assert "to run the 4 that did not: chaos-arena run . --only 'slow0[slow0]'" in done.stderr
    files = sorted(p.name for p in (project / "journals").iterdir())
    assert "fast.fast.json" in files
    assert not [name for name in files if name.endswith(".tmp")]
    assert not [name for name in files if name.startswith("slow") and name.endswith(".json")]
