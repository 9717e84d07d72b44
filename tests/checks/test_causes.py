"""Why a request failed, as a finding states it: read from the request's own history."""

from __future__ import annotations

from chaos.aws.esm import INVALID_REPORT
from chaos.checks.accounting import account
from chaos.checks.causes import cause
from chaos.ledger import BatchFailed, Expired
from tests.checks.ledgers import EFFECTS_TABLE, History, Story

QUEUED_THEN_LOST = Story(
    request_id="r1",
    poison=False,
    statuses=(200,),
    effects=0,
    receives=2,
    dead_lettered=False,
    in_dlq=False,
    queued=False,
    expired=False,
)


def _cause_of(history: History) -> str:
    facts = account(history.ledger(), history.final(), effects_table=EFFECTS_TABLE).requests["r1"]
    return cause(facts, history.evidence())


def test_an_invalid_partial_batch_response_is_named() -> None:
    """A batch the ESM failed for an invalid batchItemFailures report (aws-semantics.md 4.3
    "Full failure") is explained as such, not as "no failure recorded"."""
    history = History(
        (QUEUED_THEN_LOST,),
        extra_records=(BatchFailed(5.0, "consumer", ("r1", "r2"), INVALID_REPORT),),
    )
    assert _cause_of(history) == f"{INVALID_REPORT}: the whole batch was retried"


def test_retention_expiry_is_named() -> None:
    history = History(
        (QUEUED_THEN_LOST,), extra_records=(Expired(9.0, "r1", "m-r1", "orders-queue"),)
    )
    assert _cause_of(history) == "SQS retention expiry"


def test_a_completed_request_whose_message_later_expired_is_not_counted_expired() -> None:
    """DESIGN.md section 7: expired means "SQS retention ran out: silent loss". A message
    can outlive its completed effect (the consumer never deleted it) and expire; that request
    completed, so `expired` does not count it."""
    completed = History((QUEUED_THEN_LOST,)).with_story(0, effects=1, expired=True)
    counts = account(completed.ledger(), completed.final(), effects_table=EFFECTS_TABLE).counts()
    assert counts["completed"] == 1 and counts["expired"] == 0
    lost = History((QUEUED_THEN_LOST,)).with_story(0, expired=True)
    counts = account(lost.ledger(), lost.final(), effects_table=EFFECTS_TABLE).counts()
    assert counts["lost"] == 1 and counts["expired"] == 1
