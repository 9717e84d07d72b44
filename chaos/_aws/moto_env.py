"""The in-process AWS account handlers talk to: moto, credentials, region and tables.

Environment variables are set for the duration of a run (and restored after): fake
credentials, the region and the system's SDK retry settings.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator, Mapping
from functools import cache
from types import TracebackType
from typing import Any

import boto3
from moto import mock_aws
from moto.moto_api._internal import mock_random

from chaos._spec.system import SystemDefinition, TableDef

REGION = "us-east-1"
ACCOUNT_ID = "123456789012"
_BASE_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
}
_CLEARED = ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_MAX_ATTEMPTS", "AWS_RETRY_MODE")


def run_environment(system: SystemDefinition) -> dict[str, str]:
    """The variables a run sets in the process: credentials, the region, and the system's
    SDK retry settings (`sdk:`, by default the Lambda runtime's). Each function's own
    variables, its own `sdk:` and the Lambda runtime's are its execution environments' alone
    (`lambda_runtime.lambda_variables`)."""
    env = dict(_BASE_ENV)
    env["AWS_RETRY_MODE"] = system.sdk.retry_mode
    if system.sdk.max_attempts is not None:
        env["AWS_MAX_ATTEMPTS"] = str(system.sdk.max_attempts)
    return env


@cache
def _run_session() -> boto3.Session:
    """The default boto3 session during runs: one per process, made after moto's import.

    A session made before moto was imported would not route to moto; a fresh session per run
    would reload every service model (~50 ms). Credentials and region come from the run's
    environment variables each time a client is made.
    """
    return boto3.Session()


class MotoAccount:
    """Context manager: moto started, environment set, the system's tables created."""

    def __init__(self, system: SystemDefinition, seed: int) -> None:
        self.system = system
        self.seed = seed
        self._mock: Any = None
        self._saved_env: dict[str, str | None] = {}
        self._saved_session: Any = None
        self._client: Any = None

    def __enter__(self) -> MotoAccount:
        self._set_environment(run_environment(self.system))
        mock_random.seed(self.seed)
        # moto would swap in a fresh default session; the run manages its own instead.
        self._mock = mock_aws(config={"core": {"reset_boto3_session": False}})
        self._mock.start()
        self._saved_session = boto3.DEFAULT_SESSION
        boto3.DEFAULT_SESSION = _run_session()
        self._client = boto3.client("dynamodb", region_name=REGION)
        for name, table in self.system.tables.items():
            self._create_table(name, table)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._mock.stop()
        boto3.DEFAULT_SESSION = self._saved_session
        for key, value in self._saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value

    def _set_environment(self, values: Mapping[str, str]) -> None:
        for key in (*_CLEARED, *values):
            self._saved_env.setdefault(key, os.environ.get(key))
        for key in _CLEARED:
            os.environ.pop(key, None)
        os.environ.update(values)

    def _create_table(self, name: str, table: TableDef) -> None:
        keys = [{"AttributeName": table.partition_key, "KeyType": "HASH"}]
        attributes = [
            {"AttributeName": table.partition_key, "AttributeType": table.partition_key_type}
        ]
        if table.sort_key:
            keys.append({"AttributeName": table.sort_key, "KeyType": "RANGE"})
            attributes.append(
                {"AttributeName": table.sort_key, "AttributeType": table.sort_key_type}
            )
        self._client.create_table(
            TableName=name,
            KeySchema=keys,
            AttributeDefinitions=attributes,
            BillingMode="PAY_PER_REQUEST",
        )

    def effects(self, table: str, attribute: str) -> tuple[Counter[str], int]:
        """Items per request id in `table`, and items without one.

        Read from moto's table itself rather than through a Scan: the same items, without
        serialising the whole table through botocore (a scan cost ~10% of a 2,000-request
        run). tests/aws/test_moto_env.py pins that both reads agree.
        """
        from moto.dynamodb.models import dynamodb_backends

        counts: Counter[str] = Counter()
        anonymous = 0
        for item in _stored_items(dynamodb_backends[ACCOUNT_ID][REGION].get_table(table)):
            request_id = _request_id(item.attrs.get(attribute))
            if request_id is None:
                anonymous += 1
            else:
                counts[request_id] += 1
        return counts, anonymous


def forget_posted(connection_id: str) -> None:
    """Drop what moto keeps of a WebSocket connection: every message posted to it, appended
    to a bytes value per connection, never read back (the ledger's `Notified` records what
    was delivered): ~0.5 KB a request that would otherwise last the whole run."""
    from moto.apigatewaymanagementapi.models import apigatewaymanagementapi_backends

    apigatewaymanagementapi_backends[ACCOUNT_ID][REGION].connections.pop(connection_id, None)


def _stored_items(moto_table: Any) -> Iterator[Any]:
    """Every item of a moto table, unsorted (`all_items()` sorts them all: more than the
    counting costs). moto keys items by partition key; with a sort key, each entry maps sort
    keys to items."""
    if moto_table.range_key_attr:
        for versions in moto_table.items.values():
            yield from versions.values()
    else:
        yield from moto_table.items.values()


def _request_id(value: Any) -> str | None:
    """The request id a moto attribute value (a DynamoType) carries: a string or number."""
    if value is None or value.type not in ("S", "N"):
        return None
    return str(value.value)
