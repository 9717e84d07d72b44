"""The JSON journal: one document per experiment and system, with stable keys.

Keys (DESIGN.md section 6): experiment, system, seed, verdict, expected, as_expected,
counts, assertions, latency, ledger_digest, simulated_seconds, wall_seconds; plus cost
(total, per service, per completed request, a month at the steady rate, each priced line
and the price table), score (the resilience score; each assertion's degree and weight are
in assertions), source, reason, reproduce, stop_condition (the `stop_when` guard that ended
fault injection, when one tripped: condition, t, detail), stories (every request story the
findings sampled, each once, with the other requests whose story went the same way: reports
show the first few), ledger_records, handler_failures (what the handler's code did when it
failed, with the first traceback) and logs (the name of the `.logs.jsonl` file beside the
journal holding what handlers printed and logged, per invocation; null when nothing). Files
are written whole or not at all, with the permissions the umask gives.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chaos._checks.accounting import percentile
from chaos._checks.score import run_score
from chaos._report.data import grouped_stories

if TYPE_CHECKING:
    from chaos._engine.runner import Outcome
    from chaos._report.data import RunSummary
    from chaos._result import RunResult

JOURNAL_VERSION = 1


def journal(outcome: Outcome) -> dict[str, Any]:
    document: dict[str, Any] = {
        "journal_version": JOURNAL_VERSION,
        "experiment": outcome.experiment.experiment,
        "system": outcome.system,
        "seed": outcome.seed,
        "source": f"{outcome.path}:{outcome.line}",
        "verdict": outcome.verdict.value,
        "expected": outcome.expected.value,
        "as_expected": outcome.as_expected,
        "reason": outcome.reason,
        "reproduce": outcome.reproduce,
        "stop_condition": None,
        "counts": {},
        "assertions": [
            {
                "name": r.name,
                "status": r.status.value,
                "passed": r.passed,
                "detail": r.detail,
                "degree": r.graded,
                "weight": r.weight,
                "finding": r.finding.render(reproduce=outcome.reproduce) if r.finding else None,
            }
            for r in outcome.results
        ],
        "stories": [
            {"request_id": story.request_id, "lines": list(story.lines), "alike": list(story.alike)}
            for story in grouped_stories(r.finding for r in outcome.results if r.finding)
        ],
        "score": run_score(outcome.verdict, outcome.results),
        "cost": outcome.bill.to_dict() if outcome.bill is not None else None,
        "latency": {"p50": None, "p95": None, "p99": None},
        "acceptance_latency": {"p50": None, "p95": None, "p99": None},
        "handler_failures": [],
        "logs": None,
        "ledger_digest": None,
        "ledger_records": 0,
        "aws_calls": 0,
        "simulated_seconds": None,
        "wall_seconds": None,
    }
    if outcome.result is not None and outcome.evidence is not None:
        result, accounting = outcome.result, outcome.evidence.accounting
        healthy = [f for f in accounting.requests.values() if not f.poison]
        document["stop_condition"] = _stop_condition(result)
        document["counts"] = accounting.counts()
        effects = result.system.effects
        if effects.stages:  # per hand-off counts: only a multi-stage system has more than one
            document["stages"] = accounting.stage_counts(effects.table, effects.stages)
        document["latency"] = _quantiles([f.completion_latency for f in healthy])
        document["acceptance_latency"] = _quantiles([f.acceptance_latency for f in healthy])
        document["handler_failures"] = _handler_failures(result)
        document["ledger_digest"] = result.ledger.digest()
        document["ledger_records"] = len(result.ledger)
        document["aws_calls"] = result.aws_calls
        document["simulated_seconds"] = result.simulated_seconds
        document["wall_seconds"] = round(result.wall_seconds, 3)
    return document


def _stop_condition(result: RunResult) -> dict[str, Any] | None:
    """The `stop_when` guard that ended fault injection: which, when, what it saw."""
    from chaos._checks.stopped import stop_sentence

    tripped = result.stop
    if tripped is None:
        return None
    return {
        "condition": tripped.condition,
        "t": tripped.t,
        "detail": tripped.detail,
        "sentence": stop_sentence(tripped),
    }


def _handler_failures(result: RunResult) -> list[dict[str, Any]]:
    """What the handler's own code did, grouped: function, error, where, how often, and
    the first occurrence's traceback."""
    from chaos._checks.handler import troubles

    return [
        {
            "function": t.function,
            "error_type": t.failure.error_type,
            "message": t.failure.message,
            "location": t.failure.location,
            "count": t.failed,
            "invocations": t.invocations,
            "first_invocation": t.first,
            "traceback": t.failure.traceback,
            "relayed": t.failure.relayed,
        }
        for t in troubles(result)
    ]


def _quantiles(values: list[float | None]) -> dict[str, float | None]:
    present = [v for v in values if v is not None]
    out: dict[str, float | None] = {}
    for label, fraction in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99)):
        value = percentile(present, fraction)
        out[label] = None if value is None else round(value, 6)
    return out


def journal_name(outcome: Outcome) -> str:
    return f"{outcome.experiment.experiment}.{outcome.system}"


def write_journal(outcome: Outcome, directory: Path, *, ledger: bool = True) -> Path:
    """Write `<experiment>.<system>.json` (and its `.ledger.jsonl`) into `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{journal_name(outcome)}.json"
    document = journal(outcome)
    result = outcome.result
    if result is not None and result.logs:
        logs = directory / f"{journal_name(outcome)}.logs.jsonl"
        document["logs"] = logs.name
        lines = (
            json.dumps({"invocation_id": key, "text": text}, ensure_ascii=False)
            for key, text in result.logs.items()
        )
        write_atomically(logs, "".join(f"{line}\n" for line in lines))
    write_atomically(path, json.dumps(document, indent=2, sort_keys=False) + "\n")
    if ledger and result is not None:
        result.ledger.write_jsonl(directory / f"{journal_name(outcome)}.ledger.jsonl")
    return path


def write_atomically(path: Path, text: str) -> None:
    """Write `path` whole or not at all: into a new file beside it, then renamed over it.

    The new file is created with mode 0666 less the umask, as `open` would (0644 by
    default), so a CI step running as another user can read journals and reports;
    `tempfile.mkstemp` would make it 0600.
    """
    handle, temporary = _new_file_beside(path)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _new_file_beside(path: Path) -> tuple[int, Path]:
    """A descriptor on a file that did not exist, in `path`'s directory (hidden)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    while True:
        temporary = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
        try:
            return os.open(temporary, flags, 0o666), temporary
        except FileExistsError:
            continue


def journaled_summary(
    outcome: Outcome, journal_dir: Path | None, *, reproduce: str | None = None
) -> RunSummary:
    """What every way of running keeps of a run: its summary, and its journal when a
    journal directory was asked for (CLI, `--jobs` workers, pytest items alike).
    `reproduce` is as for `summarize`."""
    from chaos._report.data import summarize

    if journal_dir is not None:
        write_journal(outcome, journal_dir)
    return summarize(outcome, reproduce=reproduce)
