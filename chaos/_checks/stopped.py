"""How a report names a tripped `stop_when` guard, in one sentence."""

from __future__ import annotations

from chaos._ledger import StopTripped
from chaos._spec.units import format_duration


def stop_sentence(tripped: StopTripped | None) -> str:
    """`stop_when dlq_depth tripped at 4m12s: ...; fault injection ended there` ('' for none)."""
    if tripped is None:
        return ""
    return (
        f"stop_when {tripped.condition} tripped at {format_duration(tripped.t)}: "
        f"{tripped.detail}; fault injection ended there"
    )
