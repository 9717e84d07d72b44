"""The ledger: an append-only history of everything that happened to every request.

Records are small named tuples (one class per kind), appended in virtual-time order by the
AWS models and the client; the ledger stores them by column (`Ledger`) and gives them back
as the same named tuples. The canonical serialisation, and so `digest()`, depends only on
the records: the same experiment and seed give the same digest in any process.
"""

from __future__ import annotations

import hashlib
import json
import re
from array import array
from collections.abc import Iterator
from enum import StrEnum
from itertools import islice
from pathlib import Path
from typing import Any, NamedTuple, TypeVar, cast


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

_CODE: dict[type[Any], int] = {cls: code for code, cls in enumerate(RECORD_TYPES)}


def _columns(cls: type[Any]) -> tuple[Any, ...]:
    """Empty columns for a record kind: the time (always the first field) in an array."""
    return (array("d"), *([] for _ in cls._fields[1:]))


_CANONICAL = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)
"""The encoder of the canonical form (`json.dumps` with these options builds one per call)."""
_JSONL = json.JSONEncoder(separators=(",", ":"))
_BATCH = 4096
"""Records encoded and hashed together: few hash updates, little text alive at once."""


class Ledger:
    """Append-only history of records, stored by column.

    Records are appended and read back as the named tuples above, but kept as one column
    per field and record kind (the times in a typed array of doubles, other fields as
    references to values the models already hold: ids, names, enum members), plus one byte
    per record saying its kind. A named tuple and its own float cost ~90 bytes more than its
    fields; at ~10 records a request that was a third of our memory per request
    (bench/memory.py). Reading builds each record again, equal to the one appended, in the
    order appended: canonical form, digest and journal are unchanged.
    """

    def __init__(self) -> None:
        self._order = array("B")
        """The kind of each record (its index in RECORD_TYPES), in append order."""
        self._columns: list[tuple[Any, ...]] = [_columns(cls) for cls in RECORD_TYPES]
        self._odd_times: list[dict[int, Any]] = [{} for _ in RECORD_TYPES]
        """Per kind, the times that are not floats (SimPy's clock starts at the int 0),
        by row: stored in the array they would read back as 0.0, and move the digest."""

    def append(self, record: Record) -> None:
        code = _CODE[type(record)]
        columns = self._columns[code]
        t = record[0]
        if type(t) is not float:
            self._odd_times[code][len(columns[0])] = t
        for column, value in zip(columns, record, strict=True):
            column.append(value)
        self._order.append(code)

    def __iter__(self) -> Iterator[Record]:
        kinds = [self._rows(code) for code in range(len(RECORD_TYPES))]
        return (next(kinds[code]) for code in self._order)

    def __len__(self) -> int:
        return len(self._order)

    def of_since(self, kind: type[R], start: int) -> list[R]:
        """The records of one kind after its first `start` (a reader that keeps its place
        reads only what is new)."""
        code = _CODE[kind]
        times, *rest = (column[start:] for column in self._columns[code])
        odd = self._odd_times[code]
        if odd:
            times = [odd.get(start + row, t) for row, t in enumerate(times)]
        return cast(list[R], list(map(RECORD_TYPES[code], times, *rest)))

    def of(self, kind: type[R]) -> Iterator[R]:
        """The records of one kind, in order."""
        return cast(Iterator[R], self._rows(_CODE[kind]))

    def _rows(self, code: int) -> Iterator[Any]:
        times, *rest = self._columns[code]
        odd = self._odd_times[code]
        if odd:
            times = [odd.get(row, t) for row, t in enumerate(times)]
        return map(RECORD_TYPES[code], times, *rest)

    def canonical(self) -> list[list[Any]]:
        return [[KIND[type(r)], *r] for r in self]

    def digest(self) -> str:
        """SHA-256 of the canonical JSON of every record: `json.dumps(self.canonical(),
        separators=(",", ":"), ensure_ascii=False)`, hashed as it is encoded, a batch of
        records at a time. Encoding it whole held the canonical list and its text at once:
        ~140 MB more at the end of a 100,000-request event-driven run."""
        encode = _CANONICAL.encode
        hasher = hashlib.sha256(b"[")
        records = iter(self)
        separator = b""
        while batch := list(islice(records, _BATCH)):
            hasher.update(separator)
            rows = encode([[KIND[type(r)], *r] for r in batch])  # "[row,row,...]"
            hasher.update(rows[1:-1].encode())
            separator = b","
        hasher.update(b"]")
        return hasher.hexdigest()

    def write_jsonl(self, path: Path) -> None:
        """One JSON object per line, fields named; written whole or not at all."""
        tmp = path.with_suffix(path.suffix + ".tmp")
        with tmp.open("w", encoding="utf-8") as out:
            encode = _JSONL.encode
            for record in self:
                out.write(encode(as_dict(record)))
                out.write("\n")
        tmp.replace(path)


def as_dict(record: Record) -> dict[str, Any]:
    return {"kind": KIND[type(record)], **record._asdict()}
