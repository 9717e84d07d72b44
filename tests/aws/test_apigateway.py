"""API Gateway REST API: its throttle, the Lambda proxy integration's status mapping, and the
SQS service integration. Each test names the AWS behaviour it pins; sources are in
../shared/reference/aws-semantics.md section 2 and the AWS pages cited there.
"""

from __future__ import annotations

import json
import random
from typing import Any

import pytest
import simpy

from chaos._aws.apigateway import ApiResponse, RestApi
from chaos._aws.lambda_runtime import LambdaService
from chaos._aws.sqs import Queue
from chaos._ledger import InvocationEnded, Invoked, Ledger
from chaos._sim import virtual_sleep
from chaos._spec.system import ApiDef
from tests.support import add, faults, lambda_service, no_faults

INSTANT = {"base": 0.0, "jitter": 0.0}


def api(env: simpy.Environment, **fields: Any) -> RestApi:
    definition = ApiDef.model_validate({"function": "f", "latency": INSTANT, **fields})
    return RestApi(env, definition, no_faults(), random.Random(1))


def call(
    env: simpy.Environment, gateway: RestApi, lambdas: LambdaService, request_id: str = "r1"
) -> simpy.Process:
    return env.process(gateway.proxy_to_lambda(lambdas, "f", {"body": "{}"}, request_id))


def one_call(handler: Any, **function: Any) -> tuple[ApiResponse, Ledger, float]:
    """The response to one request through the proxy integration, the ledger, and when the
    client got its answer."""
    env, ledger = simpy.Environment(), Ledger()
    lambdas = lambda_service(env, ledger)
    add(lambdas, "f", handler, **function)
    answered: list[float] = []

    def client() -> Any:
        response = yield call(env, api(env), lambdas)
        answered.append(env.now)
        return response

    process = env.process(client())
    env.run()
    return process.value, ledger, answered[0]


def returns(value: Any) -> Any:
    return lambda event, context: value


def raises(event: Any, context: Any) -> None:
    raise RuntimeError("boom")


# -- the proxy integration's status codes (aws-semantics.md 2.3) --------------------------------


def test_a_proxy_response_passes_through() -> None:
    """A well-formed proxy response ({statusCode, body}) is what the client gets.
    Source: aws-semantics.md 2.3, [DOC] services-apigateway-errors."""
    response, _, _ = one_call(returns({"statusCode": 201, "body": '{"ok": true}'}))
    assert (response.status, response.body, response.stage) == (201, '{"ok": true}', "handler")


def test_a_proxy_response_without_a_body_has_an_empty_body() -> None:
    """statusCode alone is a valid proxy response. Source: aws-semantics.md 2.3,
    [KC] malformed-502-api-gateway (headers, body and isBase64Encoded are optional)."""
    response, _, _ = one_call(returns({"statusCode": 204}))
    assert (response.status, response.body) == (204, "")


def test_a_handled_error_status_passes_through() -> None:
    """A function that catches its error and returns {statusCode: 4xx/5xx} gets that status
    passed through. Source: aws-semantics.md 2.3 "A function that catches its error ..."."""
    response, _, _ = one_call(returns({"statusCode": 503, "body": "busy"}))
    assert (response.status, response.stage) == (503, "handler")


def test_a_lambda_throttle_is_a_500() -> None:
    """When Lambda rejects the invoke (429 throttle) the REST API answers 500 Internal server
    error, not 429. Source: aws-semantics.md 2.3 first row, [DOC] services-apigateway-errors,
    [rePost] "API Gateway proxy integration does not forward Lambda throttling (HTTP 429)"."""
    response, ledger, _ = one_call(returns({"statusCode": 200}), reserved_concurrency=0)
    assert (response.status, response.stage) == (500, "lambda_throttle")
    assert json.loads(response.body) == {"message": "Internal server error"}
    assert list(ledger.of(Invoked)) == []


def test_a_function_error_is_a_502() -> None:
    """A function that ran and failed gives 502. Source: aws-semantics.md 2.3 second row,
    [DOC] services-apigateway-errors."""
    response, _, _ = one_call(raises)
    assert (response.status, response.stage) == (502, "function_error")
    assert json.loads(response.body) == {"message": "Internal server error"}


@pytest.mark.parametrize(
    "payload",
    [
        "not a proxy response",
        None,
        {"body": "no status"},
        {"statusCode": 99},
        {"statusCode": 600},
        {"statusCode": 200, "body": {"ok": True}},
    ],
    ids=["string", "none", "no-status", "status-99", "status-600", "object-body"],
)
def test_a_malformed_proxy_response_is_a_502(payload: Any) -> None:
    """A response that is not a proxy response object with an integer statusCode and a string
    body gives 502 ("Malformed Lambda proxy response"). Source: aws-semantics.md 2.3 second
    row, [KC] malformed-502-api-gateway ("the body field ... must be converted to a string")."""
    response, _, _ = one_call(returns(payload))
    assert (response.status, response.stage) == (502, "function_error")


def test_a_function_timeout_under_29_seconds_is_a_502() -> None:
    """A function timeout shorter than the integration timeout is a function error: 502.
    Source: aws-semantics.md 2.3 second row ("includes a function timeout < 29 s")."""
    response, ledger, answered = one_call(returns_after(60.0), timeout=10.0)
    assert (response.status, response.stage) == (502, "function_error")
    assert answered == pytest.approx(10.0)
    assert [e.outcome for e in ledger.of(InvocationEnded)] == ["timeout"]


def returns_after(seconds: float, writes: list[float] | None = None) -> Any:
    def handler(event: Any, context: Any) -> dict[str, Any]:
        virtual_sleep(seconds)
        if writes is not None:
            writes.append(seconds)
        return {"statusCode": 200, "body": "{}"}

    return handler


def test_the_integration_timeout_is_a_504_while_the_function_keeps_running() -> None:
    """The REST API gives up after 29 s with 504 "Endpoint request timed out"; the Lambda keeps
    running to its own timeout and its write still commits (a phantom success).
    Source: aws-semantics.md 2.2 "Timeouts do not stop the function", 2.3 third row,
    [KC] api-gateway-504-errors."""
    writes: list[float] = []
    response, ledger, answered = one_call(returns_after(29.5, writes), timeout=30.0)
    assert (response.status, response.stage) == (504, "integration_timeout")
    assert json.loads(response.body) == {"message": "Endpoint request timed out"}
    assert answered == pytest.approx(29.0)
    assert writes == [29.5], "the write after the 504 still happened"
    (ended,) = ledger.of(InvocationEnded)
    assert (ended.outcome, ended.t) == ("ok", pytest.approx(29.5))


def test_api_gateway_never_retries_a_failed_invocation() -> None:
    """API Gateway does not retry Lambda invocations; it relays the error.
    Source: aws-semantics.md 2.3 "API Gateway does not retry Lambda invocations",
    1.2 "Synchronous"."""
    _, ledger, _ = one_call(raises)
    assert len(list(ledger.of(Invoked))) == 1


# -- API Gateway's own throttle (aws-semantics.md 2.1) ------------------------------------------


def test_its_own_throttle_is_a_token_bucket_answering_429() -> None:
    """API Gateway throttles with a token bucket (rate plus burst) and answers 429 Too Many
    Requests, without calling the integration. Source: aws-semantics.md 2.1, [DOC] API Gateway
    quotas, http-api-throttling."""
    env, ledger = simpy.Environment(), Ledger()
    lambdas = lambda_service(env, ledger)
    add(lambdas, "f", returns({"statusCode": 200}))
    gateway = api(env, rate_limit=2.0, burst=3)
    first = [call(env, gateway, lambdas, f"a{i}") for i in range(4)]
    env.run(until=1.0)
    later = [call(env, gateway, lambdas, f"b{i}") for i in range(3)]
    env.run()
    assert [p.value.status for p in first] == [200, 200, 200, 429]
    assert first[3].value.stage == "api_throttle"
    assert [p.value.status for p in later] == [200, 200, 429], "refilled at 2 per second"
    assert len(list(ledger.of(Invoked))) == 5


# -- the SQS service integration (aws-semantics.md 2.4) -----------------------------------------


def test_the_sqs_integration_answers_200_once_the_message_is_queued() -> None:
    """API Gateway -> SQS SendMessage answers 200 once the message is in the queue; nothing
    waits for the consumer. Source: aws-semantics.md 2.4, [DOC]
    http-api-develop-integrations-aws-services."""
    env, ledger = simpy.Environment(), Ledger()
    queue = Queue(env, ledger, "q", visibility_timeout=30.0, retention=3600.0, horizon=3600.0)
    gateway = api(env)
    process = env.process(gateway.send_to_queue(queue, "r1", '{"request_id": "r1"}'))
    env.run(until=1.0)
    response = process.value
    assert (response.status, response.stage) == (200, "ok")
    (message_id,) = queue.live
    assert json.loads(response.body) == {"MessageId": message_id}


def test_a_failed_enqueue_is_an_error_and_queues_nothing() -> None:
    """When SendMessage fails in the integration the client gets an error (500 here) and no
    message exists. Source: aws-semantics.md 2.4 (REST AWS integration; error mapping is
    configurable)."""
    env, ledger = simpy.Environment(), Ledger()
    queue = Queue(env, ledger, "q", visibility_timeout=30.0, retention=3600.0, horizon=3600.0)
    definition = ApiDef.model_validate({"latency": INSTANT})
    gateway = RestApi(
        env, definition, faults("[{sqs.send_error: {probability: 100%}}]"), random.Random(1)
    )
    process = env.process(gateway.send_to_queue(queue, "r1", "{}"))
    env.run(until=1.0)
    assert (process.value.status, process.value.stage) == (500, "enqueue_error")
    assert queue.live == {}
