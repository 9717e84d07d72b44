"""The ledger: an append-only history of everything that happened to every request.

Records are small named tuples (one class per kind), appended in virtual-time order by the
AWS models and the client. The canonical serialisation, and so `digest()`, depends only on
the records: the same experiment and seed give the same digest in any process.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import Any, NamedTuple, TypeVar


class Stage(StrEnum):
    """Where a client's answer came from. StrEnums serialise as their values, so the
    canonical form (and the digest) is the plain string."""

    OK = "ok"
    HANDLER = "handler"
    """The function answered with its own status code."""
    API_THROTTLE = "api_throttle"
    LAMBDA_THROTTLE = "lambda_throttle"
    FUNCTION_ERROR = "function_error"
    INTEGRATION_TIMEOUT = "integration_timeout"
    ENQUEUE_ERROR = "enqueue_error"
    CLIENT_TIMEOUT = "client_timeout"


class InvocationOutcome(StrEnum):
    """How a Lambda invocation ended. A throttled one never ran, so it ends no invocation in
    the ledger (`Throttled` records it); the others end one (`InvocationEnded`)."""

    OK = "ok"
    ERROR = "error"
    TIMEOUT = "timeout"
    THROTTLED = "throttled"


class Sent(NamedTuple):
    """The client sent an attempt of a request."""

    t: float
    request_id: str
    attempt: int
    poison: bool


class Responded(NamedTuple):
    """The client got an answer (status 0: it gave up waiting) for an attempt."""

    t: float
    request_id: str
    attempt: int
    status: int
    stage: Stage
    """Where the answer came from."""


class Enqueued(NamedTuple):
    t: float
    request_id: str
    message_id: str
    queue: str


class Received(NamedTuple):
    t: float
    request_id: str
    message_id: str
    receive_count: int


class Deleted(NamedTuple):
    t: float
    request_id: str
    message_id: str


class DeleteMissed(NamedTuple):
    """A delete that left a stored copy behind (sqs.duplicate_delivery), or a stale handle."""

    t: float
    request_id: str
    message_id: str
    reason: str


class DeadLettered(NamedTuple):
    t: float
    request_id: str
    message_id: str
    receive_count: int


class Expired(NamedTuple):
    """Retention ran out: SQS deleted the message silently."""

    t: float
    request_id: str
    message_id: str
    queue: str


class Throttled(NamedTuple):
    """Lambda rejected an invocation (429); the function never ran."""

    t: float
    function: str
    request_ids: tuple[str, ...]
    reason: str


class Invoked(NamedTuple):
    t: float
    invocation_id: str
    function: str
    request_ids: tuple[str, ...]
    cold: bool


class InvocationEnded(NamedTuple):
    t: float
    invocation_id: str
    function: str
    outcome: InvocationOutcome
    """ok, error or timeout."""
    detail: str
    reported_failures: tuple[str, ...]
    """Partial batch response: the message ids the function reported as failed."""


class InitFailed(NamedTuple):
    """A new execution environment's init did not finish: it raised, exited, or ran past its
    limit (10 s, then the function timeout when Lambda runs it again in the invocation)."""

    t: float
    invocation_id: str
    function: str
    reason: str
    """The runtime's error (Runtime.ImportModuleError...), `init timed out` or `init spun`."""


class NetworkRefused(NamedTuple):
    """Handler code reached for the network during a run; the connection failed at once."""

    t: float
    invocation_id: str
    request_id: str
    address: str


class BatchFailed(NamedTuple):
    """The event source mapping counted an invocation that returned as a failure of the whole
    batch (an invalid partial batch response): every message stays, to be retried."""

    t: float
    function: str
    request_ids: tuple[str, ...]
    reason: str


class AwsCalled(NamedTuple):
    """One HTTP-level AWS call from a handler (each SDK retry is its own record)."""

    t: float
    invocation_id: str
    request_id: str
    service: str
    operation: str
    target: str
    outcome: str
    """ok, or the error code the handler's SDK saw (ProvisionedThroughputExceededException...)."""
    injected: bool


class Notified(NamedTuple):
    t: float
    request_id: str
    connection_id: str
    outcome: str
    """delivered, or gone (410: the connection had closed)."""


class FaultWindow(NamedTuple):
    t: float
    fault_index: int
    """The fault's position in the experiment's `faults:` list."""
    fault: str
    target: str
    phase: str
    """start or end."""


class StopTripped(NamedTuple):
    """A `stop_when` guard tripped: fault injection ends here (AWS FIS stop condition)."""

    t: float
    condition: str
    """The guard's name: client_success_rate, dlq_depth, queue_depth."""
    detail: str
    """What it saw, in a sentence."""


Record = (
    Sent
    | Responded
    | Enqueued
    | Received
    | Deleted
    | DeleteMissed
    | DeadLettered
    | Expired
    | Throttled
    | Invoked
    | InvocationEnded
    | BatchFailed
    | InitFailed
    | NetworkRefused
    | AwsCalled
    | Notified
    | FaultWindow
    | StopTripped
)
RECORD_TYPES: tuple[type[Any], ...] = (
    Sent,
    Responded,
    Enqueued,
    Received,
    Deleted,
    DeleteMissed,
    DeadLettered,
    Expired,
    Throttled,
    Invoked,
    InvocationEnded,
    BatchFailed,
    InitFailed,
    NetworkRefused,
    AwsCalled,
    Notified,
    FaultWindow,
    StopTripped,
)


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


KIND: dict[type[Any], str] = {cls: _snake(cls.__name__) for cls in RECORD_TYPES}
"""The `kind` of each record class in serialised form (`dead_lettered`, `aws_called`...)."""

R = TypeVar("R")


class Ledger:
    """Append-only list of records."""

    def __init__(self) -> None:
        self._records: list[Record] = []
        self.append = self._records.append

    def __iter__(self) -> Iterator[Record]:
        return iter(self._records)

    def __len__(self) -> int:
        return len(self._records)

    def since(self, start: int) -> list[Record]:
        """The records appended after the first `start` ones (a reader that keeps its place)."""
        return self._records[start:]

    def of(self, kind: type[R]) -> Iterator[R]:
        """The records of one kind, in order."""
        return (r for r in self._records if type(r) is kind)

    def canonical(self) -> list[list[Any]]:
        return [[KIND[type(r)], *r] for r in self._records]

    def digest(self) -> str:
        """SHA-256 of the canonical JSON of every record."""
        payload = json.dumps(self.canonical(), separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(payload.encode()).hexdigest()

    def write_jsonl(self, path: Path) -> None:
        """One JSON object per line, fields named; written whole or not at all."""
        tmp = path.with_suffix(path.suffix + ".tmp")
        with tmp.open("w", encoding="utf-8") as out:
            for record in self._records:
                out.write(json.dumps(as_dict(record), separators=(",", ":")))
                out.write("\n")
        tmp.replace(path)


def as_dict(record: Record) -> dict[str, Any]:
    return {"kind": KIND[type(record)], **record._asdict()}
