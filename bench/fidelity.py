"""How faithful: small experiments whose figures emerge from the models, against AWS's own.

Each row runs one experiment on a reference system and reads a figure from its ledger that
no input sets directly, then prints it beside the figure AWS publishes for the same
situation, with the relative error. A configured value (a cold start's duration, a
timeout) proves nothing and is not compared.

- ESM scale-up: a backlog of 1,500 one-message batches, each invocation running 5 minutes
  (so none ends), MaximumConcurrency 1,000. Concurrent invocations at 1, 2 and 3 minutes.
  AWS: "Lambda starts processing five batches at a time with five concurrent invocations
  ... increases the number of processes that are reading batches by up to 300 more
  instances per minute" (Lambda Developer Guide, "Configuring scaling behavior for SQS event
  source mappings", https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html;
  the 2023 change from 60 to 300 a minute: AWS Compute Blog, "Introducing faster polling
  scale-up for AWS Lambda functions configured with Amazon SQS").
- DynamoDB burst credit: AWS's own example, scaled down 50 times: "150 RCU idle for 5
  minutes gives 45,000 units of burst, which sustains 200 RCU for 15 minutes" (AWS re:Post
  Knowledge Center, dynamodb-spiky-workloads-short-intervals; DynamoDB Developer Guide,
  "Burst capacity": up to 300 s of unused capacity kept). Here 3 WCU, 4 writes a second
  from a table whose credit is full: the time until the first throttle.
- SDK backoff: every DynamoDB write throttled for a minute. The gaps between one call's
  attempts (the SDK's own sleeps, in virtual time) and the number of attempts. Standard
  mode as updated in 2026 (the default since 10 November 2026: AWS Developer Tools Blog,
  "Announcing updated retry behavior for AWS SDKs and Tools"; AWS SDKs and Tools Reference
  Guide, "Retry behavior",
  https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html; the table in
  aws/aws-sdk-cpp#3832): DynamoDB gets 4 attempts, throttling backoff
  `rand(0, 1) * min(1 s * 2 ** i, 20 s)`, so a mean of 0.5 s, 1 s, then 2 s); legacy mode
  (botocore's `_retry.json`, the SDK's published
  policy for DynamoDB: 10 attempts, 50 ms doubling without jitter, 25.55 s of sleep in all).
- Cold-start share under steady load: 10 requests a second for 5 minutes on the sync
  system. AWS: cold starts "typically occur in under 1% of invocations" in production
  (AWS Compute Blog, "Operating Lambda: Performance optimization - Part 1", as quoted by
  several secondary sources; a bound, so the error column says whether it holds).

    python bench/fidelity.py          # ~30 s of CPU
"""

from __future__ import annotations

import itertools
import sys
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from chaos import api  # noqa: E402
from chaos._ledger import AwsCalled, InvocationEnded, Invoked, Ledger  # noqa: E402


@dataclass(frozen=True)
class Row:
    figure: str
    simulated: float
    published: float
    unit: str
    bound: bool = False
    """The published figure is an upper bound, not a value."""

    def error(self) -> str:
        if self.bound:
            return "within" if self.simulated <= self.published else "ABOVE"
        if self.published == 0:
            return "-"
        return f"{(self.simulated - self.published) / self.published:+.1%}"


def _ledger(experiment: dict[str, Any], system: str) -> Ledger:
    outcome = api.run(experiment, system)
    assert outcome.result is not None, outcome.reason
    return outcome.result.ledger


def esm_scaling() -> list[Row]:
    experiment = {
        "experiment": "fidelity-esm-scaling",
        "duration": "200s",
        "systems": [
            {
                "eda": {
                    "queue": {"visibility_timeout": "16m"},
                    "consumer": {"batch_size": 1, "maximum_concurrency": 1000},
                    "account": {"concurrency": 3000},
                    "functions": {
                        "consumer": {
                            "timeout": "900s",
                            "reserved_concurrency": 1000,
                            "duration": {"base": "300s", "jitter": "0s"},
                        }
                    },
                }
            }
        ],
        "workload": {"steady": {"rate": "1500/s", "for": "1s"}},
    }
    ledger = _ledger(experiment, "eda")
    started = sorted(r.t for r in ledger.of(Invoked))
    ended = sorted(r.t for r in ledger.of(InvocationEnded))

    def concurrent(at: float) -> int:
        return sum(t <= at for t in started) - sum(t <= at for t in ended)

    first = started[0]
    rows = [
        Row(
            f"ESM concurrent invocations {m} min after the backlog",
            concurrent(first + 60 * m),
            5 + 300 * m,
            "invocations",
        )
        for m in (1, 2, 3)
        if first + 60 * m <= 200
    ]
    per_minute = (concurrent(first + 180) - concurrent(first + 60)) / 2
    rows.append(Row("ESM scale-up rate, minute 1 to 3", per_minute, 300, "per minute"))
    return rows


def burst_credit() -> list[Row]:
    experiment = {
        "experiment": "fidelity-burst-credit",
        "duration": "17m",
        "systems": [{"sync": {"tables": {"orders": {"write_capacity": 3}}}}],
        "workload": {"steady": {"rate": "4/s", "for": "16m"}},
    }
    ledger = _ledger(experiment, "sync")
    writes = [r for r in ledger.of(AwsCalled) if r.service == "dynamodb"]
    throttled = [r.t for r in writes if "Throughput" in r.outcome]
    first = throttled[0] if throttled else float("inf")
    return [Row("DynamoDB burst credit lasts (3 WCU, 4 writes/s)", first, 900.0, "s")]


@dataclass(frozen=True)
class Attempts:
    """What the SDK did for each throttled write: gaps by retry number, attempts, spans."""

    gaps: dict[int, list[float]]
    counts: list[int]
    spans: list[float]
    """First to last attempt of one call."""


def _attempts(ledger: Ledger) -> Attempts:
    calls: dict[str, list[float]] = defaultdict(list)
    for record in ledger.of(AwsCalled):
        if record.service == "dynamodb" and record.operation == "PutItem":
            calls[record.invocation_id].append(record.t)
    gaps: dict[int, list[float]] = defaultdict(list)
    for times in calls.values():
        for index, (before, after) in enumerate(itertools.pairwise(times)):
            gaps[index + 1].append(after - before)
    spans = [times[-1] - times[0] for times in calls.values()]
    return Attempts(gaps, [len(times) for times in calls.values()], spans)


def _throttled(mode: str) -> Attempts:
    experiment = {
        "experiment": f"fidelity-sdk-{mode}",
        "duration": "3m",
        "systems": [{"sync": {"sdk": {"retry_mode": mode}}}],
        "workload": {"steady": {"rate": "2/s", "for": "1m"}},
        "faults": [{"dynamodb.throttle": {"probability": "100%", "at": "0s", "for": "2m"}}],
    }
    return _attempts(_ledger(experiment, "sync"))


def _mean(values: Iterable[float]) -> float:
    values = list(values)
    return sum(values) / len(values) if values else float("nan")


def sdk_backoff() -> list[Row]:
    standard = _throttled("standard")
    gaps = standard.gaps
    legacy = _throttled("legacy")
    calls = f" ({len(standard.counts)} calls)"
    return [
        Row("SDK standard: attempts per throttled write", _mean(standard.counts), 4, "attempts"),
        Row("SDK standard: mean 1st backoff" + calls, _mean(gaps[1]), 0.5, "s"),
        Row("SDK standard: mean 2nd backoff" + calls, _mean(gaps[2]), 1.0, "s"),
        Row("SDK standard: mean 3rd backoff" + calls, _mean(gaps[3]), 2.0, "s"),
        Row("SDK standard: longest 3rd backoff", max(gaps[3], default=0.0), 4.0, "s", bound=True),
        Row("SDK legacy: attempts per throttled write", _mean(legacy.counts), 10, "attempts"),
        Row("SDK legacy: first to last attempt", _mean(legacy.spans), 25.55, "s"),
    ]


def cold_starts() -> list[Row]:
    experiment = {
        "experiment": "fidelity-cold-starts",
        "duration": "6m",
        "systems": ["sync"],
        "workload": {"steady": {"rate": "10/s", "for": "5m"}},
    }
    invoked = list(_ledger(experiment, "sync").of(Invoked))
    share = sum(r.cold for r in invoked) / len(invoked)
    return [
        Row(
            "cold starts under a steady 10 requests/s",
            share * 100,
            1.0,
            "% of invocations",
            bound=True,
        )
    ]


EXPERIMENTS: tuple[Callable[[], list[Row]], ...] = (
    esm_scaling,
    burst_credit,
    sdk_backoff,
    cold_starts,
)


def table(rows: list[Row]) -> str:
    lines = [
        "| figure | simulated | published | unit | error |",
        "|---|---|---|---|---|",
    ]
    for row in rows:
        published = f"under {row.published:g}" if row.bound else f"{row.published:g}"
        lines.append(
            f"| {row.figure} | {row.simulated:.4g} | {published} | {row.unit} | {row.error()} |"
        )
    return "\n".join(lines)


def main() -> int:
    rows = [row for experiment in EXPERIMENTS for row in experiment()]
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
