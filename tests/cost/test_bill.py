"""A run's bill, hand-computed for tiny ledgers: every meter's arithmetic is pinned here.

Billing rules and their sources: chaos/prices/us-east-1.yaml names the pricing page of each
price; the rules each test pins are in its docstring.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from chaos._cost import price_run, usage
from chaos._cost.bill import MONTH_SECONDS
from chaos._cost.usage import billed_seconds
from chaos._errors import SpecError
from chaos._ledger import (
    Deleted,
    Enqueued,
    InvocationEnded,
    InvocationOutcome,
    Invoked,
    Ledger,
    Notified,
    Received,
    Record,
    Responded,
    Sent,
    Stage,
    Throttled,
)
from chaos._result import FinalState, RunResult
from chaos._spec.prices import Meter, default_prices, prices_from
from chaos._spec.system import SystemDefinition
from tests.support import experiment, reference

PRICES = default_prices()
STEADY = experiment("experiment: tiny\nduration: 1m\nworkload: {steady: {rate: 1/s, for: 1m}}\n")
BURSTY = experiment(
    "experiment: tiny\nduration: 1m\nworkload: {bursts: [{rate: 10/s, at: 0s, for: 1s}]}\n"
)


def result(
    records: list[Record],
    system: SystemDefinition,
    *,
    spec: object = STEADY,
    message_bytes: dict[str, int] | None = None,
    request_units: dict[str, tuple[float, float]] | None = None,
) -> RunResult:
    ledger = Ledger()
    for record in records:
        ledger.append(record)
    return RunResult(
        spec,  # type: ignore[arg-type]
        system,
        1,
        ledger,
        FinalState({}, 0, (), ()),
        60.0,
        0.0,
        message_bytes=message_bytes or {},
        request_units=request_units or {},
    )


def eda_run() -> RunResult:
    """Two requests through the event-driven system: r1 notified, r2 not; r2's message is
    70,000 bytes (two 64 KB chunks)."""
    q = "orders-queue"
    return result(
        [
            Sent(0.0, "r1", 1, False),
            Enqueued(0.02, "r1", "m1", q),
            Responded(0.02, "r1", 1, 200, Stage.OK),
            Received(0.05, "r1", "m1", 1),
            Invoked(0.06, "consumer-1", "consumer", ("r1",), True),
            Notified(0.30, "r1", "c1", "delivered"),
            InvocationEnded(0.3105, "consumer-1", "consumer", InvocationOutcome.OK, "", ()),
            Deleted(0.3105, "r1", "m1"),
            Sent(1.0, "r2", 1, False),
            Enqueued(1.02, "r2", "m2", q),
            Responded(1.02, "r2", 1, 200, Stage.OK),
            Received(1.05, "r2", "m2", 1),
            Throttled(
                1.055, "consumer", ("r2",), "ReservedFunctionConcurrentInvocationLimitExceeded"
            ),
            Invoked(1.06, "consumer-2", "consumer", ("r2",), False),
            InvocationEnded(1.1, "consumer-2", "consumer", InvocationOutcome.OK, "", ()),
            Deleted(1.1, "r2", "m2"),
        ],
        reference("eda").definition,
        message_bytes={"m1": 100, "m2": 70_000},
    )


def test_the_shipped_prices_are_the_published_ones() -> None:
    """The table's figures, as AWS publishes them for us-east-1 (the pages each names)."""
    each = {meter: PRICES.price(meter).each for meter in Meter}
    assert each[Meter.LAMBDA_REQUESTS] == pytest.approx(0.20 / 1e6)
    assert each[Meter.LAMBDA_GB_SECONDS_X86_64] == pytest.approx(0.0000166667)
    assert each[Meter.LAMBDA_GB_SECONDS_ARM64] == pytest.approx(0.0000133334)
    assert each[Meter.SQS_REQUESTS] == pytest.approx(0.40 / 1e6)
    assert each[Meter.SNS_PUBLISHES] == pytest.approx(0.50 / 1e6)
    assert each[Meter.DYNAMODB_WRITE_REQUEST_UNITS] == pytest.approx(0.625 / 1e6)
    assert each[Meter.DYNAMODB_READ_REQUEST_UNITS] == pytest.approx(0.125 / 1e6)
    assert each[Meter.DYNAMODB_WRITE_CAPACITY_UNIT_HOURS] == pytest.approx(0.00065)
    assert each[Meter.DYNAMODB_READ_CAPACITY_UNIT_HOURS] == pytest.approx(0.00013)
    assert each[Meter.APIGATEWAY_REST_REQUESTS] == pytest.approx(3.50 / 1e6)
    assert each[Meter.APIGATEWAY_WEBSOCKET_MESSAGES] == pytest.approx(1.00 / 1e6)
    assert each[Meter.APIGATEWAY_WEBSOCKET_CONNECTION_MINUTES] == pytest.approx(0.25 / 1e6)


def test_every_price_names_its_source_and_the_table_its_date() -> None:
    """One region, a stated date, each price's source an AWS pricing page; INIT billed, with
    its source (AWS Compute Blog, "AWS Lambda standardizes billing for INIT Phase": from
    2025-08-01, on-demand ZIP functions on managed runtimes are billed for INIT)."""
    assert PRICES.region == "us-east-1"
    assert PRICES.date.isoformat() == "2026-06-01"
    assert set(PRICES.prices) == set(Meter)
    for meter, price in PRICES.prices.items():
        assert price.source.startswith("https://aws.amazon.com/"), meter
        assert f"/{meter.service.replace('apigateway', 'api-gateway')}/" in price.source, meter
    assert PRICES.lambda_init_billed
    assert "standardizes-billing-for-init-phase" in PRICES.lambda_init_billed_source


def test_lambda_rounds_each_invocation_up_to_the_millisecond() -> None:
    """Lambda bills duration in 1 ms increments, rounded up (Lambda pricing page)."""
    assert billed_seconds(0.06, 0.3105) == 0.251
    assert billed_seconds(1.06, 1.1) == 0.04  # 0.04000000000000001 s is 40 ms, not 41
    assert billed_seconds(0.0, 0.0201) == 0.021


def test_an_event_driven_run_priced_by_hand() -> None:
    """Every meter of the eda system over two requests, hand-computed:

    API Gateway: 2 REST requests; 1 WebSocket message; connections from each request to its
    notification (r1: 0.30 s) or to the run's end (r2: 59 s, before the 10-minute idle close).
    Lambda: 2 invocations (the throttled attempt never ran), 0.251 s + 0.040 s at 512 MB.
    SQS: sends 1 + 2 chunks, receives 1 + 2, deletes 1 + 1: 8 requests, and 5 idle pollers x
    60 s / 20 s = 15 long polls. DynamoDB (provisioned): 100 WCU and 5 RCU for a minute.
    """
    bill = price_run(eda_run(), PRICES, completed=2)
    minutes = 0.30 / 60 + 59.0 / 60
    expected = {
        "apigateway": 2 * 3.5e-6 + 1 * 1e-6 + minutes * 0.25e-6,
        "lambda": 2 * 0.2e-6 + 0.5 * (0.251 + 0.040) * 0.0000166667,
        "sqs": (8 + 15) * 0.4e-6,
        "dynamodb": 100 / 60 * 0.00065 + 5 / 60 * 0.00013,
    }
    assert bill.by_service() == pytest.approx(expected)
    assert bill.total == pytest.approx(sum(expected.values()))
    assert bill.per_completed == pytest.approx(sum(expected.values()) / 2)
    fixed = 15 * 0.4e-6 + expected["dynamodb"]
    per_request = (bill.total - fixed) / 2
    assert bill.monthly == pytest.approx(fixed * MONTH_SECONDS / 60 + per_request * MONTH_SECONDS)


def test_a_sync_run_on_demand_and_arm64_priced_by_hand() -> None:
    """On-demand tables bill the request units served calls consumed (1 WRU per started KB
    written, 1 RRU per started 4 KB read strongly, half eventually); arm64 functions their
    GB-seconds at the arm64 rate; a sync system has no queue and no WebSocket."""
    system = reference(
        "sync",
        {
            "functions": {"api": {"cpu": "arm64", "memory": 1024}},
            "tables": {"orders": {"billing": "on_demand"}},
        },
    ).definition
    run = result(
        [
            Sent(0.0, "r1", 1, False),
            Invoked(0.01, "api-1", "api", ("r1",), True),
            InvocationEnded(0.5, "api-1", "api", InvocationOutcome.OK, "", ()),
            Responded(0.51, "r1", 1, 201, Stage.HANDLER),
        ],
        system,
        request_units={"orders": (3.0, 1.5)},
    )
    bill = price_run(run, PRICES, completed=1)
    assert bill.by_service() == pytest.approx(
        {
            "apigateway": 3.5e-6,
            "lambda": 0.2e-6 + 1.0 * 0.49 * 0.0000133334,
            "dynamodb": 3 * 0.625e-6 + 1.5 * 0.125e-6,
        }
    )
    assert all(not line.fixed for line in bill.lines)  # no capacity, no pollers


def test_an_invocation_still_running_at_the_end_is_billed_to_the_end() -> None:
    run = result(
        [Sent(0.0, "r1", 1, False), Invoked(50.0, "api-1", "api", ("r1",), False)],
        reference("sync").definition,
    )
    seconds = [u for u in usage(run) if u.meter is Meter.LAMBDA_GB_SECONDS_X86_64]
    assert seconds[0].quantity == pytest.approx(0.5 * 10.0)


def test_no_monthly_figure_unless_the_workload_is_steady() -> None:
    """The month is extrapolated from a steady rate; bursts and ramps have none."""
    run = eda_run()
    bursty = result(list(run.ledger), run.system, spec=BURSTY, message_bytes=run.message_bytes)
    assert price_run(bursty, PRICES, completed=2).monthly is None
    assert price_run(run, PRICES, completed=0).per_completed is None


def test_a_price_file_overrides_some_prices(tmp_path: Path) -> None:
    path = tmp_path / "prices.yaml"
    path.write_text(
        "date: 2026-12-01\nprices:\n  apigateway.rest_requests: {usd: 1.0, per: 1000000}\n"
    )
    table = prices_from(path)
    assert table.price(Meter.APIGATEWAY_REST_REQUESTS).each == pytest.approx(1e-6)
    assert table.price(Meter.SQS_REQUESTS) == PRICES.price(Meter.SQS_REQUESTS)
    assert table.date.isoformat() == "2026-12-01"
    assert table.region == "us-east-1"
    assert table.files[-1] == str(path)
    bill = price_run(eda_run(), table, completed=2)
    assert bill.by_service()["apigateway"] == pytest.approx(
        2 * 1e-6 + 1e-6 + (0.30 / 60 + 59.0 / 60) * 0.25e-6
    )


@pytest.mark.parametrize(
    ("text", "where", "message"),
    [
        ("prices:\n  sqs.request: {usd: 1}\n", ":2:3:", "the key sqs.request"),
        ("prices:\n  sqs.requests: {usd: -1}\n", ":2:23:", "usd must be at least 0"),
        ("prices:\n  sqs.requests: {usd: 1, per: 0}\n", ":2:31:", "per must be above 0"),
        ("lambda_init_billed: false\n", ":1:", "cannot be priced from the ledger"),
        ("- 1\n", ":", "a price table is one YAML mapping"),
    ],
)
def test_a_bad_price_file_is_a_located_error(
    tmp_path: Path, text: str, where: str, message: str
) -> None:
    path = tmp_path / "prices.yaml"
    path.write_text(text)
    with pytest.raises(SpecError) as caught:
        prices_from(path)
    rendered = caught.value.render()
    assert f"{path}{where}" in rendered or (where == ":" and str(path) in rendered)
    assert message in rendered


def test_read_request_units_follow_item_sizes() -> None:
    """DynamoDB reads: GetItem rounds the item up to 4 KB, eventually consistent reads cost
    half; Query rounds the sum of the items it read (Developer Guide,
    CapacityUnitCalculations.html)."""
    from chaos._aws.dynamodb import read_units

    small = {"pk": {"S": "a"}}
    big = {"pk": {"S": "a"}, "data": {"S": "x" * 5000}}
    assert read_units("GetItem", {}, {"Item": small}) == 0.5
    assert read_units("GetItem", {"ConsistentRead": True}, {"Item": big}) == 2.0
    assert read_units("Query", {}, {"Items": [small] * 3}) == 0.5
    assert read_units("Query", {"ConsistentRead": True}, {"Items": [big, big]}) == 3.0
