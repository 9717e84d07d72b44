"""An SQS consumer instrumented with Powertools' Logger and Metrics, the usual way.

`check_metrics` is a probe for the tests: before returning, the handler checks that the
metrics about to be flushed are this invocation's own (on AWS each execution environment is a
process of its own, so no other invocation's metrics can be there).
"""

from __future__ import annotations

import json
import os
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

logger = Logger(service="orders")
metrics = Metrics(namespace="Shop", service="orders")
_orders = boto3.client("dynamodb")


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics(capture_cold_start_metric=True)
def handle(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    failures = []
    shipped = 0
    for record in event["Records"]:
        order = json.loads(record["body"])
        logger.append_keys(request_id=order["request_id"])
        if order.get("poison"):
            logger.warning("malformed order")
            failures.append({"itemIdentifier": record["messageId"]})
            continue
        _orders.put_item(
            TableName=os.environ["ORDERS_TABLE"],
            Item={"order_id": {"S": order["request_id"]}, "request_id": {"S": order["request_id"]}},
        )
        metrics.add_metric(name="OrdersShipped", unit=MetricUnit.Count, value=1)
        shipped += 1
        logger.info("order shipped")
    metrics.add_metric(name="BatchItemFailures", unit=MetricUnit.Count, value=len(failures))
    if os.environ.get("CHECK_METRICS") == "1":
        mine = metrics.metric_set.get("OrdersShipped", {}).get("Value", [])
        if len(mine) != shipped:
            raise RuntimeError(f"{len(mine)} OrdersShipped values to flush, {shipped} shipped here")
    return {"batchItemFailures": failures}
