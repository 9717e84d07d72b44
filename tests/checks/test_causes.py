"""Why a request failed, as a finding states it: read from the request's own history."""

from __future__ import annotations

import copy
import pickle

from chaos._aws.esm import INVALID_REPORT
from chaos._checks.accounting import account
from chaos._checks.causes import Cause, cause
from chaos._checks.history import story
from chaos._ledger import AwsCalled, BatchFailed, InvocationEnded, Invoked
from tests.checks.ledgers import EFFECTS_TABLE, History, Story

PTEE = "ProvisionedThroughputExceededException"

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


def _cause_of(history: History) -> Cause:
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


def test_an_item_listed_in_a_rejected_report_is_explained_by_the_rejection() -> None:
    """A report with one valid and one unknown itemIdentifier fails the whole batch: the cause
    is the invalid report, not "the handler reported the item failed"."""
    history = History(
        (QUEUED_THEN_LOST,),
        extra_records=(
            Invoked(4.0, "inv", "consumer", ("r1",), False),
            InvocationEnded(5.0, "inv", "consumer", "ok", "", ("m-r1", "bogus")),
            BatchFailed(5.0, "consumer", ("r1",), INVALID_REPORT),
        ),
    )
    assert _cause_of(history) == f"{INVALID_REPORT}: the whole batch was retried"


def test_retention_expiry_is_named() -> None:
    assert _cause_of(History((QUEUED_THEN_LOST,)).with_story(0, expired=True)) == (
        "SQS retention expiry"
    )


def test_a_completed_request_is_not_explained_by_a_later_expiry() -> None:
    """Its message outlived the effect (never deleted) and expired: not why it was late."""
    history = History((QUEUED_THEN_LOST,)).with_story(0, effects=1, expired=True)
    assert "retention" not in _cause_of(history)


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


def test_a_story_collapses_back_to_back_repeats() -> None:
    """Retries read as one line with a count and the last instant, not N identical lines."""
    records = [
        AwsCalled(1.0, "inv", "r1", "dynamodb", "PutItem", "orders", PTEE, True),
        AwsCalled(1.5, "inv", "r1", "dynamodb", "PutItem", "orders", PTEE, True),
        AwsCalled(2.25, "inv", "r1", "dynamodb", "PutItem", "orders", PTEE, True),
        AwsCalled(3.0, "inv", "r1", "dynamodb", "PutItem", "orders", "ok", False),
    ]
    assert story(records) == (
        f"    1.000s  dynamodb PutItem orders: {PTEE} [injected]  (x3, the last at 2.250s)",
        "    3.000s  dynamodb PutItem orders: ok",
    )


def test_a_cause_reads_as_text_and_keeps_its_bare_phrase() -> None:
    """Findings print the whole cause; the scoreboard groups experiments by the phrase."""
    shown = Cause("Lambda throttle at its concurrency limit", "(client saw 500) during x")
    assert shown == "Lambda throttle at its concurrency limit (client saw 500) during x"
    assert shown.phrase == "Lambda throttle at its concurrency limit"
    for copied in (copy.deepcopy(shown), pickle.loads(pickle.dumps(shown))):
        assert (copied, copied.phrase, copied.detail) == (shown, shown.phrase, shown.detail)
    assert type(str(shown)) is str  # what summaries keep: json and execnet carry it
