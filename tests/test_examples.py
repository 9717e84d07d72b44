"""The example user system in examples/ runs end to end, as the README's guide says.

It is not a reference system: its own system definition, a handler using the boto3 resource
API, and an idempotency key that makes client retries safe.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from chaos.api import counts, run

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "payments"


@pytest.mark.slow
def test_payments_survive_retries_without_duplicates(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(EXAMPLE)
    outcome = run(EXAMPLE / "retries.chaos.yaml", "payments")
    assert outcome.as_expected, outcome.reason
    figures = counts(outcome)
    assert figures["duplicated"] == 0
    assert figures["attempts"] > figures["sent"]  # the client did retry


@pytest.mark.slow
def test_the_reference_sync_system_duplicates_under_the_same_retries(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(EXAMPLE)
    outcome = run(EXAMPLE / "retries.chaos.yaml", "sync")
    assert outcome.as_expected
    assert counts(outcome)["duplicated"] > 0
