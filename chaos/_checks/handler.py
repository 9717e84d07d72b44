"""What the handler's own code did wrong, counted per function: the cause a verdict names
when a handler fails ("the handler raised RecursionError on 60 of 60 invocations: maximum
recursion depth exceeded, at handler.py:4") instead of a vacuous "no request was accepted".

Only failures of the handler's own doing count (an exception it raised, an exit, a response
Lambda or API Gateway cannot use, spinning): injected faults and throttles are the
experiment's doing and are explained by the findings' causes.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

from chaos._checks.verdict import Finding
from chaos._ledger import InvocationEnded

if TYPE_CHECKING:
    from chaos._result import RunResult
    from chaos._sandbox import HandlerError

TRACEBACK_LINES = 12
"""Lines of the first failure's traceback a finding shows."""

_VERBS = {
    "Runtime.ExitError": "exited (Runtime.ExitError)",
    "Runtime.MarshalError": "returned a response Lambda cannot serialise (Runtime.MarshalError)",
    "MalformedProxyResponse": "returned a response API Gateway cannot use (502)",
    "Sandbox.Timedout": "timed out",
}


@dataclass(frozen=True)
class HandlerTrouble:
    """One way a function's handler failed, and how often."""

    function: str
    failure: HandlerError
    failed: int
    """Invocations that failed this way."""
    invocations: int
    """Invocations of the function that ran to an end."""
    first: str
    """The first such invocation's id."""
    named: bool = False
    """Name the function (the system has several)."""

    def sentence(self) -> str:
        failure = self.failure
        verb = _VERBS.get(failure.error_type, f"raised {failure.error_type}")
        where = f", at {failure.location}" if failure.location else ""
        message = f": {failure.message}" if failure.message else ""
        whose = f"the {self.function} handler" if self.named else "the handler"
        return (
            f"{whose} {verb} on {self.failed:,} of {self.invocations:,} invocations{message}{where}"
        )

    def finding(self) -> Finding:
        lines = self.failure.traceback.rstrip().splitlines()[-TRACEBACK_LINES:]
        return Finding(self.sentence(), details=tuple(lines))


def troubles(result: RunResult) -> list[HandlerTrouble]:
    """Each distinct handler failure of the run, most frequent first."""
    if not result.failures:
        return []
    functions: dict[str, str] = {}
    invocations: Counter[str] = Counter()
    for ended in result.ledger.of(InvocationEnded):
        functions[ended.invocation_id] = ended.function
        invocations[ended.function] += 1
    counts: Counter[tuple[str, str]] = Counter()
    first: dict[tuple[str, str], tuple[str, HandlerError]] = {}
    for invocation_id, failure in result.failures.items():
        function = functions.get(invocation_id, "")
        # Messages often carry ids or times; the first one stands for the rest.
        key = (function, f"{failure.error_type} {failure.location}")
        counts[key] += 1
        first.setdefault(key, (invocation_id, failure))
    named = len(result.system.functions) > 1
    return [
        HandlerTrouble(function, first[key][1], count, invocations[function], first[key][0], named)
        for key, count in sorted(counts.items(), key=lambda item: (-item[1], item[0]))
        for function in (key[0],)
    ]


def never_succeeded(result: RunResult, function: str) -> bool:
    """Did every invocation of `function` that ran to an end fail (as Lambda saw it, or as
    its caller did: a response API Gateway could not use)?"""
    return not any(
        e.outcome == "ok" and e.invocation_id not in result.failures
        for e in result.ledger.of(InvocationEnded)
        if e.function == function
    )
