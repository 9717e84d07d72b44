"""A corpus of hostile handlers: each ends its run within seconds, with a named cause, and
leaves our process, its environment and the rest of the session as they were.

Sources: issue 11 items 2-6 and its "Done when"; DESIGN.md section 9 ("whatever it does
(loop, exit, raise BaseException, signal its process, reach for the network) ends that
invocation or that run, never ours"); AWS Lambda Developer Guide, "Lambda function errors
in Python" (Runtime.ExitError, Runtime.MarshalError, Runtime.ImportModuleError) and "Lambda
execution environment lifecycle" (the 10 s init limit).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from chaos._engine.runner import Outcome, run_one
from chaos._ledger import InitFailed, Invoked, NetworkRefused
from chaos._sandbox.contain import WALL_BUDGET_VARIABLE
from chaos._spec.loader import LoadedExperiment
from tests.support import custom_system, experiment


@pytest.fixture(autouse=True)
def short_wall_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    """Spinning handlers are stopped after 0.2 s of wall time, so the corpus stays fast."""
    monkeypatch.setenv(WALL_BUDGET_VARIABLE, "0.2")


def run_handler(
    handler: str,
    *,
    module: str = "tests.sandbox.hostile",
    timeout: str = "3s",
    rate: str = "2/s",
    seconds: int = 3,
    seed: int = 1,
) -> Outcome:
    system = custom_system(f"""
        system: hostile
        architecture: sync
        api: {{function: f}}
        functions:
          f:
            handler: "{module}:{handler}"
            timeout: {timeout}
            cold_start: {{base: 0s, jitter: 0s}}
        tables: {{orders: {{partition_key: order_id}}}}
        effects: {{table: orders}}
    """)
    spec = experiment(f"""
        experiment: hostile-{handler.replace("_", "-")}
        duration: 2m
        workload: {{steady: {{rate: {rate}, for: {seconds}s}}}}
        assertions: [no_loss, {{success_rate: 99%}}]
    """)
    return run_one(LoadedExperiment(spec, Path("hostile.chaos.yaml"), 1), system, seed=seed)


HERE = "tests/sandbox/hostile.py"
LISTENER_PORT = "HOSTILE_LISTENER_PORT"  # read by hostile.connect_to_listener

CORPUS = [
    # (handler, verdict, words the reason must contain)
    ("busy_loop", "error", ["the handler spun", "3 invocations", f"{HERE}:"]),
    ("swallowing_busy_loop", "error", ["the handler spun", f"{HERE}:"]),
    ("deadline_poll", "failed", ["timed out on 6 of 6", "read the clock until its deadline"]),
    ("infinite_sleep", "failed", ["timed out on 6 of 6", "still running at the function"]),
    ("asyncio_forever", "failed", ["timed out on 6 of 6"]),
    ("exits", "failed", ["exited (Runtime.ExitError) on 6 of 6", "exit status 4", HERE]),
    ("raises_keyboard_interrupt", "failed", ["Runtime.ExitError", "KeyboardInterrupt"]),
    ("hard_exit", "failed", ["Runtime.ExitError", "exit status 3", HERE]),
    ("aborts", "failed", ["Runtime.ExitError", "signal: aborted"]),
    ("sigterm_self", "failed", ["Runtime.ExitError", "signal: terminated"]),
    ("sigint_self", "failed", ["Runtime.ExitError", "KeyboardInterrupt"]),
    ("signals_parent", "failed", ["raised PermissionError", "Operation not permitted"]),
    ("recursion", "failed", ["raised RecursionError on 6 of 6", "maximum recursion depth"]),
    ("connects", "failed", ["raised NetworkRefused", "1.2.3.4:80"]),
    ("looks_up_a_name", "failed", ["raised gaierror", "example.com"]),
    ("returns_none", "failed", ["cannot use (502) on 6 of 6", "it returned None"]),
    ("returns_a_set", "failed", ["Runtime.MarshalError", "not JSON serializable"]),
]


@pytest.mark.parametrize(("handler", "verdict", "words"), CORPUS, ids=[c[0] for c in CORPUS])
def test_a_hostile_handler_ends_its_run_with_a_named_cause(
    handler: str, verdict: str, words: list[str]
) -> None:
    outcome = run_handler(handler)
    assert outcome.verdict.value == verdict, outcome.reason
    for word in words:
        assert word in outcome.reason


def test_a_handler_that_fails_shows_its_traceback_in_the_finding() -> None:
    """The finding names the handler's own frame, not chaos-arena's or the SDK's."""
    outcome = run_handler("recursion")
    assert outcome.result is not None
    (finding, *_) = outcome.findings
    text = finding.render()
    assert "RecursionError" in text and f"{HERE}:" in text


@pytest.mark.parametrize(
    "handler", ["ok", "own_signal_handler", "asyncio_handler", "short_poll", "huge_output"]
)
def test_handlers_that_behave_survive(handler: str) -> None:
    outcome = run_handler(handler)
    assert outcome.verdict.value == "survived", outcome.reason


def test_a_handler_blocked_without_spending_cpu_is_not_taken_for_a_spinning_one() -> None:
    """The watchdog's budget is CPU time: a real half-second wait (budget 0.2 s here) is not
    spinning, and a loaded machine, which stretches wall time but not CPU time, cannot turn
    a working handler into a stopped one (a run's result must not depend on the machine)."""
    outcome = run_handler("waits_for_real", rate="1/s", seconds=2)
    assert outcome.verdict.value == "survived", outcome.reason


def test_asyncio_sleeps_and_gathers_pass_in_virtual_time() -> None:
    """`asyncio.run` with `asyncio.sleep(1)` then a gather of 0.5 s and 0.25 s waits 1.5
    virtual seconds, and no wall second."""
    outcome = run_handler("asyncio_handler", seconds=1, rate="1/s")
    assert outcome.verdict.value == "survived"
    assert outcome.result is not None
    (latency,) = [
        f.completion_latency
        for f in outcome.evidence.accounting.requests.values()  # type: ignore[union-attr]
    ]
    assert latency is not None and 1.5 < latency < 1.7


def test_a_poll_of_the_clock_costs_a_fixed_number_of_reads() -> None:
    """Each clock read in handler code costs CLOCK_READ_COST: a one-second poll ends after
    10,000 reads, at the same virtual instant in every run."""
    first = run_handler("short_poll", seconds=1, rate="1/s")
    again = run_handler("short_poll", seconds=1, rate="1/s")
    assert first.result is not None and again.result is not None
    assert first.result.ledger.digest() == again.result.ledger.digest()


def test_huge_output_is_kept_bounded_and_out_of_the_terminal(
    capfd: pytest.CaptureFixture[str],
) -> None:
    outcome = run_handler("huge_output", seconds=1, rate="1/s")
    assert outcome.result is not None
    (log,) = outcome.result.logs.values()
    assert len(log) < 10_000
    assert "more characters not kept" in log
    out, err = capfd.readouterr()
    assert "xxxxxxxx" not in out and "line 9999" not in err


def test_environment_changes_stay_in_the_execution_environment() -> None:
    """A handler setting HOME and new variables changes only its own environment's copy:
    nothing reaches our os.environ, nor the process's C-level environment."""
    home = os.environ.get("HOME")
    outcome = run_handler("mutates_environment", seconds=1, rate="1/s")
    assert outcome.verdict.value == "survived"
    assert os.environ.get("HOME") == home
    assert "HOSTILE_LEAK" not in os.environ
    shell = subprocess.run(
        ["/bin/sh", "-c", "echo ${HOSTILE_LEAK:-none} ${HOSTILE_C_LEAK:-none}"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert shell.stdout.split() == ["none", "none"]


def test_no_connection_reaches_a_listening_socket() -> None:
    """A handler connecting to a socket listening on 127.0.0.1 fails at once, the ledger
    records the address, and the listener never sees a connection."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.setblocking(False)
        port = listener.getsockname()[1]
        os.environ[LISTENER_PORT] = str(port)
        try:
            outcome = run_handler("connect_to_listener", seconds=1, rate="2/s")
        finally:
            del os.environ[LISTENER_PORT]
        with pytest.raises(BlockingIOError):
            listener.accept()
    assert outcome.result is not None
    refused = list(outcome.result.ledger.of(NetworkRefused))
    assert refused and {r.address for r in refused} == {f"127.0.0.1:{port}"}
    assert "NetworkRefused" in outcome.reason


def test_our_signal_handlers_are_back_after_a_run() -> None:
    """During a run SIGINT/SIGTERM are ours (noted, acted on between events); afterwards the
    previous handlers (pytest's, the user's) are back."""
    before = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGUSR2)}
    run_handler("sigterm_self", seconds=1)
    after = {s: signal.getsignal(s) for s in before}
    assert after == before


def test_hostile_runs_give_the_same_ledger_every_time() -> None:
    """Whatever the mechanism that stopped a handler (the watchdog's wall budget, a clock
    read at the deadline, an exit), no real elapsed time reaches the ledger."""
    for handler in ("swallowing_busy_loop", "deadline_poll", "hard_exit", "asyncio_handler"):
        digests = {
            run_handler(handler, rate="5/s").result.ledger.digest()  # type: ignore[union-attr]
            for _ in range(2)
        }
        assert len(digests) == 1, handler


# -- init (aws-semantics.md 1.4: "Init is limited to 10 s. If it does not finish in time,
# Lambda retries Init at the first invocation, under the function's timeout.") ----------------

IMPORTS = [
    ("import_loop", ["init did not finish", "spins"]),
    ("import_poll", ["init did not finish"]),
    ("import_exits", ["Runtime exited with error: exit status 1"]),
    ("import_raises", ["KeyError", "NOT_SET_ANYWHERE", "tests/sandbox/import_raises.py:"]),
]


@pytest.mark.parametrize(("module", "words"), IMPORTS, ids=[i[0] for i in IMPORTS])
def test_a_module_whose_init_fails_is_an_error_before_any_traffic(
    module: str, words: list[str]
) -> None:
    outcome = run_handler("handle", module=f"tests.sandbox.{module}")
    assert outcome.verdict.value == "error"
    assert "cannot import handler" in outcome.reason
    for word in words:
        assert word in outcome.reason


def test_an_init_past_10_s_is_run_again_under_the_function_timeout() -> None:
    """A 12 s init passes Lambda's 10 s limit: the environment's first invocation runs it
    again, under its 30 s timeout, and then serves the request."""
    outcome = run_handler(
        "handle", module="tests.sandbox.import_slow", timeout="30s", seconds=1, rate="1/s"
    )
    assert outcome.result is not None
    (failed,) = outcome.result.ledger.of(InitFailed)
    (invoked,) = outcome.result.ledger.of(Invoked)
    assert failed.reason == "init timed out"
    assert failed.t - invoked.t == pytest.approx(10.0)
    assert outcome.evidence is not None
    assert outcome.evidence.accounting.counts()["accepted"] == 1


def test_validate_reports_a_module_that_loops_at_import(tmp_path: Path) -> None:
    """`chaos-arena validate` imports handlers as a cold start would: an init that never
    ends is reported, and validate returns (exit 2)."""
    system = tmp_path / "system.yaml"
    system.write_text(
        "system: loops\narchitecture: sync\napi: {function: f}\n"
        'functions: {f: {handler: "tests.sandbox.import_loop:handle"}}\n'
        "tables: {orders: {}}\neffects: {table: orders}\n"
    )
    (tmp_path / "e.chaos.yaml").write_text(
        "experiment: e\nduration: 1m\nsystems: [./system.yaml]\nworkload: {steady: {rate: 1/s}}\n"
    )
    done = subprocess.run(
        [sys.executable, "-m", "chaos", "validate", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, WALL_BUDGET_VARIABLE: "0.2", "PYTHONPATH": str(Path.cwd())},
        check=False,
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert "init did not finish" in done.stdout


def test_journal_names_the_handler_failure(tmp_path: Path) -> None:
    from chaos._report.journal import write_journal

    outcome = run_handler("recursion", seconds=1)
    document = json.loads(write_journal(outcome, tmp_path).read_text())
    (failure,) = document["handler_failures"]
    assert failure["error_type"] == "RecursionError"
    assert failure["location"].startswith(HERE)
    assert "Traceback" in failure["traceback"]


def test_the_cli_reports_every_hostile_run_and_exits_with_a_documented_code(
    tmp_path: Path,
) -> None:
    """Exits, signals and spinning in handlers end their own runs; the CLI's other runs, its
    report and its exit code (2: a run could not be judged) are intact, with no traceback."""
    handlers = ["hard_exit", "sigterm_self", "busy_loop", "ok"]
    for name in handlers:
        (tmp_path / f"{name}.yaml").write_text(
            f"system: {name.replace('_', '-')}\narchitecture: sync\napi: {{function: f}}\n"
            f'functions: {{f: {{handler: "tests.sandbox.hostile:{name}"}}}}\n'
            "tables: {orders: {partition_key: order_id}}\neffects: {table: orders}\n"
        )
    systems = ", ".join(f"./{name}.yaml" for name in handlers)
    (tmp_path / "hostile.chaos.yaml").write_text(
        f"experiment: hostile\nduration: 30s\nsystems: [{systems}]\n"
        "workload: {steady: {rate: 2/s, for: 3s}}\n"
    )
    done = subprocess.run(
        [sys.executable, "-m", "chaos", "run", str(tmp_path), "--jobs", "1"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, WALL_BUDGET_VARIABLE: "0.2", "PYTHONPATH": str(Path.cwd())},
        check=False,
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    for system in ("hard-exit", "sigterm-self", "busy-loop", "ok"):
        assert system in done.stdout
    assert "exit status 3" in done.stdout and "signal: terminated" in done.stdout


def test_handler_messages_name_no_path_of_this_installation() -> None:
    """A message quoting a traceback (Powertools' BatchProcessingError does) reads the same
    on every machine: site-packages, the standard library and the project directory are
    named without where they are installed (reports and the README quote such messages)."""
    import sysconfig

    from chaos._sandbox.failures import portable

    site = sysconfig.get_paths()["purelib"]
    quoted = f'File "{site}/pkg/mod.py", line 3; File "{Path.cwd()}/handler.py", line 9'
    assert portable(quoted) == 'File "site-packages/pkg/mod.py", line 3; File "handler.py", line 9'
