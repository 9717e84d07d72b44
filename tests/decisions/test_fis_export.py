"""`chaos-arena export fis`: an experiment's faults as an AWS FIS experiment template, checked
with botocore's own parameter validation of CreateExperimentTemplate (no network).

The mapping follows the FIS actions reference, Lambda actions
(https://docs.aws.amazon.com/fis/latest/userguide/fis-actions-reference.html; summarised in
../shared/reference/round2-tools-and-scores.md section 3.1)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import botocore.session
import pytest
import simpy
from botocore.validate import validate_parameters

from chaos._cli import main
from chaos._fis import fis_template, iso_duration
from chaos._ledger import Ledger
from chaos._loading import loader
from tests.aws.test_lambda_runtime import sleeper
from tests.support import add, faults, invoke, lambda_service

MIX = """\
experiment: fis-mix
duration: 10m
workload: {steady: {rate: 5/s}}
faults:
  - lambda.latency: {delay: 2s, probability: 25%, at: 1m, for: 2m}
  - lambda.error: {probability: 12.5%, at: 90s, for: 1m}
  - lambda.timeout: {probability: 10%, at: 3m, for: 30s}
  - lambda.http_status: {status: 503, at: 4m, for: 1m, prevent_execution: false}
  - lambda.throttle: {concurrency: 0, at: 5m, for: 1m}
  - dynamodb.throttle: {probability: 50%, at: 6m, for: 1m}
  - lambda.error: {ramp: {steps: 3}, at: 7m}
stop_when:
  client_success_rate: {below: 90%, over: 1m}
  dlq_depth: {above: 10}
"""


def _input_shape() -> Any:
    model = botocore.session.get_session().get_service_model("fis")
    return model.operation_model("CreateExperimentTemplate").input_shape


def _export(text: str, system: str) -> Any:
    (loaded,) = loader().text(text)
    (resolved,) = [s for s in loaded.systems if s.name == system]
    return fis_template(loaded.experiment, resolved)


@pytest.mark.parametrize("system", ["sync", "eda"])
def test_the_template_passes_botocores_validation(system: str) -> None:
    """botocore raises ParamValidationError for any missing, unknown or malformed field."""
    export = _export(MIX, system)
    validate_parameters(export.template, _input_shape())
    assert len(export.template["description"]) <= 512


def test_lambda_faults_map_one_to_one() -> None:
    actions = _export(MIX, "eda").template["actions"]
    delay = actions["fault-0-lambda-latency"]
    assert delay["actionId"] == "aws:lambda:invocation-add-delay"
    assert delay["parameters"] == {
        "duration": "PT2M",
        "invocationPercentage": "25",
        "startupDelayMilliseconds": "2000",
    }
    assert delay["startAfter"] == ["wait-0"]
    assert actions["wait-0"] == {
        "actionId": "aws:fis:wait",
        "description": "faults[0] starts at 1m",
        "parameters": {"duration": "PT1M"},
    }
    error = actions["fault-1-lambda-error"]
    assert error["actionId"] == "aws:lambda:invocation-error"
    assert error["parameters"]["preventExecution"] == "true"
    status = actions["fault-3-lambda-http_status"]["parameters"]
    assert actions["fault-3-lambda-http_status"]["actionId"] == (
        "aws:lambda:invocation-http-integration-response"
    )
    assert status == {
        "duration": "PT1M",
        "invocationPercentage": "100",
        "statusCode": "503",
        "contentTypeHeader": "application/json",
        "preventExecution": "false",
    }
    assert delay["targets"] == {"Functions": "functions-consumer"}


def test_a_timeout_is_a_delay_above_the_function_timeout() -> None:
    """AWS: "By setting a latency value higher than the timeout ... this action will also
    provide access to a high fidelity timeout event" (FIS actions reference, add-delay)."""
    export = _export(MIX, "eda")
    timeout = export.template["actions"]["fault-2-lambda-timeout"]["parameters"]
    assert timeout["startupDelayMilliseconds"] == "11000"  # the consumer's timeout is 10 s


def test_faults_without_an_fis_action_are_listed_with_the_reason() -> None:
    export = _export(MIX, "eda")
    skipped = {s.index: s.reason for s in export.skipped}
    assert set(skipped) == {4, 5, 6}
    assert "concurrency" in skipped[4]
    assert "ec2 and kinesis" in skipped[5]
    assert "ramp" in skipped[6]
    description = export.template["description"]
    assert "faults[4] lambda.throttle" in description
    assert "faults[5] dynamodb.throttle" in description
    assert any("rounded to invocationPercentage 12" in n for n in export.notes)


def test_stop_when_guards_become_alarm_stop_conditions() -> None:
    export = _export(MIX, "eda")
    conditions = export.template["stopConditions"]
    assert [c["source"] for c in conditions] == ["aws:cloudwatch:alarm"] * 2
    assert conditions[1]["value"].endswith(":alarm:<dlq-depth-alarm>")
    assert any("orders-dlq" in n and "above 10" in n for n in export.notes)
    plain = _export(MIX.split("stop_when", maxsplit=1)[0], "eda")
    assert plain.template["stopConditions"] == [{"source": "none"}]
    validate_parameters(plain.template, _input_shape())


@pytest.mark.parametrize(
    ("seconds", "iso"),
    [
        (60, "PT1M"),
        (90, "PT1M30S"),
        (3600, "PT1H"),
        (5400.0, "PT1H30M"),
        (0.25, "PT1S"),
        (45, "PT45S"),
    ],
)
def test_iso_durations(seconds: float, iso: str) -> None:
    assert iso_duration(seconds) == iso


def test_the_command_writes_the_template_and_says_what_it_left_out(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "mix.chaos.yaml"
    source.write_text(MIX)
    out = tmp_path / "template.json"
    assert main(["export", "fis", str(source), "--system", "sync", "--output", str(out)]) == 0
    template = json.loads(out.read_text())
    validate_parameters(template, _input_shape())
    err = capsys.readouterr().err
    assert "faults[4] lambda.throttle: not exported: FIS has no Lambda concurrency" in err
    assert f"wrote {out}" in err
    assert main(["export", "fis", str(source), "--system", "nope"]) == 2
    assert "has no system 'nope'; its systems: sync, eda" in capsys.readouterr().err


def test_http_status_answers_without_running_the_handler() -> None:
    """`lambda.http_status` follows FIS aws:lambda:invocation-http-integration-response: the
    invocation answers `statusCode` without running the function (preventExecution true,
    the default) or runs it and replaces its response (FIS actions reference)."""
    for prevent, ran in ((True, []), (False, [0.0])):
        env, ledger = simpy.Environment(), Ledger()
        calls: list[float] = []
        flag = str(prevent).lower()
        schedule = faults(f"[{{lambda.http_status: {{status: 503, prevent_execution: {flag}}}}}]")
        service = lambda_service(env, ledger, schedule=schedule)
        add(service, "f", sleeper(0.0, calls))
        process = invoke(env, service, "f")
        env.run()
        assert process.value.outcome == "ok"
        assert process.value.payload["statusCode"] == 503
        assert calls == ran


def test_nothing_to_export_is_an_error_with_the_reasons(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "throttle.chaos.yaml"
    source.write_text(
        MIX.split("faults:", maxsplit=1)[0] + "faults:\n  - lambda.throttle: {concurrency: 0}\n"
    )
    assert main(["export", "fis", str(source), "--system", "eda"]) == 2
    err = capsys.readouterr().err
    assert "nothing to export" in err and "FIS has no Lambda concurrency action" in err
