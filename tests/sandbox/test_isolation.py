"""Each execution environment has its own process state, as on AWS where it is its own
process: environment variables (the Lambda runtime's own included), standard streams,
logging, warnings. Sources: AWS Lambda Developer Guide, "Defined runtime environment
variables" (configuration-envvars.html#configuration-envvars-runtime) and "Logging Python
Lambda functions" (output goes to CloudWatch Logs); issue 11 item 3 and its decisions.
"""

from __future__ import annotations

import os
import random
import warnings
from pathlib import Path
from typing import Any

import pytest
import simpy

from chaos._aws.lambda_runtime import LambdaService, lambda_variables
from chaos._ledger import Ledger, Responded
from chaos._sandbox import Containment
from chaos._sim import VirtualClock
from chaos._spec.system import AccountDef
from chaos._systems import HandlerModule
from tests.support import custom_system, function, invoke, no_faults


def two_functions(env: simpy.Environment, containment: Containment) -> LambdaService:
    service = LambdaService(
        env, Ledger(), no_faults(), AccountDef(), random.Random(1), containment=containment
    )
    system = custom_system("""
        system: two
        architecture: sync
        api: {function: red}
        functions:
          red: {handler: "tests.sandbox.hostile:reports_environment"}
        tables: {orders: {}}
        effects: {table: orders}
    """)
    for name, colour in (("red", "red"), ("blue", "blue")):
        definition = function(
            handler="tests.sandbox.hostile:reports_environment",
            memory=256 if name == "red" else 1024,
            environment={"COLOUR": colour},
        )
        variables = lambda_variables(name, definition, task_root="/code", region="us-east-1")
        module = HandlerModule(definition.handler, system)
        service.add(name, definition, module.new_handler, variables)
    return service


def run_both() -> tuple[dict[str, Any], dict[str, Any], Containment]:
    env = simpy.Environment()
    containment = Containment(env)
    with containment, VirtualClock(env, charge=containment.charge):
        service = two_functions(env, containment)
        red = invoke(env, service, "red", request_id="a")
        blue = invoke(env, service, "blue", request_id="b")
        env.run()
        service.close()
    return red.value.payload, blue.value.payload, containment


@pytest.fixture(autouse=True)
def region(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")  # the module makes a client


def test_each_function_sees_its_own_variables_and_the_runtimes() -> None:
    """Two functions give one variable different values; each sees the Lambda runtime's
    variables for itself (its name, memory, handler, log group)."""
    red, blue, _ = run_both()
    assert (red["COLOUR"], blue["COLOUR"]) == ("red", "blue")
    assert red["AWS_LAMBDA_FUNCTION_NAME"] == "red" and blue["AWS_LAMBDA_FUNCTION_NAME"] == "blue"
    assert (red["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"], blue["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"]) == (
        "256",
        "1024",
    )
    assert red["AWS_LAMBDA_FUNCTION_VERSION"] == "$LATEST"
    assert red["AWS_EXECUTION_ENV"].startswith("AWS_Lambda_python3.")
    assert red["_HANDLER"] == "tests.sandbox.hostile:reports_environment"
    assert red["LAMBDA_TASK_ROOT"] == "/code"
    assert red["AWS_LAMBDA_LOG_GROUP_NAME"] == "/aws/lambda/red"
    assert red["AWS_REGION"] == "us-east-1"
    assert "COLOUR" not in os.environ and "AWS_LAMBDA_FUNCTION_NAME" not in os.environ


def test_output_logging_and_warnings_go_to_the_invocation_log(
    capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    """print (both streams), logging and warnings land in each invocation's own log; none of
    it reaches our terminal, pytest's log capture, or pytest's warnings (which this suite
    turns into errors: `filterwarnings = error` must not change what a handler does)."""
    with warnings.catch_warnings(record=True) as host_warnings:
        warnings.simplefilter("error")
        _, _, containment = run_both()
    logs = containment.logs.texts()
    assert len(logs) == 2
    for text in logs.values():
        assert "to stdout" in text and "to stderr" in text
        assert "[WARNING]" in text and "a log record" in text
        assert "UserWarning: careful" in text
    out, err = capfd.readouterr()
    assert "to stdout" not in out and "to stderr" not in err
    assert "a log record" not in caplog.text
    assert host_warnings == []


def test_two_systems_with_a_handler_module_of_the_same_name_each_run_their_own(
    tmp_path: Path,
) -> None:
    """`handler.py` next to each of two system definitions: each system runs its own file,
    whichever ran first in the process (modules are found on the path, not in sys.modules)."""
    from chaos.api import run

    for name, status in (("first", 201), ("second", 202)):
        folder = tmp_path / name
        folder.mkdir()
        (folder / "handler.py").write_text(
            "import boto3, json\n"
            "_db = boto3.client('dynamodb')\n"
            "def handle(event, context):\n"
            "    rid = json.loads(event['body'])['request_id']\n"
            "    _db.put_item(TableName='orders', Item={'order_id': {'S': rid}, "
            "'request_id': {'S': rid}})\n"
            f"    return {{'statusCode': {status}, 'body': '{{}}'}}\n"
        )
        (folder / "system.yaml").write_text(
            f"system: {name}\narchitecture: sync\napi: {{function: f}}\n"
            "functions: {f: {handler: 'handler:handle'}}\n"
            "tables: {orders: {partition_key: order_id}}\neffects: {table: orders}\n"
        )
    text = "experiment: same-name\nduration: 10s\nworkload: {steady: {rate: 1/s, for: 2s}}\n"
    statuses = {}
    for name in ("first", "second"):
        outcome = run(text, str(tmp_path / name / "system.yaml"))
        assert outcome.result is not None
        statuses[name] = {r.status for r in outcome.result.ledger.of(Responded)}
    assert statuses == {"first": {201}, "second": {202}}
