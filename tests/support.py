"""Helpers shared by the engine, AWS-model and check tests: experiments and systems built
from YAML text, runs through the real engine, and bare models on a SimPy environment."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import simpy
import yaml

from chaos._aws.lambda_runtime import Handler, LambdaService
from chaos._checks.evidence import Evidence
from chaos._checks.judge import judge
from chaos._checks.verdict import RunVerdict
from chaos._engine.world import build_schedule, run
from chaos._faults.schedule import FaultSchedule
from chaos._ledger import Ledger
from chaos._loading import experiment_model, loader
from chaos._result import RunResult
from chaos._sim import Streams
from chaos._spec.catalog import ResolvedSystem
from chaos._spec.experiment import Experiment, SystemRef
from chaos._spec.system import LAMBDA_RUNTIME_RETRY_MODE, AccountDef, FunctionDef, SystemDefinition
from chaos._spec.types import YAML_CONTEXT

HERE = Path(__file__).parent


def experiment(text: str) -> Experiment:
    """An experiment from YAML text, validated as a file would be."""
    return experiment_model().model_validate(yaml.safe_load(text), context=YAML_CONTEXT)


def reference(name: str, overrides: dict[str, Any] | None = None) -> ResolvedSystem:
    """A reference system (`sync`, `eda`) with overrides merged in, as an experiment would."""
    return loader().system(SystemRef(ref=name, overrides=overrides or {}), HERE)


def custom_system(text: str) -> ResolvedSystem:
    """A system defined in YAML text; handlers are imported from the repository root."""
    definition = SystemDefinition.model_validate(yaml.safe_load(text), context=YAML_CONTEXT)
    return ResolvedSystem(definition, HERE / "engine" / "system.yaml")


def run_yaml(text: str, system: ResolvedSystem, *, seed: int | None = None) -> RunResult:
    return run(experiment(text), system, seed=seed)


def judged(result: RunResult) -> tuple[Evidence, RunVerdict]:
    return judge(result)


def no_faults() -> FaultSchedule:
    return FaultSchedule([])


def faults(text: str) -> FaultSchedule:
    """The fault schedule of an experiment whose `faults:` is `text` (a YAML list)."""
    spec = experiment(
        f"experiment: f\nduration: 1h\nworkload: {{steady: {{rate: 1/s}}}}\nfaults: {text}\n"
    )
    return build_schedule(spec, Streams(1))


def function(**fields: Any) -> FunctionDef:
    """A function definition from Python values (seconds); no duration jitter by default."""
    values: dict[str, Any] = {
        "handler": "tests.engine.handlers:ok",
        "duration": {"base": 0.0, "jitter": 0.0},
        "cold_start": {"base": 0.0, "jitter": 0.0},
    }
    values.update(fields)
    return FunctionDef.model_validate(values)


def lambda_service(
    env: simpy.Environment, ledger: Ledger, *, schedule: FaultSchedule | None = None, **account: Any
) -> LambdaService:
    return LambdaService(
        env, ledger, schedule or no_faults(), AccountDef(**account), random.Random(1)
    )


def add(service: LambdaService, name: str, handler: Handler, **fields: Any) -> None:
    """Add a function whose every execution environment runs `handler`."""
    service.add(name, function(**fields), lambda: handler)


def invoke(
    env: simpy.Environment,
    service: LambdaService,
    name: str,
    event: Any = None,
    request_id: str = "r1",
) -> simpy.Process:
    return env.process(service.invoke(name, event if event is not None else {}, (request_id,)))


def installed_sdk_attempts(status: int, code: str, *, mode: str = LAMBDA_RUNTIME_RETRY_MODE) -> int:
    """How many attempts the installed botocore makes for a DynamoDB PutItem that keeps
    failing with `status`/`code`, in `mode` (by default the one runs use when a system pins
    none): the oracle engine tests compare the ledger with.

    Measured directly against botocore (no chaos-arena, no moto), with its backoff sleeps
    skipped, so the tests follow whatever retry policy the installed SDK has.
    """
    import json
    import os
    import time
    from io import BytesIO

    import botocore.session
    from botocore.awsrequest import AWSResponse
    from botocore.config import Config
    from botocore.exceptions import ClientError

    class Body(BytesIO):
        def stream(self, **_kwargs: Any) -> Any:
            yield self.getvalue()

    attempts = 0

    def fail(request: Any, **_kwargs: Any) -> AWSResponse:
        nonlocal attempts
        attempts += 1
        body = json.dumps(
            {"__type": f"com.amazonaws.dynamodb.v20120810#{code}", "message": "oracle"}
        ).encode()
        return AWSResponse(
            request.url,
            status,
            {"x-amzn-ErrorType": code, "Content-Type": "application/x-amz-json-1.0"},
            Body(body),
        )

    # A run clears these variables too: measure the SDK's own defaults.
    saved = {name: os.environ.pop(name, None) for name in ("AWS_RETRY_MODE", "AWS_MAX_ATTEMPTS")}
    try:
        config = Config(retries={"mode": mode})
        client = botocore.session.Session().create_client(
            "dynamodb",
            region_name="us-east-1",
            aws_access_key_id="x",
            aws_secret_access_key="x",
            config=config,
        )
    finally:
        os.environ.update({name: value for name, value in saved.items() if value is not None})
    client.meta.events.register_first("before-send.dynamodb.PutItem", fail)
    real_sleep, time.sleep = time.sleep, lambda _seconds: None
    try:
        client.put_item(TableName="t", Item={"pk": {"S": "a"}})
    except ClientError:
        pass
    finally:
        time.sleep = real_sleep
    return attempts
