"""The Lambda runtime: concurrency, execution environments, cold starts, timeouts.

moto enforces none of this, so it is a model (../shared/reference/aws-semantics.md §1):

- account concurrency is shared by functions without a reservation; a reservation both
  guarantees and caps a function's environments; an invocation over the limit is throttled
  (429 TooManyRequestsException) and never runs;
- a new environment costs a token from the function's scaling bucket (1,000 per 10 s) and
  pays a cold start; idle environments are reused, then reclaimed after an idle lifetime;
- a timeout ends the invocation with an Unhandled error exactly `timeout` after it started;
  writes made before it persist; the environment is re-initialised afterwards.

Handlers run in fibers (`chaos.sim.fibers`), so their sleeps and SDK backoffs take virtual
time and count against the timeout.
"""

from __future__ import annotations

import itertools
import random
from collections import deque
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass, field
from typing import Any

import simpy

from chaos.faults.base import ConcurrencyFault, InvocationEffect, InvocationFault
from chaos.faults.schedule import FaultSchedule
from chaos.ledger import InvocationEnded, InvocationOutcome, Invoked, Ledger, Throttled
from chaos.sim import FiberPool, drive
from chaos.sim.bucket import TokenBucket
from chaos.sim.waits import wait
from chaos.spec.system import AccountDef, FunctionDef


@dataclass(frozen=True, slots=True)
class InvocationResult:
    """How one invocation ended, as the caller (API Gateway, the ESM) sees it."""

    outcome: InvocationOutcome
    payload: Any = None
    error_type: str = ""
    error_message: str = ""
    throttle_reason: str = ""

    @property
    def ok(self) -> bool:
        return self.outcome is InvocationOutcome.OK


THROTTLED_RESERVED = "ReservedFunctionConcurrentInvocationLimitExceeded"
THROTTLED_ACCOUNT = "ConcurrentInvocationLimitExceeded"
THROTTLED_SCALING = "FunctionScalingRateExceeded"


class LambdaContext:
    """The `context` argument handlers receive, with the fields Powertools and users read."""

    def __init__(
        self,
        env: simpy.Environment,
        function: str,
        definition: FunctionDef,
        request_id: str,
        deadline: float,
    ) -> None:
        self._env = env
        self._deadline = deadline
        self.aws_request_id = request_id
        self.function_name = function
        self.function_version = "$LATEST"
        self.memory_limit_in_mb = definition.memory
        self.invoked_function_arn = f"arn:aws:lambda:us-east-1:123456789012:function:{function}"
        self.log_group_name = f"/aws/lambda/{function}"
        self.log_stream_name = "2026/01/01/[$LATEST]chaos-arena"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - self._env.now) * 1000))


Handler = Callable[[Any, Any], Any]


@dataclass
class Environment:
    """One execution environment: initialised once (its own handler module), reused while warm."""

    handler: Handler
    last_used: float


@dataclass
class Invocation:
    """What a running invocation's fiber carries (read by the AWS call interceptor)."""

    invocation_id: str
    function: str
    request_ids: tuple[str, ...]
    draw: random.Random


@dataclass
class Function:
    name: str
    definition: FunctionDef
    new_handler: Callable[[], Handler]
    """Runs the handler module's init for a new execution environment."""
    scaling: TokenBucket
    idle: deque[Environment] = field(default_factory=deque)
    in_use: int = 0


class LambdaService:
    """All functions of one account in one region."""

    def __init__(
        self,
        env: simpy.Environment,
        ledger: Ledger,
        faults: FaultSchedule,
        account: AccountDef,
        draw: random.Random,
    ) -> None:
        self.env = env
        self.ledger = ledger
        self.faults = faults
        self.account = account
        self.draw = draw
        self.functions: dict[str, Function] = {}
        self._unreserved_in_use = 0
        self._ids = itertools.count(1)
        self._fibers = FiberPool()

    def add(self, name: str, definition: FunctionDef, new_handler: Callable[[], Handler]) -> None:
        rate = self.account.scale_per_10s / 10
        self.functions[name] = Function(
            name, definition, new_handler, TokenBucket(rate, self.account.scale_per_10s)
        )

    @property
    def unreserved_limit(self) -> int:
        reserved = sum(f.definition.reserved_concurrency or 0 for f in self.functions.values())
        return self.account.concurrency - reserved

    def concurrency_limit(self, name: str) -> int:
        """The function's own cap right now: its reservation, cut by lambda.throttle faults."""
        function = self.functions[name]
        limit = function.definition.reserved_concurrency
        for scheduled, fault in self.faults.active(ConcurrencyFault, self.env.now, name):
            cut = fault.concurrency_limit(scheduled.params, scheduled.intensity(self.env.now))
            limit = cut if limit is None else min(limit, cut)
        return self.account.concurrency if limit is None else limit

    def close(self) -> None:
        """Release what the service holds between invocations (its idle fibers)."""
        self._fibers.close()

    def invoke(
        self, name: str, event: Any, request_ids: Sequence[str]
    ) -> Generator[simpy.Event, Any, InvocationResult]:
        """Invoke synchronously (RequestResponse); a SimPy process body."""
        function = self.functions[name]
        reason = self._admit(function)
        if reason:
            self.ledger.append(Throttled(self.env.now, name, tuple(request_ids), reason))
            return InvocationResult(InvocationOutcome.THROTTLED, throttle_reason=reason)
        try:
            return (yield from self._run(function, event, tuple(request_ids)))
        finally:
            self._release(function)

    # -- admission -----------------------------------------------------------------------

    def _admit(self, function: Function) -> str:
        reserved = function.definition.reserved_concurrency is not None
        if function.in_use >= self.concurrency_limit(function.name):
            return THROTTLED_RESERVED if reserved else THROTTLED_ACCOUNT
        if not reserved and self._unreserved_in_use >= self.unreserved_limit:
            return THROTTLED_ACCOUNT
        self._reclaim_idle(function)
        if not function.idle and not function.scaling.take(self.env.now):
            return THROTTLED_SCALING
        function.in_use += 1
        if not reserved:
            self._unreserved_in_use += 1
        return ""

    def _release(self, function: Function) -> None:
        function.in_use -= 1
        if function.definition.reserved_concurrency is None:
            self._unreserved_in_use -= 1

    def _reclaim_idle(self, function: Function) -> None:
        lifetime = function.definition.cold_start.idle_lifetime
        while function.idle and function.idle[0].last_used + lifetime < self.env.now:
            function.idle.popleft()

    # -- execution -----------------------------------------------------------------------

    def _run(
        self, function: Function, event: Any, request_ids: tuple[str, ...]
    ) -> Generator[simpy.Event, Any, InvocationResult]:
        env = self.env
        effect = self._effects(function.name)
        if effect.cold_start and function.idle and not function.scaling.take(env.now):
            # Admission found an idle environment and took no scaling token; the forced
            # new environment needs one like any other (aws-semantics.md 1.5).
            self.ledger.append(Throttled(env.now, function.name, request_ids, THROTTLED_SCALING))
            return InvocationResult(InvocationOutcome.THROTTLED, throttle_reason=THROTTLED_SCALING)
        environment, cold = self._environment(function, force_cold=effect.cold_start)
        invocation_id = f"{function.name}-{next(self._ids):07d}"
        self.ledger.append(Invoked(env.now, invocation_id, function.name, request_ids, cold))
        definition = function.definition
        if cold:
            yield wait(
                env, definition.cold_start.base + self.draw.random() * definition.cold_start.jitter
            )
        deadline = env.now + definition.timeout
        compute = definition.duration.base + self.draw.random() * definition.duration.jitter
        result = yield from self._execute(
            function,
            environment.handler,
            event,
            request_ids,
            invocation_id,
            deadline,
            compute,
            effect,
        )
        if result.outcome is not InvocationOutcome.TIMEOUT:
            environment.last_used = env.now
            function.idle.append(environment)
        failed = _reported_failures(result.payload) if result.ok else ()
        self.ledger.append(
            InvocationEnded(
                env.now, invocation_id, function.name, result.outcome, result.error_type, failed
            )
        )
        return result

    def _execute(
        self,
        function: Function,
        handler: Handler,
        event: Any,
        request_ids: tuple[str, ...],
        invocation_id: str,
        deadline: float,
        compute: float,
        effect: InvocationEffect,
    ) -> Generator[simpy.Event, Any, InvocationResult]:
        env = self.env
        before_handler = compute + effect.delay
        if effect.hang or env.now + before_handler >= deadline:
            yield wait(env, deadline - env.now)
            return _timed_out(function.definition.timeout)
        yield wait(env, before_handler)
        if effect.error is not None and not effect.run_handler:
            return InvocationResult(
                InvocationOutcome.ERROR,
                error_type=effect.error,
                error_message="injected by chaos-arena",
            )
        context = LambdaContext(env, function.name, function.definition, _uuid(self.draw), deadline)
        invocation = Invocation(invocation_id, function.name, request_ids, self.draw)
        outcome = yield from drive(
            env, handler, (event, context), context=invocation, deadline=deadline, pool=self._fibers
        )
        if outcome.timed_out:
            return _timed_out(function.definition.timeout)
        if outcome.error is not None:
            error = outcome.error
            return InvocationResult(
                InvocationOutcome.ERROR, error_type=type(error).__name__, error_message=str(error)
            )
        if effect.error is not None:
            return InvocationResult(
                InvocationOutcome.ERROR,
                error_type=effect.error,
                error_message="injected by chaos-arena",
            )
        return InvocationResult(InvocationOutcome.OK, payload=outcome.value)

    def _effects(self, name: str) -> InvocationEffect:
        """The combined effect of the active invocation faults: delays add, first error wins."""
        if not self.faults.of_kind(InvocationFault):
            return _NO_EFFECT
        delay, error, run_handler, hang, cold = 0.0, None, True, False, False
        now = self.env.now
        for scheduled, fault in self.faults.active(InvocationFault, now, name):
            effect = fault.on_invocation(scheduled.params, scheduled.intensity(now), scheduled.draw)
            if effect is None:
                continue
            delay += effect.delay
            if error is None and effect.error is not None:
                error, run_handler = effect.error, effect.run_handler
            hang = hang or effect.hang
            cold = cold or effect.cold_start
        return InvocationEffect(
            delay=delay, error=error, run_handler=run_handler, hang=hang, cold_start=cold
        )

    def _environment(self, function: Function, *, force_cold: bool) -> tuple[Environment, bool]:
        if function.idle and not force_cold:
            return function.idle.pop(), False
        return Environment(function.new_handler(), last_used=self.env.now), True


_NO_EFFECT = InvocationEffect()


def _timed_out(timeout: float) -> InvocationResult:
    return InvocationResult(
        InvocationOutcome.TIMEOUT,
        error_type="Sandbox.Timedout",
        error_message=f"Task timed out after {timeout:.2f} seconds",
    )


def _uuid(draw: random.Random) -> str:
    value = f"{draw.getrandbits(128):032x}"
    return f"{value[:8]}-{value[8:12]}-4{value[13:16]}-a{value[17:20]}-{value[20:]}"


def _reported_failures(payload: Any) -> tuple[str, ...]:
    """Message ids a partial batch response lists (`batchItemFailures`), if any."""
    if not isinstance(payload, dict):
        return ()
    failures = payload.get("batchItemFailures")
    if not isinstance(failures, list):
        return ()
    return tuple(str(item.get("itemIdentifier")) for item in failures if isinstance(item, dict))
