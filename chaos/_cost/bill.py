"""A run's bill: its usage priced with a price table, totals per service, per completed
request, and a month at the experiment's steady rate."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chaos._cost.usage import Use, first_sends, usage
from chaos._result import RunResult
from chaos._spec.prices import Meter, PriceTable

MONTH_SECONDS = 730 * 3600
"""AWS pricing examples count a month as 730 hours."""


@dataclass(frozen=True)
class Line:
    """One priced quantity."""

    meter: Meter
    resource: str
    quantity: float
    usd: float
    fixed: bool

    @property
    def service(self) -> str:
        return self.meter.service


@dataclass(frozen=True)
class Bill:
    """What one run cost, and what it would cost a month."""

    lines: tuple[Line, ...]
    prices: PriceTable
    duration: float
    """Simulated seconds the run lasted (capacity and idle polling accrue over them)."""
    requests: int
    """Requests the clients sent."""
    completed: int
    """Requests whose effect is in the table."""
    steady_rate: float | None
    """Requests per second of a steady-only workload; None for bursts and ramps."""

    @property
    def total(self) -> float:
        return sum(line.usd for line in self.lines)

    def by_service(self) -> dict[str, float]:
        services: dict[str, float] = {}
        for line in self.lines:
            services[line.service] = services.get(line.service, 0.0) + line.usd
        return services

    @property
    def per_completed(self) -> float | None:
        """Dollars per completed request: the total over what was done, so a system that
        completes half its requests does not look cheaper for doing less."""
        return self.total / self.completed if self.completed else None

    @property
    def monthly(self) -> float | None:
        """A 730-hour month at the steady rate, every request faring as in this run: what
        accrues with time scaled to the month, what accrues per request scaled to the
        month's requests. None unless the workload is steady only."""
        if self.steady_rate is None or not self.requests or self.duration <= 0:
            return None
        fixed = sum(line.usd for line in self.lines if line.fixed)
        per_request = sum(line.usd for line in self.lines if not line.fixed) / self.requests
        return fixed * MONTH_SECONDS / self.duration + per_request * (
            self.steady_rate * MONTH_SECONDS
        )

    def to_dict(self) -> dict[str, Any]:
        """The journal's `cost`: plain JSON, dollars unrounded."""
        return {
            "currency": self.prices.currency,
            "total": self.total,
            "per_completed_request": self.per_completed,
            "monthly_at_steady_rate": self.monthly,
            "by_service": self.by_service(),
            "lines": [
                {
                    "meter": line.meter.value,
                    "resource": line.resource,
                    "quantity": line.quantity,
                    "unit_price": self.prices.price(line.meter).each,
                    "usd": line.usd,
                    "fixed": line.fixed,
                }
                for line in self.lines
            ],
            "prices": {
                "region": self.prices.region,
                "date": self.prices.date.isoformat(),
                "lambda_init_billed": self.prices.lambda_init_billed,
                "files": list(self.prices.files),
            },
        }


def price(uses: tuple[Use, ...], prices: PriceTable) -> tuple[Line, ...]:
    return tuple(
        Line(
            use.meter,
            use.resource,
            use.quantity,
            use.quantity * prices.price(use.meter).each,
            use.fixed,
        )
        for use in uses
    )


def price_run(result: RunResult, prices: PriceTable, *, completed: int) -> Bill:
    """The bill of one run; `completed` is the accounting's count of completed requests."""
    workload = result.experiment.workload
    steady = workload.steady
    rate = (
        steady.rate if steady is not None and not workload.bursts and not workload.ramps else None
    )
    return Bill(
        price(usage(result), prices),
        prices,
        result.simulated_seconds,
        first_sends(result),
        completed,
        rate,
    )
