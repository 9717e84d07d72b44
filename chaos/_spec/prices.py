"""Price tables: what each billed unit of an AWS service costs, as data.

chaos-arena ships one table (`chaos/prices/us-east-1.yaml`: one region, a stated date, every
price with its source). A user's file of the same form, named by a system definition's
`prices:` or by `chaos-arena run --prices FILE`, overrides some or all of its prices; its
problems are located (file:line:col) like those of any other file.
"""

from __future__ import annotations

import datetime
from enum import StrEnum
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, model_validator

from chaos._errors import Diagnostic, SpecError
from chaos._spec.base import Problem, SpecModel, SpecProblems
from chaos._spec.diagnose import place, problems
from chaos._spec.yamlsource import YamlProblem, parse_documents, read_text


class Meter(StrEnum):
    """The billed quantities chaos-arena measures, one price each (`service.quantity`).

    A service added to the models adds its meters here and its prices to the table."""

    LAMBDA_REQUESTS = "lambda.requests"
    LAMBDA_GB_SECONDS_X86_64 = "lambda.gb_seconds.x86_64"
    LAMBDA_GB_SECONDS_ARM64 = "lambda.gb_seconds.arm64"
    SQS_REQUESTS = "sqs.requests"
    SNS_PUBLISHES = "sns.publishes"
    DYNAMODB_WRITE_REQUEST_UNITS = "dynamodb.write_request_units"
    DYNAMODB_READ_REQUEST_UNITS = "dynamodb.read_request_units"
    DYNAMODB_WRITE_CAPACITY_UNIT_HOURS = "dynamodb.write_capacity_unit_hours"
    DYNAMODB_READ_CAPACITY_UNIT_HOURS = "dynamodb.read_capacity_unit_hours"
    APIGATEWAY_REST_REQUESTS = "apigateway.rest_requests"
    APIGATEWAY_WEBSOCKET_MESSAGES = "apigateway.websocket_messages"
    APIGATEWAY_WEBSOCKET_CONNECTION_MINUTES = "apigateway.websocket_connection_minutes"

    @property
    def service(self) -> str:
        return self.value.split(".", 1)[0]


class Price(SpecModel):
    """`usd` dollars per `per` units of a meter."""

    usd: float = Field(ge=0)
    per: float = Field(1, gt=0)
    """How many units `usd` buys: 1000000 for a price per million requests."""
    source: str = ""
    """Where the price comes from (the AWS pricing page)."""

    @property
    def each(self) -> float:
        """Dollars per single unit."""
        return self.usd / self.per


class PriceFile(SpecModel):
    """A price table as written: the shipped one, or a user's overrides of some prices."""

    region: str | None = None
    date: datetime.date | None = None
    """The day the prices were read from their sources."""
    currency: Literal["USD"] = "USD"
    lambda_init_billed: bool | None = None
    """Whether Lambda bills the INIT phase of on-demand functions (AWS: yes, from
    2025-08-01)."""
    lambda_init_billed_source: str = ""
    prices: dict[Meter, Price] = {}

    @model_validator(mode="after")
    def _init_is_billed(self) -> PriceFile:
        if self.lambda_init_billed is False:
            raise SpecProblems(
                [
                    Problem(
                        ("lambda_init_billed",),
                        "chaos-arena bills each invocation from its start, cold start "
                        "included, as AWS does since 2025-08-01; a table where INIT is free "
                        "cannot be priced from the ledger (it does not time INIT apart)",
                        "remove lambda_init_billed or set it to true",
                    )
                ]
            )
        return self


class PriceTable(SpecModel):
    """A complete table: a price for every meter, and where the prices come from."""

    region: str
    date: datetime.date
    currency: str
    lambda_init_billed: bool
    lambda_init_billed_source: str
    prices: dict[Meter, Price]
    files: tuple[str, ...] = ()
    """The files it was read from: the shipped table, then each override."""

    def price(self, meter: Meter) -> Price:
        return self.prices[meter]

    def overridden_by(self, written: PriceFile, path: str) -> PriceTable:
        """This table with the prices (and region, date) a user's file sets."""
        return PriceTable(
            region=written.region or self.region,
            date=written.date or self.date,
            currency=written.currency,
            lambda_init_billed=True,
            lambda_init_billed_source=written.lambda_init_billed_source
            or self.lambda_init_billed_source,
            prices={**self.prices, **written.prices},
            files=(*self.files, path),
        )


DEFAULT_TABLE = "us-east-1.yaml"


@cache
def default_prices() -> PriceTable:
    """The shipped table (package data `chaos/prices/us-east-1.yaml`)."""
    source = resources.files("chaos") / "prices" / DEFAULT_TABLE
    path = f"chaos/prices/{DEFAULT_TABLE}"
    written = _parse(path, source.read_text(encoding="utf-8"))
    missing = [m.value for m in Meter if m not in written.prices]
    if missing or written.region is None or written.date is None:
        raise SpecError.single(path, f"the shipped price table lacks {', '.join(missing)}")
    return PriceTable(
        region=written.region,
        date=written.date,
        currency=written.currency,
        lambda_init_billed=True,
        lambda_init_billed_source=written.lambda_init_billed_source,
        prices=dict(written.prices),
        files=(path,),
    )


def read_price_file(path: Path, *, shown: str | None = None) -> PriceFile:
    """A user's price file, validated; a SpecError with every problem located if it is wrong."""
    name = shown or str(path)
    try:
        text = read_text(path)
    except YamlProblem as problem:
        raise SpecError([problem.diagnostic]) from None
    return _parse(name, text)


def price_file_problems(path: Path, *, shown: str | None = None) -> list[Diagnostic]:
    """What is wrong with a price file (nothing: an empty list)."""
    try:
        read_price_file(path, shown=shown)
    except SpecError as error:
        return list(error.diagnostics)
    return []


def prices_from(path: Path, *, shown: str | None = None) -> PriceTable:
    """The shipped table with a user's file's prices over it."""
    return default_prices().overridden_by(read_price_file(path, shown=shown), shown or str(path))


def _parse(name: str, text: str) -> PriceFile:
    try:
        documents = parse_documents(name, text)
    except YamlProblem as problem:
        raise SpecError([problem.diagnostic]) from None
    if len(documents) != 1 or not isinstance(documents[0].data, dict):
        raise SpecError.single(
            name,
            "a price table is one YAML mapping",
            hint="start with 'prices:' and meters such as 'lambda.requests: {usd: 0.2, "
            "per: 1000000}'",
        )
    document = documents[0]
    try:
        return PriceFile.model_validate(document.data)
    except ValidationError as error:
        schema = PriceFile.model_json_schema()
        located = [place(p, document) for p in problems(error, (schema, schema))]
        raise SpecError([*document.problems, *located]) from None
