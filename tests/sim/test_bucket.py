"""The token bucket behind AWS rate limits (API Gateway throttle, Lambda scaling, DynamoDB
capacity): continuous refill, capped at capacity."""

from __future__ import annotations

import pytest

from chaos._sim.bucket import TokenBucket


def test_starts_full_and_refuses_without_taking_when_short() -> None:
    bucket = TokenBucket(rate=1.0, capacity=3.0)
    assert [bucket.take(0.0) for _ in range(4)] == [True, True, True, False]
    assert not bucket.take(0.0, 0.5)
    assert bucket.level(0.0) == pytest.approx(0.0)


def test_refills_continuously_at_rate_up_to_capacity() -> None:
    bucket = TokenBucket(rate=2.0, capacity=10.0, level=0.0)
    assert bucket.level(1.5) == pytest.approx(3.0)
    assert bucket.level(100.0) == pytest.approx(10.0)


def test_a_refused_take_leaves_the_level_alone() -> None:
    bucket = TokenBucket(rate=1.0, capacity=5.0, level=2.0)
    assert not bucket.take(0.0, 3.0)
    assert bucket.take(0.0, 2.0)


def test_reshape_keeps_tokens_but_caps_them() -> None:
    bucket = TokenBucket(rate=10.0, capacity=100.0)
    bucket.reshape(0.0, rate=1.0, capacity=2.0)
    assert bucket.level(0.0) == pytest.approx(2.0)
    bucket.reshape(1.0, rate=10.0, capacity=100.0)
    assert bucket.level(1.0) == pytest.approx(2.0), "credit lost in the cut does not come back"
    assert bucket.level(2.0) == pytest.approx(12.0)
