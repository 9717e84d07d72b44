"""The clients: they send each request through the front door and, if told to, send again.

A client does not retry by default (raw HTTP clients don't); a retry policy resends the same
request id after 5xx, 429 or a timeout with exponential backoff and full jitter, which is
how a fair sync system makes the user "send again".
"""

from __future__ import annotations

import json
import random
from collections.abc import Generator, Iterable
from dataclasses import dataclass
from typing import Any, Protocol, cast

import simpy

from chaos._aws.apigateway import ApiResponse
from chaos._ledger import Ledger, Responded, Sent, Stage
from chaos._sim.waits import within
from chaos._spec.experiment import ClientDef, RetryPolicy

CLIENT_TIMEOUT = ApiResponse(0, "", Stage.CLIENT_TIMEOUT)


@dataclass(frozen=True, slots=True)
class Request:
    request_id: str
    poison: bool
    body: str
    connection_id: str


def request_body(request_id: str, poison: bool, connection_id: str, payload_size: int) -> str:
    """The order as JSON, padded with its `payload` field to `payload_size` bytes (or more,
    when the fields alone are longer)."""
    document = {
        "request_id": request_id,
        "connection_id": connection_id,
        "poison": poison,
        "payload": "",
    }
    bare = json.dumps(document, separators=(",", ":"))  # ends with "payload":""}
    padding = "x" * max(0, payload_size - len(bare))
    return f'{bare[:-2]}{padding}"}}'


class FrontDoor(Protocol):
    """How a request enters the system under test."""

    max_wait: float
    """The longest the front door can take to answer (sync: the integration timeout)."""

    def submit(
        self, request: Request, attempt: int
    ) -> ApiResponse | Generator[simpy.Event, Any, ApiResponse]:
        """An immediate answer, or a process body that produces one."""


class Client:
    def __init__(
        self,
        env: simpy.Environment,
        ledger: Ledger,
        door: FrontDoor,
        definition: ClientDef,
        draw: random.Random,
    ) -> None:
        self.env = env
        self.ledger = ledger
        self.door = door
        self.definition = definition
        self.draw = draw
        self.started = 0
        """Requests sent so far."""

    def run(self, arrivals: Iterable[tuple[float, Request]]) -> Generator[simpy.Event, Any, None]:
        """A process that starts one request process at each arrival time; `arrivals` is
        consumed as their times come (one request made ahead, never all)."""
        env = self.env
        for at, request in arrivals:
            if at > env.now:
                yield env.timeout(at - env.now)
            env.process(self.send(request))
            self.started += 1

    def send(self, request: Request) -> Generator[simpy.Event, Any, None]:
        policy = self.definition.retry
        attempts = 1 if policy is None else policy.attempts
        for attempt in range(1, attempts + 1):
            self.ledger.append(Sent(self.env.now, request.request_id, attempt, request.poison))
            response = yield from self._attempt(request, attempt)
            self.ledger.append(
                Responded(
                    self.env.now, request.request_id, attempt, response.status, response.stage
                )
            )
            if policy is None or attempt == attempts or not _retryable(policy, response):
                return
            yield self.env.timeout(self._backoff(policy, attempt))

    def _attempt(self, request: Request, attempt: int) -> Generator[simpy.Event, Any, ApiResponse]:
        answer = self.door.submit(request, attempt)
        if isinstance(answer, ApiResponse):
            return answer
        if self.definition.timeout >= self.door.max_wait:
            return (yield from answer)  # the front door always answers first
        answered, response = yield from within(
            self.env, answer, self.env.now + self.definition.timeout
        )
        return cast(ApiResponse, response) if answered else CLIENT_TIMEOUT

    def _backoff(self, policy: RetryPolicy, attempt: int) -> float:
        wait: float = min(policy.max_backoff, policy.backoff * 2.0 ** (attempt - 1))
        return wait * self.draw.random() if policy.jitter else wait


def _retryable(policy: RetryPolicy, response: ApiResponse) -> bool:
    if response.status == 0:
        return "timeout" in policy.when
    if response.status == 429:
        return "429" in policy.when
    return response.status >= 500 and "5xx" in policy.when
