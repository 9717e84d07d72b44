"""The final read-back: what the effects table holds, read from moto's table itself, must be
what a DynamoDB Scan through the SDK returns (the speed-up cannot change an answer)."""

from __future__ import annotations

from collections import Counter
from typing import Any

import boto3
import pytest

from chaos._aws.moto_env import REGION, MotoAccount
from tests.support import reference


def _scanned(table: str, attribute: str) -> tuple[Counter[str], int]:
    counts: Counter[str] = Counter()
    anonymous = 0
    client = boto3.client("dynamodb", region_name=REGION)
    for page in client.get_paginator("scan").paginate(TableName=table, ConsistentRead=True):
        for item in page["Items"]:
            value: Any = item.get(attribute)
            if isinstance(value, dict) and set(value) <= {"S", "N"} and len(value) == 1:
                counts[str(next(iter(value.values())))] += 1
            else:
                anonymous += 1
    return counts, anonymous


@pytest.mark.parametrize("sort_key", [None, "version"], ids=["partition-key", "with-sort-key"])
def test_effects_read_from_moto_equal_a_full_scan(sort_key: str | None) -> None:
    definition = reference("sync").definition
    table, attribute = definition.effects.table, definition.effects.request_id_attribute
    if sort_key is not None:
        tables = {table: definition.tables[table].model_copy(update={"sort_key": sort_key})}
        definition = definition.model_copy(update={"tables": tables})
    key = definition.tables[table].partition_key
    items: list[dict[str, Any]] = [
        {key: {"S": "o-1"}, attribute: {"S": "r-1"}},
        {key: {"S": "o-2"}, attribute: {"S": "r-1"}},  # a duplicate effect
        {key: {"S": "o-3"}, attribute: {"N": "7"}},
        {key: {"S": "o-4"}},  # no request id: an unexpected effect
        {key: {"S": "o-5"}, attribute: {"L": [{"S": "r-2"}]}},  # not a scalar id
        *({key: {"S": f"bulk-{n}"}, attribute: {"S": f"r-{n % 300}"}} for n in range(1_500)),
    ]
    if sort_key is not None:  # two versions under one partition key: both are effects
        items = [{**item, sort_key: {"S": "v1"}} for item in items]
        items.append({key: {"S": "o-1"}, sort_key: {"S": "v2"}, attribute: {"S": "r-1"}})
    with MotoAccount(definition, seed=1) as account:
        client = boto3.client("dynamodb", region_name=REGION)
        for item in items:
            client.put_item(TableName=table, Item=item)
        read = account.effects(table, attribute)
        assert read == _scanned(table, attribute)
    counts, anonymous = read
    versions = 1 if sort_key else 0
    assert counts["r-1"] == 1 + 1 + 5 + versions and counts["7"] == 1 and anonymous == 2
