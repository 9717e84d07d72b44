"""The one finding of a run not as expected: its lines, as the CLI, pytest and
`chaos.api.check` print them."""

from __future__ import annotations

from dataclasses import replace

from chaos._report.data import Note, RunSummary
from chaos._report.failure import failure_lines
from tests.report.samples import summaries


def _eda() -> RunSummary:
    return next(s for s in summaries() if s.experiment == "db-throttle" and s.system == "eda")


def test_the_reason_is_left_out_when_the_assertions_say_it() -> None:
    lines = failure_lines(_eda())
    assert lines[0] == "eda (event-driven) failed, but db-throttle expects it to survive."
    assert lines[1] == "  ✗ no_loss: 1,234 of 45,678 accepted requests lost"
    assert lines.count("  ✗ no_loss: 1,234 of 45,678 accepted requests lost") == 1


def test_a_reason_that_says_more_is_kept() -> None:
    inconclusive = replace(
        _eda(),
        verdict="inconclusive",
        reason="no traffic overlapped a fault window: nothing was tested",
        assertions=(("no_loss", "passed", "0 of 10 accepted lost"),),
        explained=(),
    )
    lines = failure_lines(inconclusive)
    assert lines[:3] == [
        "eda (event-driven) inconclusive, but db-throttle expects it to survive.",
        "  no traffic overlapped a fault window: nothing was tested",
        "  ✓ no_loss: 0 of 10 accepted lost",
    ]


def test_what_the_handler_did_comes_first_with_its_traceback() -> None:
    sentence = "the handler raised KeyError on 3 of 3 invocations: 'id', at handler.py:4"
    handled = replace(
        _eda(),
        reason=f"1,234 of 45,678 accepted requests lost; {sentence}",
        notes=(Note(sentence, ('  File "handler.py", line 4', "KeyError: 'id'")),),
    )
    lines = failure_lines(handled)
    assert lines[1:5] == [
        f"  ! {sentence}",
        '        File "handler.py", line 4',
        "      KeyError: 'id'",
        "  ✗ no_loss: 1,234 of 45,678 accepted requests lost",
    ]


def test_the_end_reproduces_and_locates() -> None:
    lines = failure_lines(_eda(), rerun="pytest 'x::y' --chaos-seed 7")
    assert lines[-3:] == [
        "  reproduce: chaos-arena run experiments/db.chaos.yaml --experiment db-throttle "
        "--system eda --seed 7",
        "  rerun:     pytest 'x::y' --chaos-seed 7",
        "  seed 7 · experiments/db.chaos.yaml:3",
    ]
    assert failure_lines(_eda(), where=False)[-1].startswith("  reproduce:")


def test_every_front_end_defaults_to_the_same_number_of_stories() -> None:
    """The CLI and the API spell the default out (they import without the report)."""
    import inspect

    from chaos._cli import build_parser
    from chaos._report.failure import DEFAULT_STORIES
    from chaos.api import UnexpectedVerdict, check

    assert build_parser().parse_args(["run", "x.chaos.yaml"]).stories == DEFAULT_STORIES
    assert inspect.signature(check).parameters["stories"].default == DEFAULT_STORIES
    init = inspect.signature(UnexpectedVerdict.__init__)
    assert init.parameters["stories"].default == DEFAULT_STORIES
