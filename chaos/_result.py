"""What one run produces: the ledger, the final state read back, and run figures."""

from __future__ import annotations

import signal
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple

from chaos._ledger import Ledger, StopTripped
from chaos._spec.experiment import Experiment
from chaos._spec.system import SystemDefinition

if TYPE_CHECKING:
    from chaos._sandbox import HandlerError  # (the sandbox pulls in the engine's SimPy)


@dataclass(frozen=True)
class FinalState:
    """What is really there at the end (Jepsen's final read), not what handlers claimed."""

    effects: Mapping[str, int]
    """Request id -> items carrying it in the effects table (a consistent scan)."""
    anonymous_effects: int
    """Items in the effects table without a request id."""
    dead_letter: tuple[str, ...]
    """Request ids of the messages in the DLQ (once per message)."""
    queued: tuple[str, ...]
    """Request ids of the messages still in the source queue, visible or in flight."""
    stage_effects: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    """Per follow-up stage (`effects.stages`): request id -> items carrying it in the
    stage's table. Empty for a single-stage system."""


class Sample(NamedTuple):
    """The system's state at one instant, for timelines."""

    t: float
    queue_visible: int
    queue_in_flight: int
    dead_letter: int
    concurrency: int


class Progress(NamedTuple):
    """How far a run has got, handed to a progress callback while it runs."""

    t: float
    """Virtual time reached, in seconds."""
    duration: float
    requests: int
    """Requests the client has sent so far."""
    total_requests: int


@dataclass
class RunResult:
    experiment: Experiment
    system: SystemDefinition
    seed: int
    ledger: Ledger
    final: FinalState
    simulated_seconds: float
    wall_seconds: float
    samples: list[Sample] = field(default_factory=list)
    aws_calls: int = 0
    """HTTP-level AWS calls handlers made (each SDK retry counted)."""
    failures: Mapping[str, HandlerError] = field(default_factory=dict)
    """Invocation id -> what the handler's own code did when it failed the invocation."""
    logs: Mapping[str, str] = field(default_factory=dict)
    """Invocation id -> what it printed or logged (bounded; never part of the digest)."""
    stopped: str = ""
    """Why the run ended before its duration ('' when it ran to the end)."""
    message_bytes: Mapping[str, int] = field(default_factory=dict)
    """SQS message id -> body size in bytes (beside the ledger, which holds no sizes)."""
    request_units: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    """DynamoDB table -> (write, read) request units its served calls consumed."""
    stop: StopTripped | None = None
    """The `stop_when` guard that ended fault injection, when one tripped."""

    @property
    def faults_stopped_at(self) -> float | None:
        """When fault injection ended early (a stop condition), else None."""
        return None if self.stop is None else self.stop.t


class RunInterrupted(KeyboardInterrupt):
    """A run stopped by SIGINT or SIGTERM; raised once the world is torn down cleanly."""

    def __init__(self, signum: int) -> None:
        super().__init__(f"chaos-arena run stopped by {signal.Signals(signum).name}")
        self.signum = signum
