"""The evidence checks judge: a run's ledger and final state, its accounting, and indexes
over them (each request's history, the fault windows)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from functools import cached_property

from chaos.checks.accounting import Accounting, account
from chaos.engine.result import RunResult
from chaos.ledger import FaultWindow, InvocationEnded, Invoked, Record, Sent


@dataclass(frozen=True)
class Window:
    label: str
    start: float
    end: float

    def covers(self, t: float) -> bool:
        return self.start <= t < self.end


@dataclass(frozen=True)
class Evidence:
    result: RunResult
    accounting: Accounting
    reproduce: str = ""
    """The command that reruns this experiment, system and seed."""

    @classmethod
    def of(cls, result: RunResult, *, reproduce: str = "") -> Evidence:
        accounting = account(result.ledger, result.final,
                             effects_table=result.system.effects.table)
        return cls(result, accounting, reproduce)

    @cached_property
    def windows(self) -> tuple[Window, ...]:
        starts: dict[int, tuple[str, float]] = {}
        windows = []
        for record in self.result.ledger.of(FaultWindow):
            label = record.fault + (f" on {record.target}" if record.target else "")
            if record.phase == "start":
                starts[record.index] = (label, record.t)
            else:
                label, start = starts.pop(record.index)
                windows.append(Window(label, start, record.t))
        windows.extend(Window(label, start, self.result.simulated_seconds)
                       for label, start in starts.values())
        return tuple(sorted(windows, key=lambda w: (w.start, w.label)))

    def faults_at(self, t: float) -> list[str]:
        return [w.label for w in self.windows if w.covers(t)]

    @cached_property
    def traffic_overlapped_faults(self) -> bool:
        """Did any request or invocation happen while a fault was active?"""
        windows = self.windows
        if not windows:
            return False
        for record in self.result.ledger:
            if type(record) in (Sent, Invoked) and any(w.covers(record.t) for w in windows):
                return True
        return False

    @cached_property
    def _histories(self) -> dict[str, list[Record]]:
        index: dict[str, list[Record]] = defaultdict(list)
        invocations: dict[str, tuple[str, ...]] = {}
        for record in self.result.ledger:
            if isinstance(record, Invoked):
                invocations[record.invocation_id] = record.request_ids
            if isinstance(record, InvocationEnded):
                for request_id in invocations.get(record.invocation_id, ()):
                    index[request_id].append(record)
                continue
            request_id = getattr(record, "request_id", None)
            if request_id:
                index[request_id].append(record)
            for other in getattr(record, "request_ids", ()):
                index[other].append(record)
        return index

    def history(self, request_id: str) -> list[Record]:
        return self._histories.get(request_id, [])
