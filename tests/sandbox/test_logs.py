"""Invocation logs: bounded, in the order invocations were opened, held only once written."""

from __future__ import annotations

from chaos._sandbox.logs import RunLogs


def test_a_silent_invocation_holds_nothing() -> None:
    """Most invocations write nothing; the run keeps no object for them (one each for a
    whole run was ~150 bytes a request)."""
    logs = RunLogs()
    for index in range(1000):
        logs.open(f"f-{index:07d}", "f")
    assert logs.texts() == {} and not logs._logs


def test_logs_come_in_the_order_they_were_opened_whoever_wrote_first() -> None:
    logs = RunLogs(per_invocation=10, per_run=100)
    first, second = logs.open("f-1", "f"), logs.open("f-2", "f")
    second.write("two ")
    first.write("one ")
    again = logs.open("f-1", "f")  # the same invocation's log once it has written
    again.write("and more than ten")
    assert again is first
    assert logs.texts() == {
        "f-1": "one and mo\n[chaos-arena: 11 more characters not kept]\n",
        "f-2": "two ",
    }


def test_an_invocation_opened_twice_before_writing_keeps_one_log() -> None:
    logs = RunLogs()
    early, late = logs.open("f-1", "f"), logs.open("f-1", "f")
    late.write("a")
    early.write("b")
    assert logs.texts() == {"f-1": "ab"}
