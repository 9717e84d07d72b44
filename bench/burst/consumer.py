"""The consumer of bench/burst/system.yaml: one PutItem per message, 10 % transient failures.

Whether a delivery fails is a pure function of (seed, request id, receive count), the same
rule bench/handwritten.py uses, so a run is deterministic and a redelivered message draws
again: a message is dead-lettered only when five receives in a row fail.
"""

from __future__ import annotations

import hashlib
import json
import os
from typing import Any

import boto3

_dynamodb = boto3.client("dynamodb")
_table = os.environ.get("RESULTS_TABLE", "results")
_seed = os.environ.get("FAILURE_SEED", "1")
_rate = float(os.environ.get("FAILURE_RATE", "0.10"))


class TransientError(Exception):
    """A failure the next delivery may not meet (a timeout, a dependency's hiccup)."""


def fails(seed: str, request_id: str, receive_count: int, rate: float) -> bool:
    digest = hashlib.sha256(f"{seed}:{request_id}:{receive_count}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < rate


def process(request_id: str, receive_count: int, payload: str) -> None:
    if fails(_seed, request_id, receive_count, _rate):
        raise TransientError(f"{request_id}: transient failure on receive {receive_count}")
    _dynamodb.put_item(
        TableName=_table,
        Item={"request_id": {"S": request_id}, "payload": {"S": payload}},
    )


def handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
    failures = []
    for record in event["Records"]:
        try:
            body = json.loads(record["body"])
            receive_count = int(record["attributes"]["ApproximateReceiveCount"])
            process(body["request_id"], receive_count, body.get("payload", ""))
        except Exception:
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}
