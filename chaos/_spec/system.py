"""System definitions: the managed-service settings around a user's handlers.

A system names its handlers (`module:function`), its tables, its queue and the Lambda
settings, exactly as the reference systems in `systems_under_test/` do. Limits follow the
AWS documentation cited in ../shared/reference/aws-semantics.md; settings AWS would reject
are rejected here too.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from chaos._spec.base import Problem, SpecModel, SpecProblems, spec_error
from chaos._spec.types import (
    Duration,
    Fraction,
    Integer,
    Rate,
    Slug,
    ThrottleCode,
    named_pattern,
)
from chaos._spec.units import format_duration

_HANDLER_RE = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")


def _handler_ref(value: str) -> str:
    if not _HANDLER_RE.match(value):
        raise spec_error(
            "handler_ref",
            f"{value!r} is not a handler reference",
            "expected 'package.module:function', such as 'myapp.orders:handle'",
        )
    return value


HandlerRef = Annotated[str, AfterValidator(_handler_ref)]

QueueName = Annotated[
    str,
    named_pattern(
        r"^[A-Za-z0-9_-]{1,80}$", "an SQS queue name: 1 to 80 letters, digits, '-' and '_'"
    ),
]
TableName = Annotated[
    str,
    named_pattern(
        r"^[A-Za-z0-9_.-]{3,255}$",
        "a DynamoDB table name: 3 to 255 letters, digits, '.', '-' and '_'",
    ),
]


class Architecture(StrEnum):
    """The system's shape, validated against its parts (see ARCHITECTURE.md, "composed
    systems"): where a request enters and what answers the client."""

    SYNC = "sync"
    """API Gateway -> function (proxy); the function answers the client."""
    EVENT_DRIVEN = "event_driven"
    """API Gateway -> queue (service integration) -> consumer; the queue answers."""
    HYBRID = "hybrid"
    """API Gateway -> function, which answers the client and hands follow-up work to the
    queue its environment names; the queue's consumer does it."""


class DurationModel(SpecModel):
    """Compute time of one invocation, before the handler's own waits and AWS calls."""

    base: Duration = 0.02
    """Fixed part of every invocation's duration."""
    jitter: Duration = 0.01
    """Uniformly random extra, from 0 to this."""


class ColdStartModel(SpecModel):
    """Init time of a new execution environment (AWS: under 100 ms to over 1 s)."""

    base: Duration = 0.25
    jitter: Duration = 0.15
    idle_lifetime: Duration = 600.0
    """An idle environment is reclaimed after this long (AWS: non-deterministic)."""


class LatencyModel(SpecModel):
    """Service-side latency of one AWS API call."""

    base: Duration = 0.004
    jitter: Duration = 0.004
    """Uniformly random extra, from 0 to this."""


RetryMode = Literal["legacy", "standard", "adaptive"]

LAMBDA_RUNTIME_RETRY_MODE: RetryMode = "legacy"
"""The retry mode of the SDK the Lambda Python runtime bundles. The runtime-included boto3
"depends on the runtime version and your AWS Region" (Lambda Developer Guide, "Building
Lambda functions with Python", Runtime-included SDK versions) and trails boto3's releases;
every version the Lambda docs have listed (boto3 1.9.221 to 1.18.55 and on) and every
botocore before 1.44 defaults to `legacy` (botocore configprovider.py: `_DEFAULT_RETRY_MODE =
'standard' if NEW_RETRIES_ENABLED else 'legacy'`; Boto3 guide "Retries"). Legacy mode makes
10 DynamoDB attempts and 5 for other services (botocore data/_retry.json); standard mode 3,
and 4 for DynamoDB where botocore's 2026 retries are on (retries/standard.py
`_SERVICE_MAX_ATTEMPTS`). A system whose handlers bundle a newer boto3 says `standard`."""


class SdkDef(SpecModel):
    """The AWS SDK's retry settings, as the handlers' boto3 reads them from the environment
    (`AWS_RETRY_MODE`, `AWS_MAX_ATTEMPTS`: total attempts, the first included)."""

    retry_mode: RetryMode = LAMBDA_RUNTIME_RETRY_MODE
    """Default: what the Lambda Python runtime's bundled SDK uses (`legacy`)."""
    max_attempts: Integer | None = Field(None, ge=1, le=100)
    """Total attempts per call; None keeps the mode's per-service default."""


class FunctionSdkDef(SpecModel):
    """One function's SDK settings; what it leaves out comes from the system's `sdk:`."""

    retry_mode: RetryMode | None = None
    max_attempts: Integer | None = Field(None, ge=1, le=100)

    def over(self, system: SdkDef) -> SdkDef:
        """The settings in effect: this function's, then the system's."""
        return SdkDef(
            retry_mode=self.retry_mode or system.retry_mode,
            max_attempts=self.max_attempts or system.max_attempts,
        )


class FunctionDef(SpecModel):
    """One Lambda function."""

    handler: HandlerRef
    """`package.module:function`, importable from the system's directory or the current one."""
    timeout: Duration = Field(3.0, ge=1.0, le=900.0)
    """Function timeout; AWS allows 1 s to 900 s, default 3 s."""
    timeout_overrun: Duration = Field(0.0, ge=0.0, le=5.0)
    """How long past its timeout Lambda lets a function run before ending it. AWS documents
    the timeout as the limit, so the default is 0; observed in production: ~0.68 s past a
    300 s timeout (powertools-lambda-python issue 4759). In that window the handler runs
    on with `get_remaining_time_in_millis()` at 0, and the invocation is still a timeout."""
    memory: Integer = Field(512, ge=128, le=10240)
    """Memory in MB (AWS: 128 to 10,240); duration is billed per GB-second of it."""
    cpu: Literal["x86_64", "arm64"] = "x86_64"
    """Instruction set architecture (Lambda's `Architectures`); arm64 costs less per
    GB-second. Named `cpu` so as not to mean the system's `architecture:` too."""
    reserved_concurrency: Integer | None = Field(None, ge=0)
    """Reserved concurrency: guarantees and caps the function's environments."""
    duration: DurationModel = DurationModel()
    cold_start: ColdStartModel = ColdStartModel()
    environment: dict[str, str] = {}
    sdk: FunctionSdkDef = FunctionSdkDef()
    """This function's SDK retry settings, over the system's `sdk:` (each function's
    execution environments have their own variables)."""


class ApiDef(SpecModel):
    """API Gateway REST API in front of the system."""

    function: Slug | None = None
    """Sync systems: the function the proxy integration invokes."""
    rate_limit: Rate = 10_000.0
    """Steady-state throttle (account default 10,000 requests per second)."""
    burst: Integer = Field(5_000, ge=1)
    """Token bucket size (account default 5,000)."""
    integration_timeout: Duration = Field(29.0, ge=0.05, le=29.0)
    """REST integration timeout: 50 ms to 29 s, default 29 s."""
    latency: LatencyModel = LatencyModel(base=0.005, jitter=0.005)
    """API Gateway's own time per request, before the integration is called."""


class TableDef(SpecModel):
    """A DynamoDB table, created in moto, with a capacity model on top."""

    partition_key: str = "pk"
    partition_key_type: Literal["S", "N", "B"] = "S"
    sort_key: str | None = None
    sort_key_type: Literal["S", "N", "B"] = "S"
    billing: Literal["provisioned", "on_demand"] = "on_demand"
    write_capacity: Integer = Field(5, ge=1)
    """Provisioned WCU (one write per second of up to 1 KB)."""
    read_capacity: Integer = Field(5, ge=1)
    """Provisioned RCU (one strongly consistent read a second of up to 4 KB, or two
    eventually consistent ones)."""
    burst_seconds: Duration = Field(300.0, ge=0)
    """Unused capacity kept as burst credit (AWS: up to 300 s)."""
    on_demand_write_limit: Rate = 40_000.0
    """On-demand: the most write request units a second the table may serve however its
    traffic grows (AWS's per-table quota: 40,000; a table's MaxWriteRequestUnits lowers it)."""
    on_demand_read_limit: Rate = 40_000.0
    """On-demand: the most read request units a second (AWS's per-table quota: 40,000)."""
    previous_peak_writes: Rate = 2_000.0
    """On-demand: the previous peak of write units a second. A table serves up to double its
    previous peak at once (AWS: a new table serves 4,000 writes and 12,000 reads a second,
    i.e. a previous peak of 2,000 and 6,000); a higher peak counts 30 minutes after it."""
    previous_peak_reads: Rate = 6_000.0
    """On-demand: the previous peak of read units a second (AWS, new table: 6,000)."""
    on_demand_throttle_code: ThrottleCode = "ProvisionedThroughputExceededException"
    """The error an on-demand table answers above its limit. AWS names all three for
    on-demand throttles without saying which when; botocore's legacy retry mode does not
    retry RequestLimitExceeded. Provisioned tables always answer the first."""
    latency: LatencyModel = LatencyModel()
    """Per call (AWS: single-digit milliseconds)."""


class DeadLetterDef(SpecModel):
    name: QueueName
    max_receive_count: Integer = Field(5, ge=1, le=1000)
    """Receives before the next receive moves a message here (AWS: 1 to 1,000)."""
    retention: Duration = Field(1_209_600.0, ge=60.0, le=1_209_600.0)


class QueueDef(SpecModel):
    """An SQS standard queue, modelled natively (see ARCHITECTURE.md)."""

    name: QueueName
    visibility_timeout: Duration = Field(30.0, ge=0.0, le=43_200.0)
    retention: Duration = Field(345_600.0, ge=60.0, le=1_209_600.0)
    """Message retention: 60 s to 14 d, default 4 d; expiry deletes silently."""
    delay: Duration = Field(0.0, ge=0.0, le=900.0)
    dead_letter: DeadLetterDef | None = None
    latency: LatencyModel = LatencyModel(base=0.01, jitter=0.01)
    """Per SendMessage (API Gateway's integration) and per ReceiveMessage (the pollers)."""


class ConsumerScaling(SpecModel):
    """ESM poller scaling for standard queues (AWS, since Nov 2023)."""

    initial: Integer = Field(5, ge=1)
    per_minute: Integer = Field(300, ge=1)
    """Concurrency added a minute while messages wait, also after a throttle backoff."""
    maximum: Integer = Field(1_250, ge=1)
    throttle_backoff: Fraction = Field(0.1, gt=0, le=1)
    """Share of the mapping's concurrency withdrawn each second in which its invocations were
    throttled. AWS: "Lambda gradually backs off retries by reducing the amount of concurrency
    allocated" and publishes no rate; 10% a second takes 1,250 down to 5 in about a minute."""
    throttle_floor: Integer = Field(5, ge=1)
    """Concurrency a throttle backoff keeps: the 5 concurrent batches the mapping starts with
    and scales back to when traffic is low (AWS: "scales back to 5"; it "can go as low as 2"
    only at low traffic). Reserved concurrency below it is still overpulled."""


class ConsumerDef(SpecModel):
    """The Lambda event source mapping that drains the queue."""

    function: Slug
    batch_size: Integer = Field(10, ge=1, le=10_000)
    batching_window: Duration = Field(0.0, ge=0.0, le=300.0)
    maximum_concurrency: Integer | None = Field(None, ge=2, le=1_000)
    report_batch_item_failures: bool = False
    scaling: ConsumerScaling = ConsumerScaling()

    @model_validator(mode="after")
    def _window_for_big_batches(self) -> ConsumerDef:
        if self.batch_size > 10 and self.batching_window < 1:
            raise SpecProblems(
                [
                    Problem(
                        ("batching_window",),
                        "AWS requires a batching_window of at least 1s when batch_size is above 10",
                        "set batching_window: 1s or more, or batch_size: 10 or less",
                        related=(("batch_size",),),
                    )
                ]
            )
        return self


class WebSocketDef(SpecModel):
    """API Gateway WebSocket API used to push completions to the user."""

    endpoint: str = "https://ws.execute-api.us-east-1.amazonaws.com/prod"
    idle_timeout: Duration = Field(600.0, gt=0)
    """AWS closes a connection idle for 10 minutes."""
    max_duration: Duration = Field(7_200.0, gt=0)
    """AWS closes every connection after 2 hours."""
    latency: LatencyModel = LatencyModel(base=0.01, jitter=0.01)
    """Per PostToConnection call."""


class NotificationDef(SpecModel):
    websocket: WebSocketDef | None = None


class StageDef(SpecModel):
    """A later stage of a request: a table its own items (carrying the request id) show in."""

    table: str
    request_id_attribute: str = "request_id"


class EffectsDef(SpecModel):
    """Where a request's effect shows in the final state: items carrying its id."""

    table: str
    request_id_attribute: str = "request_id"
    stages: dict[Slug, StageDef] = {}
    """Follow-up stages after the first (a hybrid's fulfilment), in order: a request is
    complete when every stage's table holds its effect."""


class AccountDef(SpecModel):
    concurrency: Integer = Field(1_000, ge=1)
    """Regional concurrency shared by all functions (AWS default 1,000)."""
    unreserved_minimum: Integer = Field(100, ge=0)
    """Concurrency that reservations may not take (AWS: 100)."""
    scale_per_10s: Integer = Field(1_000, ge=1)
    """New execution environments per function per 10 s (AWS, since Nov 2023)."""


class SystemDefinition(SpecModel):
    """A system under test: handlers plus the AWS settings around them."""

    system: Slug
    description: str = ""
    architecture: Architecture
    api: ApiDef = ApiDef()
    functions: dict[Slug, FunctionDef]
    tables: dict[TableName, TableDef]
    queue: QueueDef | None = None
    consumer: ConsumerDef | None = None
    notifications: NotificationDef = NotificationDef()
    effects: EffectsDef
    account: AccountDef = AccountDef()
    sdk: SdkDef = SdkDef()
    prices: str | None = None
    """A price table file (relative to this file) whose prices override the shipped
    table's, for this system's cost; `chaos-arena run --prices FILE` overrides both."""

    @model_validator(mode="after")
    def _consistent(self) -> SystemDefinition:
        problems = [*self._architecture_problems(), *self._aws_limit_problems()]
        if problems:
            raise SpecProblems(problems)
        return self

    def _architecture_problems(self) -> list[Problem]:
        functions = ", ".join(self.functions)
        problems = []
        if self.architecture is not Architecture.EVENT_DRIVEN:
            if self.api.function is None:
                problems.append(
                    Problem(
                        ("api", "function"),
                        f"a {self.architecture.value} system needs api.function",
                        f"the function API Gateway invokes: one of {functions}",
                        missing=True,
                    )
                )
            elif self.api.function not in self.functions:
                problems.append(
                    Problem(
                        ("api", "function"),
                        f"api.function {self.api.function!r} is not in functions",
                        f"one of {functions}",
                    )
                )
        if self.architecture is not Architecture.SYNC:
            for part in ("queue", "consumer"):
                if getattr(self, part) is None:
                    article = "an" if self.architecture is Architecture.EVENT_DRIVEN else "a"
                    problems.append(
                        Problem(
                            (part,),
                            f"{article} {self.architecture.value} system needs a {part}",
                            missing=True,
                        )
                    )
            if self.consumer is not None and self.consumer.function not in self.functions:
                problems.append(
                    Problem(
                        ("consumer", "function"),
                        f"consumer.function {self.consumer.function!r} is not in functions",
                        f"one of {functions}",
                    )
                )
        if self.effects.table not in self.tables:
            problems.append(
                Problem(
                    ("effects", "table"),
                    f"effects.table {self.effects.table!r} is not in tables",
                    f"one of {', '.join(self.tables)}",
                )
            )
        for name, stage in self.effects.stages.items():
            if stage.table not in self.tables:
                problems.append(
                    Problem(
                        ("effects", "stages", name, "table"),
                        f"stage {name!r} names table {stage.table!r}, which is not in tables",
                        f"one of {', '.join(self.tables)}",
                    )
                )
        problems.extend(self._undeclared_destinations())
        return problems

    def _undeclared_destinations(self) -> list[Problem]:
        """A function whose environment names an SQS queue the system does not model: its
        sends would reach no model, so the definition is refused where the name is written."""
        declared = self.queue_names
        problems = []
        for function_name, function in self.functions.items():
            for key, value in function.environment.items():
                queue = sqs_queue_named(value)
                if queue is None or queue in declared:
                    continue
                problems.append(
                    Problem(
                        ("functions", function_name, "environment", key),
                        f"{key} names SQS queue {queue!r}, which this system does not declare",
                        "declare it as the system's queue: "
                        + (", ".join(repr(q) for q in sorted(declared)) or "none declared"),
                    )
                )
        return problems

    @property
    def queue_names(self) -> set[str]:
        """The SQS queues the system models (its queue and that queue's DLQ)."""
        if self.queue is None:
            return set()
        names = {self.queue.name}
        if self.queue.dead_letter is not None:
            names.add(self.queue.dead_letter.name)
        return names

    def _aws_limit_problems(self) -> list[Problem]:
        problems = []
        reserved = {
            n: f.reserved_concurrency for n, f in self.functions.items() if f.reserved_concurrency
        }
        available = self.account.concurrency - self.account.unreserved_minimum
        if sum(reserved.values()) > available:
            largest = max(reserved, key=lambda name: reserved[name])
            problems.append(
                Problem(
                    ("functions", largest, "reserved_concurrency"),
                    f"reserved concurrency {sum(reserved.values())} leaves less than "
                    f"{self.account.unreserved_minimum} of the account's "
                    f"{self.account.concurrency} unreserved (AWS rejects PutFunctionConcurrency)",
                    f"reserve at most {available} in all, or raise account.concurrency",
                    related=(("account", "concurrency"),),
                )
            )
        if self.queue is not None and self.consumer is not None:
            function = self.functions.get(self.consumer.function)
            if function is not None and function.timeout > self.queue.visibility_timeout:
                timeout = format_duration(function.timeout)
                problems.append(
                    Problem(
                        ("queue", "visibility_timeout"),
                        f"the queue's visibility timeout "
                        f"{format_duration(self.queue.visibility_timeout)} is shorter than the "
                        f"timeout {timeout} of its consumer function {self.consumer.function!r} "
                        "(AWS rejects the event source mapping)",
                        f"raise it to at least {timeout} (AWS recommends 6 times the function "
                        "timeout) or lower the function's timeout",
                        related=(("functions", self.consumer.function, "timeout"),),
                    )
                )
        return problems

    @property
    def entry_function(self) -> str:
        """The function requests reach first: the API's function or the consumer."""
        if self.architecture is not Architecture.EVENT_DRIVEN:
            assert self.api.function is not None
            return self.api.function
        assert self.consumer is not None
        return self.consumer.function


_QUEUE_URL = re.compile(
    r"^https://(?:sqs\.[a-z0-9-]+\.amazonaws\.com|localhost[:0-9]*)/\d{12}/([^/]+)$"
)


def sqs_queue_named(value: str) -> str | None:
    """The queue an SQS queue URL (`https://sqs.REGION.amazonaws.com/ACCOUNT/NAME`) names;
    None for any other value."""
    match = _QUEUE_URL.match(value)
    return match.group(1) if match else None
