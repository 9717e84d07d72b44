"""Experiments and helpers shared by the plugin tests.

The experiments are tiny (50 requests, 20 s simulated) so an inner pytest session takes
well under a second per run.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

THROTTLED = """\
experiment: throttled
duration: 20s
workload: {steady: {rate: 5/s, for: 10s}}
faults: [{lambda.throttle: {concurrency: 0, at: 2s, for: 3s}}]
assertions: [no_loss, {success_rate: 99%}]
expect: {sync: fails, eda: survives}
"""
"""sync fails (its clients see 500s during the throttle), eda survives: both as expected."""

UNEXPECTED = THROTTLED.replace("experiment: throttled", "experiment: optimistic").replace(
    "expect: {sync: fails, eda: survives}\n", ""
)
"""The same run expecting both systems to survive: sync's verdict is not as expected."""

CALM = """\
experiment: calm
duration: 10s
systems: [eda]
tags: [nightly]
workload: {steady: {rate: 2/s, for: 5s}}
assertions: [no_loss]
"""
"""No faults, one system, a tag: the cheapest run there is."""

INVALID = """\
experiment: broken
duration: 1m
workload: {steady: {rate: 5/x}}
faults: [{lambda.trottle: {at: 5s}}]
"""


def journals(directory: Path) -> dict[str, dict[str, Any]]:
    """Every JSON journal in `directory` by file name, without the wall-clock time."""
    found = {}
    for path in sorted(directory.glob("*.json")):
        document = json.loads(path.read_text())
        document.pop("wall_seconds")
        found[path.name] = document
    return found
