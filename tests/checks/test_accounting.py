"""Accounting invariants, checked on random ledgers and final states (Hypothesis).

The categories follow Jepsen's total-queue checker extended as in
../shared/reference/delivery-checks-and-pytest.md section 6.1 and DESIGN.md section 7: every
acknowledged request has exactly one terminal category (completed, dead-lettered, pending,
lost); recovered = not acknowledged but completed; duplicated = effect applied more than once;
unexpected = effects nobody asked for.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from chaos._checks.accounting import Terminal, account, percentile
from tests.checks.ledgers import EFFECTS_TABLE, History, histories

PROPERTY = settings(max_examples=150, deadline=None)


@PROPERTY
@given(histories())
def test_terminal_categories_partition_the_acknowledged_requests(history: History) -> None:
    """Each acknowledged request is in exactly one terminal category, each unacknowledged one
    in none; the counts add up to `accepted`, and accepted + rejected = sent."""
    accounting = account(history.ledger(), history.final(), effects_table=EFFECTS_TABLE)
    for facts in accounting.requests.values():
        assert (facts.terminal is not None) == facts.acknowledged
    by_category = {c: {f.request_id for f in accounting.with_terminal(c)} for c in Terminal}
    members = [i for ids in by_category.values() for i in ids]
    assert len(members) == len(set(members)), "a request in two categories"
    assert set(members) == history.acknowledged
    counts = accounting.counts()
    assert sum(counts[c.value] for c in Terminal) == counts["accepted"]
    assert counts["accepted"] + counts["rejected"] == counts["sent"] == len(history.stories)


@PROPERTY
@given(histories())
def test_categories_are_jepsens_sets(history: History) -> None:
    """completed = K & T; dead-lettered = K & D - T; pending = K & P - T - D;
    lost = K - (T | D | P); recovered = T - K (K acknowledged, T in the table, D in the DLQ,
    P still queued). Source: delivery-checks-and-pytest.md 1.4, 6.1; DESIGN.md section 7."""
    accounting = account(history.ledger(), history.final(), effects_table=EFFECTS_TABLE)

    def ids(category: Terminal) -> set[str]:
        return {f.request_id for f in accounting.with_terminal(category)}

    acked, table, dlq, queued = (
        history.acknowledged,
        history.in_table,
        history.in_dlq,
        history.queued,
    )
    assert ids(Terminal.COMPLETED) == acked & table
    assert ids(Terminal.DEAD_LETTERED) == (acked & dlq) - table
    assert ids(Terminal.PENDING) == (acked & queued) - table - dlq
    assert ids(Terminal.LOST) == history.lost
    assert {f.request_id for f in accounting.requests.values() if f.recovered} == history.recovered


@PROPERTY
@given(histories())
def test_recovered_is_never_lost_and_never_acknowledged(history: History) -> None:
    """A request the client saw fail but whose effect committed (the sync 504 phantom success)
    is recovered: not acknowledged, so never lost. Source: DESIGN.md section 7."""
    accounting = account(history.ledger(), history.final(), effects_table=EFFECTS_TABLE)
    for facts in accounting.requests.values():
        if facts.recovered:
            assert not facts.acknowledged and facts.completed
            assert facts.terminal is None
    assert accounting.counts()["recovered"] == len(history.recovered)


@PROPERTY
@given(histories())
def test_duplicated_and_unexpected_count_what_the_table_holds(history: History) -> None:
    """duplicated = requests with more than one effect; unexpected = effects of ids nobody
    sent plus items without a request id; expired = requests whose message retention dropped
    before their effect was written (DESIGN.md section 7: "SQS retention ran out: silent
    loss"). Source: delivery-checks-and-pytest.md 6.1."""
    counts = account(history.ledger(), history.final(), effects_table=EFFECTS_TABLE).counts()
    assert counts["duplicated"] == sum(s.effects > 1 for s in history.stories)
    assert counts["unexpected"] == sum(n for _, n in history.strangers) + history.anonymous
    assert counts["expired"] == sum(s.expired and not s.effects for s in history.stories)
    assert counts["poison"] == sum(s.poison for s in history.stories)
    assert counts["attempts"] == sum(len(s.statuses) for s in history.stories)


@PROPERTY
@given(
    histories().filter(
        lambda h: any(
            s.acknowledged and s.effects and not s.in_dlq and not s.queued for s in h.stories
        )
    ),
    st.data(),
)
def test_removing_a_completed_item_makes_its_request_lost(
    history: History, data: st.DataObject
) -> None:
    """Take a completed request that is neither in the DLQ nor queued; delete its items from
    the final state: it becomes lost (and nothing else changes category)."""
    candidates = [
        i
        for i, s in enumerate(history.stories)
        if s.acknowledged and s.effects and not s.in_dlq and not s.queued
    ]
    index = data.draw(st.sampled_from(candidates))
    removed = history.with_story(index, effects=0)
    before = account(history.ledger(), history.final(), effects_table=EFFECTS_TABLE)
    after = account(removed.ledger(), removed.final(), effects_table=EFFECTS_TABLE)
    request_id = history.stories[index].request_id
    assert before.requests[request_id].terminal is Terminal.COMPLETED
    assert after.requests[request_id].terminal is Terminal.LOST
    changed = {
        i for i in before.requests if before.requests[i].terminal is not after.requests[i].terminal
    }
    assert changed == {request_id}


@PROPERTY
@given(st.lists(st.floats(0, 1e4, allow_nan=False), min_size=1, max_size=50), st.floats(0.01, 1.0))
def test_percentile_is_a_value_of_the_sample_and_monotone(
    values: list[float], fraction: float
) -> None:
    """Nearest-rank percentiles: an observed value; never below a lower percentile."""
    measured = percentile(values, fraction)
    assert measured in values
    assert measured >= percentile(values, fraction / 2)  # type: ignore[operator]
    assert percentile(values, 1.0) == max(values)


def test_percentile_of_nothing_is_none() -> None:
    assert percentile([], 0.5) is None


def test_a_jepsen_pathological_history() -> None:
    """Jepsen's "pathological" total-queue case, transposed: one request never acknowledged
    and never applied, one acknowledged but never applied (lost), one acknowledged and applied
    twice (duplicated), one effect from nowhere (unexpected). Source: delivery-checks-and-
    pytest.md 1.4 (checker_test.clj "pathological")."""
    from tests.checks.ledgers import Story

    def story(request_id: str, statuses: tuple[int, ...], effects: int) -> Story:
        return Story(request_id, False, statuses, effects, 0, False, False, False, False)

    history = History(
        (story("hung", (0,), 0), story("enqueued", (200,), 0), story("dup", (200,), 2)),
        strangers=(("wtf", 1),),
    )
    accounting = account(history.ledger(), history.final(), effects_table=EFFECTS_TABLE)
    counts = accounting.counts()
    assert {f.request_id for f in accounting.with_terminal(Terminal.LOST)} == {"enqueued"}
    assert (counts["duplicated"], counts["unexpected"], counts["recovered"]) == (1, 1, 0)
    assert (counts["sent"], counts["accepted"], counts["completed"]) == (3, 2, 1)
