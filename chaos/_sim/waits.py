"""Waiting for a process body up to a deadline: the caller gives up, the body goes on.

API Gateway stops waiting for a Lambda function at the integration timeout while the
function keeps running; a client stops waiting at its own timeout while API Gateway keeps
going. Run as its own process and awaited as `process | timeout`, each such body costs four
SimPy events more than the work itself, plus a timer that sits in the event queue for the
whole timeout although the body almost always answers long before.

`within` runs the body inline instead, as `yield from` would. The body's waits are `Wait`s,
which say when they fire; only a wait that would end at or after the deadline makes the
caller stop there, and the rest of the body moves to a process of its own. The order of
events is the one `process | timeout` gives: at a tie the caller gives up first.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from functools import partial
from typing import Any

import simpy

_NEVER = float("inf")


class Wait(simpy.Timeout):
    """A timeout that knows the virtual instant it fires at."""

    def __init__(self, env: simpy.Environment, delay: float) -> None:
        super().__init__(env, delay)
        self.at = env.now + delay


def wait(env: simpy.Environment, seconds: float) -> Wait:
    """A `Wait` of `seconds`: what bodies that may run `within` a deadline yield."""
    return Wait(env, seconds)


Body = Generator[simpy.Event, Any, Any]


def within(
    env: simpy.Environment, body: Body, deadline: float
) -> Generator[simpy.Event, Any, tuple[bool, Any]]:
    """Run `body` in the calling process until it returns or `deadline` comes.

    Returns (True, what the body returned), or (False, None) at the deadline, when the
    body goes on in a process of its own (its result is then nobody's).
    """
    return (yield from _follow(env, body, deadline, partial(body.send, None)))


def _follow(
    env: simpy.Environment, body: Body, deadline: float, resume: Callable[[], simpy.Event]
) -> Generator[simpy.Event, Any, tuple[bool, Any]]:
    while True:
        try:
            event = resume()
        except StopIteration as finished:
            return True, finished.value
        if isinstance(event, Wait):
            if event.at < deadline:  # the common case: no timer, no condition
                resume = partial(body.send, (yield event))
                continue
            yield wait(env, deadline - env.now)
            env.process(_rest(env, body, event))
            return False, None
        try:
            if deadline == _NEVER:
                yield event
            else:
                yield event | wait(env, deadline - env.now)
        except Exception as failure:  # the body's event failed: the body handles it
            resume = partial(body.throw, failure)
            continue
        if not event.processed:
            env.process(_rest(env, body, event))
            return False, None
        resume = partial(body.send, event.value)


def _rest(env: simpy.Environment, body: Body, pending: simpy.Event) -> Body:
    """The rest of a body its caller stopped waiting for, as a process of its own."""
    try:
        value = yield pending
    except Exception as failure:
        resume = partial(body.throw, failure)
    else:
        resume = partial(body.send, value)
    yield from _follow(env, body, _NEVER, resume)
