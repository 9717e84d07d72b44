"""One line per ledger record, for a request's story in a finding."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from itertools import groupby
from typing import TYPE_CHECKING

from chaos._ledger import (
    AwsCalled,
    BatchFailed,
    DeadLettered,
    Deleted,
    DeleteMissed,
    Enqueued,
    Expired,
    FaultWindow,
    InitFailed,
    InvocationEnded,
    Invoked,
    NetworkRefused,
    Notified,
    Received,
    Record,
    Responded,
    Sent,
    Throttled,
)

if TYPE_CHECKING:
    from chaos._sandbox import HandlerError

LOG_LINES = 3
"""Lines of an invocation's log a story shows (the journal's log file has them all)."""


def story(
    records: Iterable[Record],
    *,
    logs: Mapping[str, str] | None = None,
    failures: Mapping[str, HandlerError] | None = None,
) -> tuple[str, ...]:
    """One line per step at its virtual time; a step repeated back to back (retries) is one
    line with a count. Under an invocation's end: what the handler's code did when it
    failed, and the first lines it logged."""
    lines = []
    for what, group in groupby(records, key=_what):
        run = list(group)
        line = f"{run[0].t:9.3f}s  {what}"
        lines.append(
            line if len(run) == 1 else f"{line}  (x{len(run)}, the last at {run[-1].t:.3f}s)"
        )
        last = run[-1]
        if isinstance(last, InvocationEnded):
            lines.extend(_aside(last.invocation_id, logs or {}, failures or {}))
    return tuple(lines)


def _aside(
    invocation_id: str, logs: Mapping[str, str], failures: Mapping[str, HandlerError]
) -> list[str]:
    indent = " " * 12
    out = []
    failure = failures.get(invocation_id)
    if failure is not None:
        out.append(f"{indent}handler: {failure.describe()}")
    text = logs.get(invocation_id, "")
    shown = [line for line in text.splitlines() if line.strip()]
    out.extend(f"{indent}log: {line[:160]}" for line in shown[:LOG_LINES])
    if len(shown) > LOG_LINES:
        out.append(f"{indent}log: ... {len(shown) - LOG_LINES} more lines (in the journal)")
    return out


def _what(record: Record) -> str:
    match record:
        case Sent(attempt=attempt, poison=poison):
            return f"client sent attempt {attempt}" + (" (poison payload)" if poison else "")
        case Responded(status=0, stage=stage):
            return f"client gave up waiting ({stage})"
        case Responded(status=status, stage=stage):
            return f"client got {status} ({stage.replace('_', ' ')})"
        case Enqueued(message_id=message_id, queue=queue):
            return f"queued in {queue} as {message_id}"
        case Received(receive_count=count):
            return f"received by the consumer (receive {count})"
        case Deleted():
            return "deleted from the queue after success"
        case DeleteMissed(reason="injected"):
            return "delete missed a stored copy: it will be delivered again"
        case DeleteMissed():
            return "delete used a stale receipt handle: the message stays"
        case DeadLettered(receive_count=count):
            return f"moved to the dead-letter queue after {count} receives"
        case Expired(queue=queue):
            return f"deleted by {queue}'s retention period"
        case Throttled(function=function, reason=reason):
            return f"{function} throttled, did not run ({reason})"
        case Invoked(function=function, invocation_id=invocation_id, cold=cold):
            return f"{function} invoked ({invocation_id}{', cold start' if cold else ''})"
        case InvocationEnded(invocation_id=invocation_id, outcome=outcome, detail=detail):
            return f"{invocation_id} ended: {outcome}" + (f" ({detail})" if detail else "")
        case BatchFailed(function=function, reason=reason):
            return f"{function}'s batch counted as failed: {reason}; every message stays"
        case AwsCalled(
            service=service, operation=operation, target=target, outcome=outcome, injected=injected
        ):
            where = f" {target}" if target else ""
            tag = " [injected]" if injected else ""
            return f"{service} {operation}{where}: {outcome}{tag}"
        case InitFailed(function=function, reason=reason):
            return f"{function}'s init failed: {reason}"
        case NetworkRefused(address=address):
            return f"the handler reached for the network ({address}): refused"
        case Notified(outcome=outcome):
            return f"user notification: {outcome}"
        case FaultWindow(fault=fault, phase=phase):
            return f"fault {fault} {phase}s"
    return type(record).__name__
