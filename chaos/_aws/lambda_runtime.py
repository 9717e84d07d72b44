"""The Lambda runtime: concurrency, execution environments, cold starts, timeouts.

moto enforces none of this, so it is a model (../shared/reference/aws-semantics.md §1):

- account concurrency is shared by functions without a reservation; a reservation both
  guarantees and caps a function's environments; an invocation over the limit is throttled
  (429 TooManyRequestsException) and never runs;
- a new environment costs a token from the function's scaling bucket (1,000 per 10 s) and
  pays a cold start; idle environments are reused, then reclaimed after an idle lifetime;
- a timeout ends the invocation with an Unhandled error exactly `timeout` after it started
  (plus the function's `timeout_overrun`, 0 unless set: Lambda has been seen ending a
  function ~0.68 s late, powertools-lambda-python issue 4759; the handler runs on in that
  window with no remaining time, and the invocation is a timeout even if it returns);
  writes made before the end persist; the environment is re-initialised afterwards.

Handlers run in fibers (`chaos._sim.fibers`), so their sleeps and SDK backoffs take virtual
time and count against the timeout. So does each new environment's init (the handler
module's own code), under Lambda's 10 s init limit: an init that does not finish in time is
run again in the first invocation, under the function's timeout (aws-semantics.md 1.4).
With a `Containment`, each environment has its own process state (`chaos._sandbox`): its
environment variables (the Lambda runtime's own included), streams, warnings and signals;
what a handler prints goes to the invocation's log.

How a handler fails is named as the Lambda runtime names it: an exception escaping the
handler is its own type, an exit (`sys.exit`, an uncaught KeyboardInterrupt, `os._exit`, a
signal to itself) is Runtime.ExitError and ends the environment, a response that is not
JSON is Runtime.MarshalError, an init that raises is Runtime.ImportModuleError (or the
exception's type).
"""

from __future__ import annotations

import itertools
import json
import os
import random
import sys
from collections import deque
from collections.abc import Callable, Generator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import simpy

from chaos._faults.base import ConcurrencyFault, InvocationEffect, InvocationFault
from chaos._faults.schedule import FaultSchedule
from chaos._ledger import InitFailed, InvocationEnded, InvocationOutcome, Invoked, Ledger, Throttled
from chaos._sandbox import Containment, HandlerError, ProcessState, describe
from chaos._sandbox.charge import ClockCharge
from chaos._sandbox.code import add_engine_packages, location
from chaos._sandbox.failures import HandlerNotFound
from chaos._sim import FiberPool, VirtualClock, drive
from chaos._sim.bucket import TokenBucket
from chaos._sim.fibers import FiberOutcome
from chaos._sim.waits import wait
from chaos._spec.system import AccountDef, FunctionDef, SdkDef


@dataclass(frozen=True, slots=True)
class InvocationResult:
    """How one invocation ended, as the caller (API Gateway, the ESM) sees it."""

    outcome: InvocationOutcome
    payload: Any = None
    error_type: str = ""
    error_message: str = ""
    throttle_reason: str = ""
    failure: HandlerError | None = None
    """What the handler's own code did, when the failure was its doing."""
    invocation_id: str = ""

    @property
    def ok(self) -> bool:
        return self.outcome is InvocationOutcome.OK


THROTTLED_RESERVED = "ReservedFunctionConcurrentInvocationLimitExceeded"
THROTTLED_ACCOUNT = "ConcurrentInvocationLimitExceeded"
THROTTLED_SCALING = "FunctionScalingRateExceeded"

# The SDK and moto run in handler fibers on the handler's behalf: their clock reads are not
# the handler's compute, and a fiber inside them must not be switched away from (moto could
# be left halfway through a write). Their own dependencies count as engine code too.
add_engine_packages(("boto3", "botocore", "moto", "s3transfer", "urllib3"), uninterruptible=True)
add_engine_packages(("dateutil", "jmespath", "responses", "werkzeug", "xmltodict"))

INIT_LIMIT = 10.0
"""Lambda's Init phase limit, in seconds (aws-semantics.md 1.4)."""
EXIT_ERROR = "Runtime.ExitError"
MARSHAL_ERROR = "Runtime.MarshalError"
IMPORT_ERROR = "Runtime.ImportModuleError"


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

    last_used: float
    state: ProcessState | None = None
    handler: Handler | None = None
    """None until its init has finished."""


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
    variables: dict[str, str] = field(default_factory=dict)
    """The environment variables its environments get, on top of the process's."""
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
        *,
        containment: Containment | None = None,
    ) -> None:
        self.env = env
        self.containment = containment
        self.ledger = ledger
        self.faults = faults
        self.account = account
        self.draw = draw
        self.functions: dict[str, Function] = {}
        self._unreserved_in_use = 0
        self._ids = itertools.count(1)
        self._fibers = FiberPool()
        self.failures: dict[str, HandlerError] = {}
        """Invocation id -> what the handler's code did, for every invocation it failed."""

    def add(
        self,
        name: str,
        definition: FunctionDef,
        new_handler: Callable[[], Handler],
        variables: dict[str, str] | None = None,
    ) -> None:
        rate = self.account.scale_per_10s / 10
        self.functions[name] = Function(
            name,
            definition,
            new_handler,
            TokenBucket(rate, self.account.scale_per_10s),
            dict(variables or {}),
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
        invocation = Invocation(invocation_id, function.name, request_ids, self.draw)
        if environment.state is not None and self.containment is not None:
            environment.state.log = self.containment.logs.open(invocation_id, function.name)
        definition = function.definition
        failed: InvocationResult | None = None
        if cold:
            yield wait(
                env, definition.cold_start.base + self.draw.random() * definition.cold_start.jitter
            )
            failed = yield from self._initialise(function, environment, invocation, INIT_LIMIT)
        deadline = env.now + definition.timeout
        if failed is None and environment.handler is None:
            # Init ran past its 10 s limit: Lambda runs it again in this invocation, under
            # the function's timeout (aws-semantics.md 1.4).
            failed = yield from self._initialise(
                function, environment, invocation, definition.timeout
            )
        compute = definition.duration.base + self.draw.random() * definition.duration.jitter
        if failed is not None:
            result = failed
        else:
            assert environment.handler is not None
            result = yield from self._execute(
                function,
                environment,
                event,
                invocation,
                deadline,
                compute,
                effect,
            )
        reusable = (
            result.outcome is not InvocationOutcome.TIMEOUT and result.error_type != EXIT_ERROR
        )
        if reusable and failed is None:
            environment.last_used = env.now
            function.idle.append(environment)
        if result.failure is not None:
            self.failures[invocation_id] = result.failure
        result = replace(result, invocation_id=invocation_id)
        reported = _reported_failures(result.payload) if result.ok else ()
        self.ledger.append(
            InvocationEnded(
                env.now, invocation_id, function.name, result.outcome, result.error_type, reported
            )
        )
        return result

    def _initialise(
        self, function: Function, environment: Environment, invocation: Invocation, limit: float
    ) -> Generator[simpy.Event, Any, InvocationResult | None]:
        """Run the handler module's init in a fiber, up to `limit` virtual seconds.

        None when it finished (the environment has its handler) or ran out of time (it
        has none yet); otherwise the invocation's failure.
        """
        env = self.env
        outcome = yield from drive(
            env,
            function.new_handler,
            (),
            context=invocation,
            deadline=env.now + limit,
            pool=self._fibers,
            state=environment.state,
        )
        if outcome.timed_out:
            reason = "init timed out" if outcome.preempted is None else "init spun"
            self.ledger.append(InitFailed(env.now, invocation.invocation_id, function.name, reason))
            if limit == INIT_LIMIT:
                return None
            return _timed_out(function.definition.timeout, _preemption(outcome))
        if outcome.error is None and outcome.preempted is None:
            environment.handler = outcome.value
            return None
        failure = _failure(outcome)
        error_type = _init_error_type(outcome)
        self.ledger.append(InitFailed(env.now, invocation.invocation_id, function.name, error_type))
        return InvocationResult(
            InvocationOutcome.ERROR,
            error_type=error_type,
            error_message=failure.message,
            failure=failure,
        )

    def _execute(
        self,
        function: Function,
        environment: Environment,
        event: Any,
        invocation: Invocation,
        deadline: float,
        compute: float,
        effect: InvocationEffect,
    ) -> Generator[simpy.Event, Any, InvocationResult]:
        env = self.env
        definition = function.definition
        # Lambda ends the function `timeout_overrun` after its deadline, not at it.
        end = deadline + definition.timeout_overrun
        before_handler = compute + effect.delay
        if effect.hang or env.now + before_handler >= deadline:
            yield wait(env, end - env.now)
            return _timed_out(definition.timeout)
        yield wait(env, before_handler)
        if effect.response is not None and not effect.run_handler:
            return InvocationResult(InvocationOutcome.OK, payload=dict(effect.response))
        if effect.error is not None and not effect.run_handler:
            return InvocationResult(
                InvocationOutcome.ERROR,
                error_type=effect.error,
                error_message="injected by chaos-arena",
            )
        context = LambdaContext(env, function.name, function.definition, _uuid(self.draw), deadline)
        assert environment.handler is not None  # its init finished
        outcome = yield from drive(
            env,
            environment.handler,
            (event, context),
            context=invocation,
            deadline=end,
            pool=self._fibers,
            state=environment.state,
        )
        if outcome.timed_out:
            return _timed_out(definition.timeout, _timeout_failure(outcome, deadline))
        if env.now > deadline:
            # Returned inside the overrun window: its duration passed the timeout all the same.
            return _timed_out(definition.timeout)
        if outcome.error is not None or outcome.preempted is not None:
            return _handler_failed(outcome)
        if effect.error is not None:
            return InvocationResult(
                InvocationOutcome.ERROR,
                error_type=effect.error,
                error_message="injected by chaos-arena",
            )
        if effect.response is not None:
            return InvocationResult(InvocationOutcome.OK, payload=dict(effect.response))
        return _response(outcome.value)

    def _effects(self, name: str) -> InvocationEffect:
        """The combined effect of the active invocation faults: delays add, the first error
        or replaced response wins."""
        if not self.faults.of_kind(InvocationFault):
            return _NO_EFFECT
        delay, error, run_handler, hang, cold = 0.0, None, True, False, False
        response: Mapping[str, Any] | None = None
        now = self.env.now
        for scheduled, fault in self.faults.active(InvocationFault, now, name):
            effect = fault.on_invocation(scheduled.params, scheduled.intensity(now), scheduled.draw)
            if effect is None:
                continue
            delay += effect.delay
            undecided = error is None and response is None
            if undecided and (effect.error is not None or effect.response is not None):
                error, response = effect.error, effect.response
                run_handler = effect.run_handler
            hang = hang or effect.hang
            cold = cold or effect.cold_start
        return InvocationEffect(
            delay=delay,
            error=error,
            run_handler=run_handler,
            hang=hang,
            cold_start=cold,
            response=response,
        )

    def _environment(self, function: Function, *, force_cold: bool) -> tuple[Environment, bool]:
        if function.idle and not force_cold:
            return function.idle.pop(), False
        state = None
        if self.containment is not None:
            state = self.containment.state({**os.environ, **function.variables})
        return Environment(last_used=self.env.now, state=state), True


_NO_EFFECT = InvocationEffect()
_EXITS = (SystemExit, KeyboardInterrupt)
"""Exceptions that end the Python runtime's process when a handler lets them escape."""


def _timed_out(timeout: float, failure: HandlerError | None = None) -> InvocationResult:
    return InvocationResult(
        InvocationOutcome.TIMEOUT,
        error_type="Sandbox.Timedout",
        error_message=f"Task timed out after {timeout:.2f} seconds",
        failure=failure,
    )


def _timeout_failure(outcome: FiberOutcome, deadline: float) -> HandlerError:
    """What the handler was doing when its time ran out: preempted, or waiting where."""
    preempted = _preemption(outcome)
    if preempted is not None:
        return preempted
    where = location(outcome.frame)
    outcome.frame = None
    return HandlerError("Sandbox.Timedout", "still running at the function timeout", where)


def _preemption(outcome: FiberOutcome) -> HandlerError | None:
    """Why a fiber stopped early, when it did not stop at a wait: it spun, or polled the
    clock up to its deadline."""
    preempted = outcome.preempted
    if preempted is None:
        return None
    if preempted.reason == "spinning":
        message = "ran for the wall budget without yielding or reading the clock"
    else:
        message = "read the clock until its deadline"
    return HandlerError("Sandbox.Timedout", message, preempted.location)


def _failure(outcome: FiberOutcome) -> HandlerError:
    """What the handler's code did: raised (`describe`), or ended its process."""
    preempted = outcome.preempted
    if preempted is not None:  # os._exit, abort, a signal to itself
        return HandlerError(
            EXIT_ERROR, f"Runtime exited with error: {preempted.detail}", preempted.location
        )
    error = outcome.error
    assert error is not None
    failure = describe(error)
    if isinstance(error, SystemExit):
        return HandlerError(
            EXIT_ERROR, f"Runtime exited with error: {_exit_status(error)}", failure.location
        )
    if isinstance(error, KeyboardInterrupt):
        return HandlerError(
            EXIT_ERROR, "Runtime exited with error: KeyboardInterrupt", failure.location
        )
    return failure


def _exit_status(error: SystemExit) -> str:
    code = error.code
    if code is None or isinstance(code, int):
        return f"exit status {code or 0}"
    return f"exit status 1 ({code})"  # sys.exit("text") prints the text and exits 1


def _handler_failed(outcome: FiberOutcome) -> InvocationResult:
    failure = _failure(outcome)
    exited = outcome.preempted is not None or isinstance(outcome.error, _EXITS)
    error_type = EXIT_ERROR if exited else failure.error_type
    return InvocationResult(
        InvocationOutcome.ERROR,
        error_type=error_type,
        error_message=failure.message,
        failure=failure,
    )


def _init_error_type(outcome: FiberOutcome) -> str:
    """The Python runtime's name for a failed init (awslambdaric's bootstrap)."""
    if outcome.preempted is not None or isinstance(outcome.error, _EXITS):
        return EXIT_ERROR
    if isinstance(outcome.error, HandlerNotFound):
        return "Runtime.HandlerNotFound"
    if isinstance(outcome.error, ImportError):
        return IMPORT_ERROR
    if isinstance(outcome.error, SyntaxError):
        return "Runtime.UserCodeSyntaxError"
    return type(outcome.error).__name__


def _response(payload: Any) -> InvocationResult:
    """The handler's return value, as the runtime serialises it for the caller."""
    try:
        json.dumps(payload, default=_decimal)
    except (TypeError, ValueError) as error:
        failure = HandlerError(MARSHAL_ERROR, f"Unable to marshal response: {error}")
        return InvocationResult(
            InvocationOutcome.ERROR,
            error_type=MARSHAL_ERROR,
            error_message=failure.message,
            failure=failure,
        )
    return InvocationResult(InvocationOutcome.OK, payload=payload)


def _decimal(value: Any) -> Any:
    # The runtime's encoder writes Decimals (boto3's DynamoDB numbers) as numbers.
    from decimal import Decimal

    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


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


def lambda_variables(
    name: str,
    definition: FunctionDef,
    *,
    task_root: str,
    region: str,
    sdk: SdkDef | None = None,
) -> dict[str, str]:
    """The variables the Lambda runtime defines for a function, its SDK retry settings (the
    function's `sdk:` over the system's `sdk`), then the function's own variables.

    Source: AWS Lambda Developer Guide, "Defined runtime environment variables"
    (https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html). Libraries
    read them (Powertools' idempotency keys and its cold-start flag, its Logger and Metrics).
    `LAMBDA_TASK_ROOT` is the system definition's directory, where the code lives here.
    boto3 reads `AWS_RETRY_MODE` and `AWS_MAX_ATTEMPTS` (total attempts) when a client is
    made (AWS SDKs and Tools Reference Guide, "Retry behavior"), so each function's
    environments retry as that function says; a function's own `environment:` still wins.
    """
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    variables = {
        "_HANDLER": definition.handler,
        "AWS_EXECUTION_ENV": f"AWS_Lambda_python{version}",
        "AWS_LAMBDA_FUNCTION_NAME": name,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(definition.memory),
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{name}",
        "AWS_LAMBDA_LOG_STREAM_NAME": "2026/01/01/[$LATEST]chaos-arena",
        "AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001",
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
        "LAMBDA_TASK_ROOT": task_root,
        "LAMBDA_RUNTIME_DIR": "/var/runtime",
        "TZ": ":UTC",
    }
    variables.update(sdk_variables(definition.sdk.over(sdk or SdkDef())))
    variables.update(definition.environment)
    return variables


def sdk_variables(sdk: SdkDef) -> dict[str, str]:
    """The environment variables that make boto3 retry as `sdk` says."""
    variables: dict[str, str] = {"AWS_RETRY_MODE": sdk.retry_mode}
    if sdk.max_attempts is not None:
        variables["AWS_MAX_ATTEMPTS"] = str(sdk.max_attempts)
    return variables


def check_init(
    new_handler: Callable[[], Handler],
    variables: dict[str, str],
    definition: FunctionDef,
    containment: Containment,
) -> HandlerError | None:
    """Run a handler module's init once, contained, on a clock of its own: what went wrong,
    or None. Lets a run (and `validate`) report a handler that cannot even start before any
    traffic, as an import error would be reported.

    An init may take up to 10 s plus the function's timeout on AWS (the second try runs in
    the first invocation); one that takes longer never finishes.
    """
    env = simpy.Environment()
    charge = ClockCharge(env, cost=containment.settings.clock_read_cost)
    charge.progress = containment.progress
    pool = FiberPool()
    state = containment.state({**os.environ, **variables})
    with VirtualClock(env, charge=charge):
        process = env.process(
            drive(
                env,
                new_handler,
                (),
                context=None,
                deadline=INIT_LIMIT + definition.timeout,
                pool=pool,
                state=state,
            )
        )
        env.run()
    pool.close()
    outcome = process.value
    assert isinstance(outcome, FiberOutcome)
    if outcome.timed_out:
        detail = _preemption(outcome)
        return HandlerError(
            "Runtime.InitTimeout",
            f"the module's init did not finish within Lambda's {INIT_LIMIT:.0f} s init "
            f"limit nor the function's {definition.timeout:g} s timeout"
            + (" (it spins without yielding)" if outcome.preempted else ""),
            detail.location if detail else "",
        )
    if outcome.error is not None:
        return describe(outcome.error)  # as raised: "SystemExit: bye", at its line
    if outcome.preempted is not None:
        return _failure(outcome)
    return None
