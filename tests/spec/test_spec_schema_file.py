"""The committed schema file editors point at is the one `chaos-arena schema` generates."""

from __future__ import annotations

import json
from pathlib import Path

from chaos._loading import experiment_schema

ROOT = Path(__file__).resolve().parents[2]


def test_committed_schema_is_current() -> None:
    committed = json.loads((ROOT / "chaos-experiment.schema.json").read_text())
    assert committed == experiment_schema(), (
        "regenerate it: chaos-arena schema --output chaos-experiment.schema.json"
    )


def test_every_shipped_experiment_names_the_schema() -> None:
    for path in sorted((ROOT / "experiments").glob("*.chaos.yaml")):
        first = path.read_text().splitlines()[0]
        assert first == "# yaml-language-server: $schema=../chaos-experiment.schema.json", path
