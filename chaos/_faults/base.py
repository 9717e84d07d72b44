"""What a fault type is: a name, a typed parameters model, and the injection point it uses.

The AWS models in `chaos._aws` expose injection points (an invocation starting, an AWS API
call below botocore, a message delete, a concurrency limit, a table's capacity); a fault type
subclasses the base for its point and decides, per occurrence, what happens. Random choices
come from the `random.Random` the schedule hands in (one seeded stream per scheduled fault).
Parameter models and target kinds are spec types (`chaos._spec.faults`).
"""

from __future__ import annotations

import random
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from chaos._spec.faults import FaultParams, TargetKind


@dataclass(frozen=True)
class AwsCall:
    """An AWS API call a handler made, seen below botocore before it reaches moto."""

    service: str
    operation: str
    target: str | None
    """The table, queue or connection the call is about, when known."""


@dataclass(frozen=True)
class CallEffect:
    """Replace the call's response with an error, or delay it, or both."""

    delay: float = 0.0
    error_status: int | None = None
    error_code: str = ""
    error_message: str = ""


@dataclass(frozen=True)
class InvocationEffect:
    """What happens to one Lambda invocation once it is admitted."""

    delay: float = 0.0
    error: str | None = None
    run_handler: bool = True
    """With an error: run the handler first (its writes persist) or not at all."""
    hang: bool = False
    """The invocation never returns: it ends at the function timeout."""
    cold_start: bool = False
    response: Mapping[str, Any] | None = None
    """A response that replaces the function's (FIS invocation-http-integration-response):
    with `run_handler` False the handler does not run, else it runs and its answer is
    dropped."""


class Fault(ABC):
    """A fault type; subclasses pick an injection point by their base class."""

    name: ClassVar[str]
    summary: ClassVar[str]
    Params: ClassVar[type[FaultParams]]
    target_kind: ClassVar[TargetKind]


class InvocationFault(Fault):
    @abstractmethod
    def on_invocation(
        self, params: FaultParams, intensity: float, draw: random.Random
    ) -> InvocationEffect | None:
        """The effect on one admitted invocation, or None to leave it alone."""


class AwsCallFault(Fault):
    service: ClassVar[str]

    @abstractmethod
    def on_call(
        self, params: FaultParams, intensity: float, draw: random.Random, call: AwsCall
    ) -> CallEffect | None:
        """The effect on one AWS API call, or None to let it through."""


class ConcurrencyFault(Fault):
    @abstractmethod
    def concurrency_limit(self, params: FaultParams, intensity: float) -> int:
        """The function's concurrency while the fault is active."""


class CapacityFault(Fault):
    @abstractmethod
    def write_capacity(self, params: FaultParams, intensity: float) -> float | None:
        """Write capacity units per second while active, or None to leave capacity alone."""


class DeliveryFault(Fault):
    @abstractmethod
    def on_delete(self, params: FaultParams, intensity: float, draw: random.Random) -> bool:
        """True when a delete misses a stored copy, so the message is delivered again."""


class EnqueueFault(Fault):
    @abstractmethod
    def on_enqueue(
        self, params: FaultParams, intensity: float, draw: random.Random
    ) -> CallEffect | None:
        """The effect on one send to the queue: from API Gateway's integration or from a
        handler's SendMessage(Batch) (`chaos._aws.router`)."""


def hit(probability: float, intensity: float, draw: random.Random) -> bool:
    """One draw: does an occurrence fall in the fault's share?"""
    return draw.random() < probability * intensity


__all__ = [
    "AwsCall",
    "AwsCallFault",
    "CallEffect",
    "CapacityFault",
    "ConcurrencyFault",
    "DeliveryFault",
    "EnqueueFault",
    "Fault",
    "InvocationEffect",
    "InvocationFault",
    "hit",
]
