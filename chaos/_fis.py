"""Export an experiment's faults as an AWS FIS experiment template (`CreateExperimentTemplate`
input), to replay against real AWS in staging what a virtual run showed.

What maps one to one (FIS actions reference, Lambda actions,
https://docs.aws.amazon.com/fis/latest/userguide/fis-actions-reference.html, and
../shared/reference/round2-tools-and-scores.md section 3.1):

- `lambda.latency` -> `aws:lambda:invocation-add-delay` (`startupDelayMilliseconds`, up to
  900,000; `invocationPercentage` from `probability`).
- `lambda.timeout` -> `aws:lambda:invocation-add-delay` with a delay above the function's
  timeout: AWS documents that such a delay "will also provide access to a high fidelity
  timeout event".
- `lambda.error` -> `aws:lambda:invocation-error` (`preventExecution` as ours).
- `lambda.http_status` -> `aws:lambda:invocation-http-integration-response` (`statusCode`,
  `contentTypeHeader`, `preventExecution`).

A fault's `at` becomes an `aws:fis:wait` action it starts after, its window the action's
`duration` (ISO 8601). FIS Lambda actions reach the functions through the FIS extension
layer; targets name functions by ARN with placeholders (`<ACCOUNT_ID>`, `<REGION>`, the
deployed function name) the user replaces. `stop_when` guards become CloudWatch alarm stop
conditions, one alarm ARN placeholder each, with what the alarm should watch. Every other
fault is listed as not exportable, with the reason (FIS has no such action).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from chaos._spec.catalog import ResolvedSystem
from chaos._spec.experiment import Experiment, FaultEntry
from chaos._spec.stop import StopWhen
from chaos._spec.units import format_duration

MAX_STARTUP_DELAY_MS = 900_000
"""FIS `startupDelayMilliseconds`: 0 to 900,000."""
DESCRIPTION_LIMIT = 512
"""`description` of CreateExperimentTemplate: at most 512 characters (the FIS API model)."""
ROLE_ARN = "arn:aws:iam::<ACCOUNT_ID>:role/<FIS_EXPERIMENT_ROLE>"
PLACEHOLDERS = {
    "<ACCOUNT_ID>": "the AWS account the experiment runs in",
    "<REGION>": "its Region",
    "<FIS_EXPERIMENT_ROLE>": "an IAM role FIS assumes (it needs the Lambda actions' and the "
    "extension's S3 permissions)",
}

NO_ACTION = {
    "lambda.throttle": "FIS has no Lambda concurrency action; cut the function's reserved "
    "concurrency (PutFunctionConcurrency, 0 throttles everything) from a runbook, e.g. "
    "aws:ssm:start-automation-execution",
    "lambda.cold_start": "no FIS action forces invocations onto new execution environments",
    "dynamodb.throttle": "FIS's API error actions (aws:fis:inject-api-*) cover only the ec2 "
    "and kinesis namespaces; its one DynamoDB action pauses global-table replication",
    "dynamodb.error": "FIS's API error actions (aws:fis:inject-api-*) cover only the ec2 and "
    "kinesis namespaces",
    "dynamodb.latency": "FIS has no DynamoDB latency action",
    "sqs.duplicate_delivery": "FIS has no SQS action",
    "sqs.send_error": "FIS has no SQS or API Gateway integration error action",
    "sqs.delay": "FIS has no SQS action",
}


@dataclass(frozen=True)
class Skipped:
    """A fault the template leaves out, and why."""

    index: int
    label: str
    reason: str

    def sentence(self) -> str:
        return f"faults[{self.index}] {self.label}: not exported: {self.reason}"


@dataclass
class FisExport:
    """The template (the CreateExperimentTemplate input) and what the user must know."""

    template: dict[str, Any]
    skipped: list[Skipped] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    """Rounded values, placeholders to replace, what each stop-condition alarm watches."""

    def lines(self) -> list[str]:
        """Everything to tell the user, one line each (stderr)."""
        return [s.sentence() for s in self.skipped] + self.notes


def fis_template(experiment: Experiment, system: ResolvedSystem) -> FisExport:
    """The FIS experiment template for `experiment`'s faults against `system`."""
    export = FisExport({})
    actions: dict[str, dict[str, Any]] = {}
    targets: dict[str, dict[str, Any]] = {}
    for index, entry in enumerate(experiment.faults):
        label = _label(entry)
        reason = _unexportable(entry, system)
        if reason is not None:
            export.skipped.append(Skipped(index, label, reason))
            continue
        action = _action(index, entry, experiment, system, export)
        if action is None:  # skipped, with its reason
            continue
        functions = _functions(entry, system)
        target = _target_name(functions)
        targets[target] = {
            "resourceType": "aws:lambda:function",
            "resourceArns": [_function_arn(name) for name in functions],
            "selectionMode": "ALL",
        }
        action["targets"] = {"Functions": target}
        name = f"fault-{index}-{entry.fault_type.replace('.', '-')}"
        if entry.params.at > 0:
            wait = f"wait-{index}"
            actions[wait] = {
                "actionId": "aws:fis:wait",
                "description": f"faults[{index}] starts at {format_duration(entry.params.at)}",
                "parameters": {"duration": iso_duration(entry.params.at, export, wait)},
            }
            action["startAfter"] = [wait]
        actions[name] = action
    export.template = {
        "clientToken": f"chaos-arena-{experiment.experiment}-{system.name}"[:1024],
        "description": _description(experiment, system, export),
        "roleArn": ROLE_ARN,
        "stopConditions": _stop_conditions(experiment.stop_when, system, export),
        "targets": targets,
        "actions": actions,
        "experimentOptions": {
            "accountTargeting": "single-account",
            "emptyTargetResolutionMode": "fail",
        },
        "tags": {
            "chaos-arena:experiment": experiment.experiment,
            "chaos-arena:system": system.name,
        },
    }
    placeholders = "; ".join(f"{key}: {about}" for key, about in PLACEHOLDERS.items())
    export.notes.append(
        f"replace the placeholders: {placeholders}; and each <...-function-name> with the "
        "deployed function's name. The functions need the FIS Lambda extension layer and its "
        "S3 configuration (https://docs.aws.amazon.com/fis/latest/userguide/use-lambda-actions.html)"
    )
    return export


def _label(entry: FaultEntry) -> str:
    target = entry.params.target
    return f"{entry.fault_type} on {target}" if target else entry.fault_type


def _unexportable(entry: FaultEntry, system: ResolvedSystem) -> str | None:
    name = entry.fault_type
    if name in NO_ACTION:
        return NO_ACTION[name]
    if name not in ACTIONS:
        return "no FIS action is known for this fault type"
    if entry.params.ramp is not None:
        return "FIS Lambda actions inject at one fixed invocationPercentage; a ramp has none"
    probability = getattr(entry.params, "probability", 1.0)
    if probability <= 0:
        return "its probability is 0: it never fires"
    if not _functions(entry, system):
        return f"system {system.name!r} has no function {entry.params.target!r}"
    return None


def _functions(entry: FaultEntry, system: ResolvedSystem) -> list[str]:
    names = list(system.definition.functions)
    target = entry.params.target
    return names if target is None else [n for n in names if n == target]


def _target_name(functions: list[str]) -> str:
    return "functions-" + "-".join(functions)


def _function_arn(name: str) -> str:
    return f"arn:aws:lambda:<REGION>:<ACCOUNT_ID>:function:<{name}-function-name>"


def _action(
    index: int,
    entry: FaultEntry,
    experiment: Experiment,
    system: ResolvedSystem,
    export: FisExport,
) -> dict[str, Any] | None:
    params = entry.params
    where = f"faults[{index}]"
    end = experiment.duration if params.duration is None else params.at + params.duration
    length = min(end, experiment.duration) - params.at
    parameters: dict[str, str] = {
        "duration": iso_duration(length, export, where),
        "invocationPercentage": _percentage(getattr(params, "probability", 1.0), export, where),
    }
    extra = ACTIONS[entry.fault_type].parameters(params, _functions(entry, system), system)
    delay = int(extra["startupDelayMilliseconds"][0]) if "startupDelayMilliseconds" in extra else 0
    if delay > MAX_STARTUP_DELAY_MS:
        reason = (
            f"a delay of {delay} ms is above FIS's maximum startupDelayMilliseconds "
            f"({MAX_STARTUP_DELAY_MS})"
        )
        export.skipped.append(Skipped(index, _label(entry), reason))
        return None
    for key, (value, note) in extra.items():
        parameters[key] = value
        if note:
            export.notes.append(f"{where} {entry.fault_type}: {note}")
    return {
        "actionId": ACTIONS[entry.fault_type].action_id,
        "description": f"{where} {_label(entry)} (chaos-arena)",
        "parameters": parameters,
    }


Parameters = dict[str, tuple[str, str]]
"""FIS parameter -> (value as FIS takes it, a note for the user or '')."""


@dataclass(frozen=True)
class ActionMap:
    """How one fault type of ours becomes one FIS action."""

    action_id: str
    kind: str

    def parameters(self, params: Any, functions: list[str], system: ResolvedSystem) -> Parameters:
        if self.kind == "delay":
            return {"startupDelayMilliseconds": (str(round(params.delay * 1000)), "")}
        if self.kind == "timeout":
            timeout = max(system.definition.functions[f].timeout for f in functions)
            delay = min(MAX_STARTUP_DELAY_MS, math.ceil(timeout * 1000) + 1000)
            return {
                "startupDelayMilliseconds": (
                    str(delay),
                    f"a {delay} ms startup delay, above the function timeout "
                    f"({format_duration(timeout)}), so invocations time out as on AWS",
                )
            }
        if self.kind == "error":
            note = (
                f"FIS chooses the error it returns; error_type {params.error_type!r} is not "
                "carried over"
                if params.error_type != "InjectedError"
                else ""
            )
            return {"preventExecution": (_bool(params.prevent_execution), note)}
        assert self.kind == "status"
        return {
            "statusCode": (str(params.status), ""),
            "contentTypeHeader": (params.content_type, ""),
            "preventExecution": (_bool(params.prevent_execution), ""),
        }


ACTIONS = {
    "lambda.latency": ActionMap("aws:lambda:invocation-add-delay", "delay"),
    "lambda.timeout": ActionMap("aws:lambda:invocation-add-delay", "timeout"),
    "lambda.error": ActionMap("aws:lambda:invocation-error", "error"),
    "lambda.http_status": ActionMap("aws:lambda:invocation-http-integration-response", "status"),
}


def _bool(value: bool) -> str:
    return "true" if value else "false"


def _percentage(probability: float, export: FisExport, where: str) -> str:
    """FIS takes a whole percentage from 1 to 100; a finer one is rounded, and said so."""
    percent = probability * 100
    whole = min(100, max(1, round(percent)))
    if abs(whole - percent) > 1e-9:
        export.notes.append(
            f"{where}: probability {percent:g}% rounded to invocationPercentage {whole}"
        )
    return str(whole)


def iso_duration(seconds: float, export: FisExport | None = None, where: str = "") -> str:
    """ISO 8601 as FIS takes it (`PT1M`, `PT1H30M`, `PT45S`), whole seconds; a fraction of
    a second is rounded up, and said so."""
    whole = math.ceil(seconds - 1e-9)
    if whole != seconds and export is not None:
        export.notes.append(
            f"{where}: {format_duration(seconds)} rounded up to {whole}s (FIS takes whole seconds)"
        )
    whole = max(1, whole)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    text = "PT"
    text += f"{hours}H" if hours else ""
    text += f"{minutes}M" if minutes else ""
    text += f"{secs}S" if secs else ""
    return text


def _stop_conditions(
    stop_when: StopWhen | None, system: ResolvedSystem, export: FisExport
) -> list[dict[str, str]]:
    """One CloudWatch alarm per guard (its ARN a placeholder), or FIS's `none`."""
    if stop_when is None or not stop_when.guards():
        return [{"source": "none"}]
    conditions = []
    for guard in stop_when.guards():
        alarm = f"<{guard.replace('_', '-')}-alarm>"
        conditions.append(
            {
                "source": "aws:cloudwatch:alarm",
                "value": f"arn:aws:cloudwatch:<REGION>:<ACCOUNT_ID>:alarm:{alarm}",
            }
        )
        export.notes.append(f"stop condition {alarm}: {_alarm_advice(guard, stop_when, system)}")
    return conditions


def _alarm_advice(guard: str, stop_when: StopWhen, system: ResolvedSystem) -> str:
    queue = system.definition.queue
    if guard == "client_success_rate":
        rate = stop_when.client_success_rate
        assert rate is not None
        return (
            "an alarm on the API's AWS/ApiGateway metrics that goes to ALARM when "
            f"1 - (5XXError + 4XXError) / Count is below {rate.below:.0%} over "
            f"{format_duration(rate.over)}"
        )
    depth = stop_when.dlq_depth if guard == "dlq_depth" else stop_when.queue_depth
    assert depth is not None
    if guard == "dlq_depth":
        name = queue.dead_letter.name if queue and queue.dead_letter else "<dead-letter-queue>"
        metric = "ApproximateNumberOfMessagesVisible"
    else:
        name = queue.name if queue else "<queue>"
        metric = "ApproximateNumberOfMessagesVisible + ApproximateNumberOfMessagesNotVisible"
    return f"an alarm on AWS/SQS {metric} of {name} that goes to ALARM above {depth.above}"


def _description(experiment: Experiment, system: ResolvedSystem, export: FisExport) -> str:
    text = f"chaos-arena experiment {experiment.experiment} against {system.name}."
    if export.skipped:
        left_out = ", ".join(f"faults[{s.index}] {s.label}" for s in export.skipped)
        text += f" Not exportable (no FIS action): {left_out}."
    if len(text) > DESCRIPTION_LIMIT:
        text = text[: DESCRIPTION_LIMIT - 3] + "..."
    return text


__all__ = ["FisExport", "Skipped", "fis_template", "iso_duration"]
