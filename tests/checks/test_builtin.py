"""The built-in assertions over random and hand-made histories: each passes, fails or is
inconclusive exactly when its guarantee says so. Sources: DESIGN.md section 7, issue 4
("Assertions"), ../shared/reference/delivery-checks-and-pytest.md section 6.1.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from chaos._checks.judge import evaluate
from chaos._checks.verdict import AssertionResult, Status
from chaos._ledger import AwsCalled, Notified
from chaos._spec.experiment import AssertionEntry
from tests.checks.ledgers import History, Story, histories
from tests.support import experiment

PROPERTY = settings(max_examples=100, deadline=None)


def assertion(text: str) -> AssertionEntry:
    spec = experiment(
        f"experiment: a\nduration: 1m\nworkload: {{steady: {{rate: 1/s}}}}\nassertions: [{text}]\n"
    )
    return spec.assertions[0]


def check(text: str, history: History) -> AssertionResult:
    return evaluate(assertion(text), history.evidence())


def story(
    request_id: str,
    *,
    statuses: tuple[int, ...] = (200,),
    effects: int = 1,
    poison: bool = False,
    **facts: object,
) -> Story:
    values: dict[str, object] = {
        "receives": 1,
        "dead_lettered": False,
        "in_dlq": False,
        "queued": False,
        "expired": False,
    }
    values.update(facts)
    return Story(request_id, poison, statuses, effects, **values)  # type: ignore[arg-type]


# -- no_loss --------------------------------------------------------------------------------


@PROPERTY
@given(histories())
def test_no_loss_fails_exactly_when_something_is_lost(history: History) -> None:
    """no_loss: failed iff some acknowledged request is neither completed, dead-lettered nor
    pending; inconclusive when nothing was acknowledged. Source: DESIGN.md section 7."""
    result = check("no_loss", history)
    if not history.acknowledged:
        assert result.status is Status.INCONCLUSIVE
    elif history.lost:
        assert result.status is Status.FAILED
        assert result.finding is not None
        assert result.detail.startswith(f"{len(history.lost):,} of ")
        samples = {s.request_id for s in result.finding.stories}
        assert samples <= history.lost and len(samples) == min(10, len(history.lost))
    else:
        assert result.status is Status.PASSED


@PROPERTY
@given(
    histories().filter(
        lambda h: any(
            s.acknowledged and s.effects and not s.in_dlq and not s.queued for s in h.stories
        )
    ),
    st.data(),
)
def test_removing_a_completed_item_always_fails_no_loss(
    history: History, data: st.DataObject
) -> None:
    """Delete the table items of a completed request (acknowledged, not dead-lettered, not
    queued): no_loss fails and counts it. Source: issue 4 "Done when"."""
    index = data.draw(
        st.sampled_from(
            [
                i
                for i, s in enumerate(history.stories)
                if s.acknowledged and s.effects and not s.in_dlq and not s.queued
            ]
        )
    )
    damaged = history.with_story(index, effects=0)
    result = check("no_loss", damaged)
    assert result.status is Status.FAILED
    assert result.detail.startswith(f"{len(damaged.lost):,} of ")
    assert len(damaged.lost) == len(history.lost) + 1


# -- no_duplicate_effects -------------------------------------------------------------------


@PROPERTY
@given(histories().filter(lambda h: bool(h.stories)), st.data())
def test_a_duplicate_effect_always_fails_no_duplicate_effects(
    history: History, data: st.DataObject
) -> None:
    """Apply any sent request's effect once more: no_duplicate_effects fails.
    Source: issue 4 "Done when" ("injecting a duplicate effect always fails
    no_duplicate_effects")."""
    index = data.draw(st.integers(0, len(history.stories) - 1))
    chosen = history.stories[index]
    duplicated = history.with_story(index, effects=max(2, chosen.effects + 1))
    result = check("no_duplicate_effects", duplicated)
    assert result.status is Status.FAILED
    assert result.finding is not None
    assert (
        chosen.request_id in {s.request_id for s in result.finding.stories}
        or len([s for s in duplicated.stories if s.effects > 1]) > 10
    )


@PROPERTY
@given(histories())
def test_no_duplicate_effects_passes_only_on_single_known_effects(history: History) -> None:
    """Passed iff every effect belongs to a sent request, at most once each, and something
    completed; an effect nobody asked for fails too; nothing completed is inconclusive."""
    result = check("no_duplicate_effects", history)
    bad = any(s.effects > 1 for s in history.stories) or history.strangers or history.anonymous
    if bad:
        assert result.status is Status.FAILED
    elif not history.in_table:
        assert result.status is Status.INCONCLUSIVE
    else:
        assert result.status is Status.PASSED


# -- success_rate -----------------------------------------------------------------------------


@PROPERTY
@given(histories(), st.sampled_from(["50%", "90%", "100%"]))
def test_success_rate_is_acknowledged_healthy_over_healthy(history: History, bound: str) -> None:
    """The client-visible success rate counts healthy requests whose client got a 2xx, any
    attempt. Source: issue 4 "success_rate {min} (client-visible)"."""
    result = check(f"{{success_rate: {bound}}}", history)
    healthy = [s for s in history.stories if not s.poison]
    if not healthy:
        assert result.status is Status.INCONCLUSIVE
        return
    rate = sum(s.acknowledged for s in healthy) / len(healthy)
    wanted = float(bound.rstrip("%")) / 100
    assert result.status is (Status.PASSED if rate + 1e-12 >= wanted else Status.FAILED)


def test_a_504_phantom_success_counts_against_the_success_rate() -> None:
    """A 504 whose write committed is recovered, not lost, but the client saw a failure.
    Source: DESIGN.md section 7 ("counts against client success")."""
    history = History((story("ok"), story("phantom", statuses=(504,))))
    assert check("no_loss", history).status is Status.PASSED
    result = check("{success_rate: 100%}", history)
    assert result.status is Status.FAILED
    assert "1 of 2 healthy requests failed" in result.detail


# -- dlq ------------------------------------------------------------------------------------


def test_dlq_only_poison_fails_when_a_healthy_request_was_dead_lettered() -> None:
    """`dlq: only_poison` catches healthy messages in the DLQ (overpull, short retention).
    Source: issue 4 "dlq with only_poison"; aws-semantics.md 4.3 "Overpull"."""
    history = History(
        (
            story("healthy", effects=0, dead_lettered=True, in_dlq=True),
            story("bad", effects=0, poison=True, dead_lettered=True, in_dlq=True),
        )
    )
    result = check("{dlq: only_poison}", history)
    assert result.status is Status.FAILED
    assert result.finding is not None
    assert [s.request_id for s in result.finding.stories] == ["healthy"]


def test_dlq_all_poison_fails_when_a_poison_request_never_got_there() -> None:
    """`dlq: all_poison`: every accepted poison request ends in the DLQ; one still queued at
    the end leaves the question open. Source: issue 4 "all_poison and exact"."""
    missing = History((story("bad", effects=0, poison=True),))
    assert check("{dlq: all_poison}", missing).status is Status.FAILED
    waiting = History((story("bad", effects=0, poison=True, queued=True),))
    assert check("{dlq: all_poison}", waiting).status is Status.INCONCLUSIVE
    there = History((story("bad", effects=0, poison=True, dead_lettered=True, in_dlq=True),))
    assert check("{dlq: exact}", there).status is Status.PASSED


def test_dlq_is_skipped_without_a_dead_letter_queue() -> None:
    """A system without a DLQ cannot break a DLQ rule: skipped, not passed."""
    history = History((story("a"),))
    evidence = history.evidence()
    sync = evidence.result.system.model_copy(update={"queue": None})
    evidence = type(evidence)(
        type(evidence.result)(
            evidence.result.experiment,
            sync,
            1,
            evidence.result.ledger,
            evidence.result.final,
            3600.0,
            0.0,
        ),
        evidence.accounting,
    )
    assert evaluate(assertion("{dlq: only_poison}"), evidence).status is Status.SKIPPED


# -- eventual_completion, latency, notified, db_protected -------------------------------------


def test_eventual_completion_counts_from_acceptance() -> None:
    """Every accepted healthy request completed within the bound after its acceptance; one
    still pending whose deadline lies past the end of the run is undecided (inconclusive).
    Source: issue 4 "eventual_completion {within}"."""
    done = History((story("a"),))  # accepted at 0.5 s, received at 1.5 s, effect at 1.6 s
    assert check("{eventual_completion: {within: 2s}}", done).status is Status.PASSED
    assert check("{eventual_completion: {within: 1s}}", done).status is Status.FAILED
    pending = History((story("a"), story("b", effects=0, queued=True)))
    assert check("{eventual_completion: {within: 2h}}", pending).status is Status.INCONCLUSIVE
    assert check("{eventual_completion: {within: 1m}}", pending).status is Status.FAILED


def test_latency_bounds_percentiles_of_completion() -> None:
    """`latency` compares nearest-rank percentiles with their bounds. Source: issue 4
    "latency {p50, p95, p99 max}"."""
    history = History(tuple(story(f"r{i}") for i in range(5)))  # each completes in 1.6 s
    assert check("{latency: {p99: 2s, max: 2s}}", history).status is Status.PASSED
    assert check("{latency: {p50: 10ms}}", history).status is Status.FAILED


def test_notified_counts_gone_connections_as_missed() -> None:
    """`notified`: every completed event-driven request reached its user; a 410 GoneException
    is a miss and the finding says how many connections had closed. Source: issue 4
    "notified", aws-semantics.md 7."""
    history = History(
        (story("a"), story("b")),
        extra_records=(Notified(5.0, "a", "c1", "delivered"), Notified(5.0, "b", "c2", "gone")),
    )
    result = check("notified", history)
    assert result.status is Status.FAILED
    assert "1 connections had closed" in result.detail
    assert check("{notified: {min: 50%}}", history).status is Status.PASSED


def test_db_protected_counts_throttles_the_handlers_saw() -> None:
    """`db_protected {max_throttles}`: the database throttled at most N calls.
    Source: issue 4 "db_protected"; aws-semantics.md 5.4 (throttling error codes)."""
    throttle = AwsCalled(
        1.0,
        "i",
        "a",
        "dynamodb",
        "PutItem",
        "orders",
        "ProvisionedThroughputExceededException",
        True,
    )
    history = History((story("a"),), extra_records=(throttle, throttle))
    assert check("{db_protected: 2}", history).status is Status.PASSED
    assert check("{db_protected: 1}", history).status is Status.FAILED
    assert check("db_protected", History(())).status is Status.INCONCLUSIVE
