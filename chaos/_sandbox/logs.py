"""Handler output as CloudWatch Logs would hold it: per invocation, bounded, out of the report.

While a fiber runs, `sys.stdout` and `sys.stderr` are the `FiberStream`s and the root
logger's only handler writes to them (see `state`). Both write to the log of the
invocation whose fiber is running *at the time of the write*, not of whoever created the
stream: a logger built in one execution environment's init and shared through `logging`'s
process-wide registry still logs to the invocation that calls it.

Logs are bounded (per invocation and per run) and truncated with a note. They stay out of
the ledger and its digest: handler output can hold process ids and addresses.
"""

from __future__ import annotations

import io
import itertools
import logging
import sys
import time
from dataclasses import dataclass, field

from chaos._sim.fibers import current_fiber

INVOCATION_LOG_LIMIT = 8_192
"""Characters kept per invocation (CloudWatch keeps 256 KB an event; a finding needs less)."""
RUN_LOG_LIMIT = 2_000_000
"""Characters kept per run, across invocations."""


@dataclass(slots=True)
class InvocationLog:
    """What one invocation wrote (its execution environment's init output included).

    The run holds it only once it has written something: most invocations write nothing,
    and one object each for the whole run was ~150 bytes a request."""

    invocation_id: str
    function: str
    run: RunLogs
    opened: int
    """Its place among the run's logs, in the order they were opened."""
    parts: list[str] = field(default_factory=list)
    kept: int = 0
    dropped: int = 0

    def write(self, text: str) -> None:
        run = self.run
        kept = run.keep(self)
        if kept is not self:  # opened twice before writing: the first one to write holds it
            kept.write(text)
            return
        room = min(run.per_invocation - self.kept, run.per_run - run.kept)
        if room <= 0:
            self.dropped += len(text)
            return
        part = text[:room]
        self.parts.append(part)
        self.kept += len(part)
        run.kept += len(part)
        self.dropped += len(text) - len(part)

    def text(self) -> str:
        text = "".join(self.parts)
        if self.dropped:
            text += f"\n[chaos-arena: {self.dropped:,} more characters not kept]\n"
        return text


class RunLogs:
    """Every invocation's log in one run, within the run's budget."""

    def __init__(
        self, *, per_invocation: int = INVOCATION_LOG_LIMIT, per_run: int = RUN_LOG_LIMIT
    ) -> None:
        self.per_invocation = per_invocation
        self.per_run = per_run
        self.kept = 0
        self._logs: dict[str, InvocationLog] = {}
        self._opened = itertools.count()

    def open(self, invocation_id: str, function: str) -> InvocationLog:
        log = self._logs.get(invocation_id)
        if log is None:
            log = InvocationLog(invocation_id, function, self, next(self._opened))
        return log

    def keep(self, log: InvocationLog) -> InvocationLog:
        """The log the run holds for `log`'s invocation, `log` itself if none yet."""
        return self._logs.setdefault(log.invocation_id, log)

    def texts(self) -> dict[str, str]:
        """Invocation id -> its log, for invocations that wrote anything, in the order they
        were opened."""
        written = sorted(self._logs.values(), key=lambda log: log.opened)
        return {log.invocation_id: log.text() for log in written if log.parts or log.dropped}


def _current_log() -> InvocationLog | None:
    fiber = current_fiber()
    log = getattr(fiber.state, "log", None) if fiber is not None else None
    return log if isinstance(log, InvocationLog) else None


class FiberStream(io.TextIOBase):
    """`sys.stdout`/`sys.stderr` while a fiber runs: text goes to the running invocation's
    log. One pair for the process: libraries bind the stream they find once (Powertools'
    Logger does at its first construction) and keep it across runs; written outside any
    invocation, text goes to the process's own stream."""

    encoding = "utf-8"
    errors = "strict"

    def __init__(self, name: str) -> None:
        super().__init__()
        self._name = name

    @property
    def name(self) -> str:
        return f"<chaos-arena {self._name}>"

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return False

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        log = _current_log()
        if log is not None:
            log.write(text)
            return len(text)
        host = getattr(sys, f"__{self._name}__", None)
        if host is not None:
            host.write(text)
        return len(text)


STDOUT = FiberStream("stdout")
STDERR = FiberStream("stderr")


LAMBDA_LOG_FORMAT = "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(message)s"
"""The Lambda Python runtime's default line (without the request id, which the invocation's
log already names)."""


def log_handler(stream: FiberStream = STDERR) -> logging.Handler:
    """The root logger's only handler while a fiber runs, as the Lambda runtime installs one."""
    formatter = logging.Formatter(LAMBDA_LOG_FORMAT, "%Y-%m-%dT%H:%M:%S")
    formatter.converter = time.gmtime  # Lambda logs in UTC
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    return handler
