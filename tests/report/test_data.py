"""Run summaries: what the reports keep of an outcome, and their trip through JSON."""

from __future__ import annotations

import dataclasses
import json

from chaos._engine.runner import Outcome
from chaos._ledger import Responded
from chaos._report.data import BUCKETS, FaultSpan, RunSummary, summarize
from chaos._report.failure import failure_lines
from chaos._spec.experiment import SystemRef


def test_summary_keeps_counts_rates_and_the_verdict(tiny_outcomes: dict[str, Outcome]) -> None:
    sync = summarize(tiny_outcomes["sync"])
    assert (sync.experiment, sync.system, sync.system_index, sync.seed) == ("tiny", "sync", 0, 1)
    assert (sync.verdict, sync.expected, sync.as_expected) == ("failed", "failed", True)
    assert sync.architecture == "sync"
    assert sync.label == "sync"
    assert sync.counts["sent"] == 50
    assert sync.success_rate == sync.counts["accepted"] / 50
    assert sync.p99 is not None and sync.p99 > 0
    assert sync.windows == (FaultSpan("lambda.throttle", 2.0, 5.0),)
    assert [name for name, _, _ in sync.assertions] == ["no_loss", "success_rate"]
    assert sync.causes[0][0].startswith("Lambda throttle at its concurrency limit")
    assert sync.reproduce.startswith("chaos-arena run experiments/tiny.chaos.yaml")
    (explained,) = sync.explained
    assert explained.index == 1  # success_rate, the second assertion
    assert explained.causes[0][0].startswith("Lambda throttle at its concurrency limit")
    assert sync.active_faults == ("lambda.throttle",)
    assert sync.stories and all(story.lines for story in sync.stories)
    eda = summarize(tiny_outcomes["eda"])
    assert eda.label == "eda (event-driven)"
    assert (eda.verdict, eda.system_index, eda.explained, eda.stories) == (
        "survived",
        1,
        (),
        (),
    )


def test_a_system_named_by_path_keeps_its_place_in_the_experiment(
    tiny_outcomes: dict[str, Outcome],
) -> None:
    eda = tiny_outcomes["eda"]
    refs = (SystemRef(ref="./payments.yaml"), SystemRef(ref="eda"))
    experiment = eda.experiment.model_copy(update={"systems": refs})
    payments = dataclasses.replace(
        eda, experiment=experiment, system="payments", system_ref="./payments.yaml"
    )
    assert summarize(payments).system_index == 0
    assert summarize(dataclasses.replace(eda, experiment=experiment)).system_index == 1


def test_timeline_buckets_add_up_to_the_counts(tiny_outcomes: dict[str, Outcome]) -> None:
    for system, outcome in tiny_outcomes.items():
        timeline = summarize(outcome).timeline
        assert timeline is not None
        assert timeline.step == 20 / BUCKETS
        assert len(timeline.completions) == len(timeline.client_errors) == BUCKETS
        counts = summarize(outcome).counts
        assert sum(timeline.completions) == counts["completed"] + counts["recovered"], system
        assert outcome.result is not None
        errors = sum(1 for r in outcome.result.ledger.of(Responded) if not 200 <= r.status < 300)
        assert sum(timeline.client_errors) == errors
        assert sum(timeline.arrivals) == counts["sent"]
    eda = summarize(tiny_outcomes["eda"]).timeline
    assert eda is not None and eda.has_queue and max(eda.queue_depth) > 0


def test_summaries_survive_json(tiny_outcomes: dict[str, Outcome]) -> None:
    for outcome in tiny_outcomes.values():
        summary = summarize(outcome)
        assert RunSummary.from_dict(json.loads(json.dumps(summary.to_dict()))) == summary


def test_a_better_reproduce_command_replaces_the_cli_one(
    tiny_outcomes: dict[str, Outcome],
) -> None:
    summary = summarize(tiny_outcomes["sync"], reproduce="pytest 'tests/test_x.py::test_y'")
    assert summary.reproduce == "pytest 'tests/test_x.py::test_y'"
    text = "\n".join(failure_lines(summary))
    assert "reproduce: pytest 'tests/test_x.py::test_y'" in text
    assert "chaos-arena run" not in text


def test_stories_are_each_request_once_grouped_by_how_they_went() -> None:
    from chaos._checks.verdict import Finding, RequestStory
    from chaos._report.data import Story, grouped_stories

    def throttled(request_id: str, at: float) -> RequestStory:
        return RequestStory(
            request_id,
            (
                f"{at:9.3f}s  client sent attempt 1",
                f"{at + 0.01:9.3f}s  client got 500 (throttled)",
            ),
        )

    timed_out = RequestStory("r9", ("   90.000s  client sent attempt 1", "  119.000s  gave up"))
    first = Finding("lost", stories=(throttled("r1", 1), throttled("r2", 2), timed_out))
    # A second assertion sampling the same requests again adds nothing but its new one.
    second = Finding("slow", stories=(throttled("r2", 2), throttled("r3", 3)))
    assert grouped_stories([first, second]) == (
        Story("r1", throttled("r1", 1).lines, ("r2", "r3")),
        Story("r9", timed_out.lines),
    )


def test_the_journal_keeps_every_story(tiny_outcomes: dict[str, Outcome]) -> None:
    from chaos._report.journal import journal

    outcome = tiny_outcomes["sync"]
    summary = summarize(outcome)
    stories = journal(outcome)["stories"]
    assert stories == [
        {"request_id": s.request_id, "lines": list(s.lines), "alike": list(s.alike)}
        for s in summary.stories
    ]
    sampled = {
        r.request_id for result in outcome.results if result.finding for r in result.finding.stories
    }
    assert {s["request_id"] for s in stories} | {
        other for s in stories for other in s["alike"]
    } == sampled
