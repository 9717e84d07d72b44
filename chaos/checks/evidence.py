"""The evidence checks judge: a run's ledger and final state, its accounting, and indexes
over them (each request's history, the fault windows)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from functools import cached_property

from chaos.checks.accounting import Accounting, account
from chaos.faults.registry import fault_types
from chaos.faults.schedule import applies
from chaos.ledger import FaultWindow, InvocationEnded, Invoked, Record, Sent
from chaos.result import RunResult


@dataclass(frozen=True)
class Window:
    label: str
    start: float
    end: float
    fault_index: int

    def covers(self, t: float) -> bool:
        return self.start <= t < self.end


@dataclass(frozen=True)
class Evidence:
    result: RunResult
    accounting: Accounting
    reproduce: str = ""
    """The command that reruns this experiment, system and seed."""
    applicable_faults: frozenset[int] = frozenset()
    """Indexes of the experiment's faults that can act on this system at all."""

    @classmethod
    def of(cls, result: RunResult, *, reproduce: str = "") -> Evidence:
        accounting = account(result.ledger, result.final, effects_table=result.system.effects.table)
        registry = fault_types()
        applicable = frozenset(
            index
            for index, entry in enumerate(result.experiment.faults)
            if applies(registry.get(entry.fault_type), entry.params, result.system)
        )
        return cls(result, accounting, reproduce, applicable)

    @cached_property
    def windows(self) -> tuple[Window, ...]:
        starts: dict[int, tuple[str, float]] = {}
        windows: list[Window] = []
        for record in self.result.ledger.of(FaultWindow):
            label = record.fault + (f" on {record.target}" if record.target else "")
            if record.phase == "start":
                starts[record.fault_index] = (label, record.t)
            else:
                label, start = starts.pop(record.fault_index)
                windows.append(Window(label, start, record.t, record.fault_index))
        windows.extend(
            Window(label, start, self.result.simulated_seconds, index)
            for index, (label, start) in starts.items()
        )
        return tuple(sorted(windows, key=lambda w: (w.start, w.label)))

    @cached_property
    def applicable_windows(self) -> tuple[Window, ...]:
        """The windows of the faults that can act on this system."""
        return tuple(w for w in self.windows if w.fault_index in self.applicable_faults)

    def faults_at(self, t: float) -> list[str]:
        return self.faults_during(t, t)

    def faults_during(self, start: float, end: float) -> list[str]:
        """The faults whose windows overlap [start, end]: what a request lived through."""
        return [
            w.label
            for w in self.windows
            if w.start <= end and start < w.end and w.fault_index in self.applicable_faults
        ]

    @cached_property
    def traffic_overlapped_faults(self) -> bool:
        """Did any request or invocation happen while a fault was active?"""
        windows = [w for w in self.windows if w.fault_index in self.applicable_faults]
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
            owner: str | None = getattr(record, "request_id", None)
            if owner:
                index[owner].append(record)
            for other in getattr(record, "request_ids", ()):
                index[other].append(record)
        return index

    def history(self, request_id: str) -> list[Record]:
        return self._histories.get(request_id, [])
