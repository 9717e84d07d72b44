"""Run summaries built by hand, so report snapshots do not move when the engine does.

Two experiments: a Lambda throttle that sync fails and eda survives (both as expected), and
a DynamoDB throttle with large counts, an unexpected eda failure, and a third system whose
handlers could not be imported (verdict error, no counts, no timeline).
"""

from __future__ import annotations

from chaos._report.data import BUCKETS, Explained, FaultSpan, RunSummary, Story, Timeline

STORY = Story(
    "r012345",
    ("   61.000s  client sent attempt 1", "   61.004s  queued in orders-queue as m-12345"),
    ("r012346", "r012347"),
)
OTHER_STORY = Story(
    "r020001",
    (
        "  120.000s  client sent attempt 1",
        "  120.010s  queued in orders-queue as m-20001",
        "  120.020s  received by the consumer (receive 1)",
        "  120.031s  dynamodb PutItem orders: ProvisionedThroughputExceededException (x4, "
        "the last at 120.431s)",
    ),
)
LAST_STORY = Story(
    "r030001",
    ("  200.000s  client sent attempt 1", "  229.000s  client gave up waiting (integration)"),
)
"""Three kinds of story: the report's default shows them all; `stories=1` only the first."""


def _timeline(
    duration: float, *, rate: float, fault: tuple[float, float], queue: bool, catch_up: float = 0.0
) -> Timeline:
    """Steady completions at `rate`/s, none during the fault; sync clients see errors then,
    eda's queue fills and drains at `catch_up`/s afterwards."""
    step = duration / BUCKETS
    per_bucket = round(rate * step)
    depth, errors, done = [], [], []
    backlog = 0
    for index in range(BUCKETS):
        start = index * step
        in_fault = fault[0] <= start < fault[1]
        if queue:
            backlog = backlog + per_bucket if in_fault else max(0, backlog - round(catch_up * step))
            drained = 0 if in_fault else per_bucket + min(backlog, round(catch_up * step))
            depth.append(backlog)
            errors.append(0)
            done.append(drained)
        else:
            depth.append(0)
            errors.append(per_bucket if in_fault else 0)
            done.append(0 if in_fault else per_bucket)
    # The clients' load: steady, with a burst of twice the rate in the first tenth.
    load = tuple(per_bucket * (3 if index < BUCKETS // 10 else 1) for index in range(BUCKETS))
    return Timeline(step, tuple(depth), tuple(errors), tuple(done), has_queue=queue, arrivals=load)


def _counts(
    sent: int,
    accepted: int,
    completed: int,
    lost: int = 0,
    pending: int = 0,
    dead_lettered: int = 0,
) -> dict[str, int]:
    return {
        "sent": sent,
        "attempts": sent,
        "accepted": accepted,
        "rejected": sent - accepted,
        "completed": completed,
        "lost": lost,
        "dead_lettered": dead_lettered,
        "pending": pending,
        "duplicated": 0,
        "reexecuted": 0,
        "expired": 0,
        "recovered": 0,
        "unexpected": 0,
        "poison": 0,
    }


def summaries() -> list[RunSummary]:
    throttle = FaultSpan("lambda.throttle", 20.0, 50.0)
    db = (
        FaultSpan("dynamodb.throttle on orders", 60.0, 180.0),
        FaultSpan("lambda.error", 240.0, 260.0),
    )
    return [
        RunSummary(
            experiment="lambda-throttle",
            path="experiments/throttle.chaos.yaml",
            line=1,
            system="sync",
            system_index=0,
            architecture="sync",
            seed=1,
            verdict="failed",
            expected="failed",
            as_expected=True,
            duration=120.0,
            reason="300 of 1,200 healthy requests failed at the client: success 75.00%, "
            "below 99.00%",
            description="Lambda refuses every invocation for half a minute.",
            counts=_counts(1200, 900, 900),
            success_rate=0.75,
            p99=0.412,
            assertions=(
                ("no_loss", "passed", "0 of 900 accepted lost"),
                ("success_rate", "failed", "client success 75.00% (min 99.00%)"),
            ),
            causes=(
                (
                    "Lambda throttle at its concurrency limit (client saw 500) during "
                    "lambda.throttle",
                    300,
                ),
            ),
            main_cause="Lambda throttle at its concurrency limit",
            windows=(throttle,),
            timeline=_timeline(120.0, rate=10, fault=(20.0, 50.0), queue=False),
            cost=0.0061,
            cost_per_completed=0.0061 / 900,
            cost_monthly=159.0,
            prices="us-east-1, 2026-06-01",
            score=93.0,
        ),
        RunSummary(
            experiment="lambda-throttle",
            path="experiments/throttle.chaos.yaml",
            line=1,
            system="eda",
            system_index=1,
            architecture="event_driven",
            seed=1,
            verdict="survived",
            expected="survived",
            as_expected=True,
            duration=120.0,
            reason="all 2 assertions held",
            description="Lambda refuses every invocation for half a minute.",
            counts=_counts(1200, 1200, 1200),
            success_rate=1.0,
            p99=31.5,
            windows=(throttle,),
            cost=0.0083,
            cost_per_completed=0.0083 / 1200,
            cost_monthly=216.0,
            prices="us-east-1, 2026-06-01",
            score=100.0,
            timeline=_timeline(120.0, rate=10, fault=(20.0, 50.0), queue=True, catch_up=40),
        ),
        RunSummary(
            experiment="db-throttle",
            path="experiments/db.chaos.yaml",
            line=3,
            system="sync",
            system_index=0,
            architecture="sync",
            seed=7,
            verdict="failed",
            expected="failed",
            as_expected=True,
            duration=300.0,
            reason="9,876 of 45,678 healthy requests "
            "failed at the client: success 78.38%, below 99.00%",
            counts=_counts(45678, 35802, 35802),
            success_rate=0.7838,
            p99=2.31,
            db_throttles=23456,
            causes=(
                (
                    "DynamoDB throttle after 4 SDK attempts "
                    "(client saw 502) during dynamodb.throttle on "
                    "orders",
                    9876,
                ),
            ),
            main_cause="DynamoDB throttle after 4 SDK attempts",
            windows=db,
            cost=0.196,
            cost_per_completed=0.196 / 35802,
            prices="us-east-1, 2026-06-01",
            score=96.9,
            timeline=_timeline(300.0, rate=150, fault=(60.0, 180.0), queue=False),
        ),
        RunSummary(
            experiment="db-throttle",
            path="experiments/db.chaos.yaml",
            line=3,
            system="eda",
            system_index=1,
            architecture="event_driven",
            seed=7,
            verdict="failed",
            expected="survived",
            as_expected=False,
            duration=300.0,
            reason="1,234 of 45,678 accepted requests lost",
            counts=_counts(45678, 45678, 43444, lost=1234, pending=1000),
            success_rate=1.0,
            p99=95.0,
            db_throttles=812,
            assertions=(
                ("no_loss", "failed", "1,234 of 45,678 accepted requests lost"),
                ("dlq", "passed", "no healthy request dead-lettered"),
            ),
            explained=(
                Explained(
                    0,
                    "1,234 of 45,678 accepted requests lost",
                    (
                        (
                            "DynamoDB throttle after 4 SDK attempts during dynamodb.throttle "
                            "on orders",
                            1234,
                        ),
                    ),
                ),
            ),
            active_faults=("dynamodb.throttle on orders",),
            stories=(STORY, OTHER_STORY, LAST_STORY),
            causes=(
                (
                    "DynamoDB throttle after 4 failed SDK attempts "
                    "during dynamodb.throttle on orders",
                    1234,
                ),
            ),
            main_cause="DynamoDB throttle after 4 failed SDK attempts",
            reproduce="chaos-arena run experiments/db.chaos.yaml --experiment db-throttle "
            "--system eda --seed 7",
            windows=db,
            timeline=_timeline(300.0, rate=150, fault=(60.0, 180.0), queue=True, catch_up=300),
            cost=0.2702,
            cost_per_completed=0.2702 / 43444,
            prices="us-east-1, 2026-06-01",
            score=98.0,
        ),
        RunSummary(
            experiment="db-throttle",
            path="experiments/db.chaos.yaml",
            line=3,
            system="my-orders",
            system_index=2,
            architecture="",
            seed=7,
            verdict="error",
            expected="survived",
            as_expected=False,
            duration=300.0,
            reason="cannot import handler 'myapp.consumer:handle' of system 'my-orders': "
            "ModuleNotFoundError: No module named 'myapp'",
            windows=db,
        ),
    ]
