"""Real runs are priced from what their ledgers hold: the bill's counts are the ledger's."""

from __future__ import annotations

import json

import pytest

from chaos._cost import usage
from chaos._engine.runner import Outcome
from chaos._ledger import Enqueued, Invoked, Received, Sent
from chaos._report.data import summarize
from chaos._report.journal import journal
from chaos._spec.prices import Meter


def test_the_bill_counts_what_the_ledger_holds(tiny_outcomes: dict[str, Outcome]) -> None:
    for name, outcome in tiny_outcomes.items():
        assert outcome.result is not None and outcome.bill is not None
        ledger = outcome.result.ledger
        used: dict[Meter, float] = {}
        for use in usage(outcome.result):
            if not use.fixed:
                used[use.meter] = used.get(use.meter, 0.0) + use.quantity
        assert used[Meter.APIGATEWAY_REST_REQUESTS] == len(list(ledger.of(Sent))), name
        assert used[Meter.LAMBDA_REQUESTS] == len(list(ledger.of(Invoked))), name
        if name == "eda":
            # a send per message, then a receive and a delete per batch of up to 10
            sends, received = len(list(ledger.of(Enqueued))), len(list(ledger.of(Received)))
            assert sends + received / 5 <= used[Meter.SQS_REQUESTS] <= sends + 2 * received


def test_the_journal_carries_cost_and_score(tiny_outcomes: dict[str, Outcome]) -> None:
    eda = tiny_outcomes["eda"]
    document = json.loads(json.dumps(journal(eda)))
    cost = document["cost"]
    assert cost["total"] == pytest.approx(sum(cost["by_service"].values()))
    assert set(cost["by_service"]) == {"apigateway", "lambda", "sqs", "dynamodb"}
    assert cost["per_completed_request"] == pytest.approx(
        cost["total"] / document["counts"]["completed"]
    )
    assert cost["prices"]["date"] == "2026-06-01" and cost["prices"]["lambda_init_billed"]
    assert document["score"] == 100.0
    assert {a["weight"] for a in document["assertions"]} <= {1, 3}
    summary = summarize(eda)
    assert summary.cost == pytest.approx(cost["total"])
    assert summary.prices == "us-east-1, 2026-06-01"
    sync = summarize(tiny_outcomes["sync"])
    assert sync.score is not None and 0 < sync.score < 100  # its clients saw failures
