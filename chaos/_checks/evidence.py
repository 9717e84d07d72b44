"""The evidence checks judge: a run's ledger and final state, its accounting, and indexes
over them (each request's history; the fault windows, as the experiment defines them, cut
where a `stop_when` guard ended fault injection)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from functools import cached_property

from chaos._checks.accounting import Accounting, account
from chaos._faults.registry import fault_types
from chaos._faults.schedule import applies
from chaos._ledger import InitFailed, InvocationEnded, Invoked, Record, Sent
from chaos._result import RunResult
from chaos._spec.experiment import Window


@dataclass(frozen=True)
class Evidence:
    result: RunResult
    accounting: Accounting
    applicable_faults: frozenset[int] = frozenset()
    """Indexes of the experiment's faults that can act on this system at all."""

    @classmethod
    def of(cls, result: RunResult) -> Evidence:
        effects = result.system.effects
        accounting = account(
            result.ledger,
            result.final,
            effects_table=effects.table,
            stages={name: stage.table for name, stage in effects.stages.items()},
        )
        registry = fault_types()
        applicable = frozenset(
            index
            for index, entry in enumerate(result.experiment.faults)
            if applies(registry.get(entry.fault_type), entry.params, result.system)
        )
        return cls(result, accounting, applicable)

    @cached_property
    def windows(self) -> tuple[Window, ...]:
        """The experiment's fault windows, in the order findings and reports list them."""
        result = self.result
        return sorted_windows(result.experiment.fault_windows(result.faults_stopped_at))

    @cached_property
    def applicable_windows(self) -> tuple[Window, ...]:
        """The windows of the faults that can act on this system."""
        return tuple(w for w in self.windows if w.index in self.applicable_faults)

    def faults_during(self, start: float, end: float) -> list[str]:
        """The faults whose windows overlap [start, end]: what a request lived through."""
        return [w.label for w in self.applicable_windows if w.start <= end and start < w.end]

    @cached_property
    def traffic_overlapped_faults(self) -> bool:
        """Did any request or invocation happen while a fault was active?"""
        windows = self.applicable_windows
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
            if isinstance(record, InvocationEnded | InitFailed):
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


def sorted_windows(windows: tuple[Window, ...]) -> tuple[Window, ...]:
    """Windows in the order findings and reports list them: by start, label, then end."""
    return tuple(sorted(windows, key=lambda w: (w.start, w.label, w.end)))
