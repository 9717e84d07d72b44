"""Hostile handlers: code a user could bring that must not stall, end or pollute a run.

Each is a sync (API Gateway proxy) handler unless its name says otherwise; `ok` writes the
order as a well-behaved handler would, the rest misbehave in one way each.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sys
import threading
import time
from datetime import UTC, datetime
from typing import Any

import boto3

_dynamodb = boto3.client("dynamodb")
_OK = {"statusCode": 200, "body": "{}"}
LISTENER_PORT = "HOSTILE_LISTENER_PORT"
"""Where `connect_to_listener` connects: a port a test listens on (127.0.0.1)."""


def _request_id(event: dict[str, Any]) -> str:
    return str(json.loads(event["body"])["request_id"])


def ok(event: dict[str, Any], context: Any) -> dict[str, Any]:
    request_id = _request_id(event)
    _dynamodb.put_item(
        TableName="orders", Item={"order_id": {"S": request_id}, "request_id": {"S": request_id}}
    )
    return _OK


def busy_loop(event: Any, context: Any) -> Any:
    while True:
        pass


def swallowing_busy_loop(event: Any, context: Any) -> Any:
    """Catches everything, even what a watchdog would throw in."""
    while True:
        try:
            while True:
                pass
        except BaseException:
            pass


def deadline_poll(event: Any, context: Any) -> Any:
    deadline = time.time() + 3600
    while time.time() < deadline:
        pass
    return _OK


def short_poll(event: dict[str, Any], context: Any) -> Any:
    """Waits one second by polling the clock, then works: a poll that ends."""
    deadline = time.monotonic() + 1.0
    while time.monotonic() < deadline:
        pass
    return ok(event, context)


def infinite_sleep(event: Any, context: Any) -> Any:
    time.sleep(10**9)
    return _OK


def asyncio_handler(event: dict[str, Any], context: Any) -> Any:
    async def main() -> float:
        started = time.monotonic()
        await asyncio.sleep(1)
        await asyncio.gather(asyncio.sleep(0.5), asyncio.sleep(0.25))
        return time.monotonic() - started

    waited = asyncio.run(main())
    ok(event, context)
    return {"statusCode": 200, "body": json.dumps({"waited": waited})}


def asyncio_forever(event: Any, context: Any) -> Any:
    async def main() -> None:
        await asyncio.Event().wait()  # nothing will ever set it

    asyncio.run(main())
    return _OK


def exits(event: Any, context: Any) -> Any:
    sys.exit(4)


def raises_keyboard_interrupt(event: Any, context: Any) -> Any:
    raise KeyboardInterrupt


def hard_exit(event: Any, context: Any) -> Any:
    os._exit(3)


def aborts(event: Any, context: Any) -> Any:
    os.abort()


def sigterm_self(event: Any, context: Any) -> Any:
    os.kill(os.getpid(), signal.SIGTERM)
    return _OK


def sigint_self(event: Any, context: Any) -> Any:
    signal.raise_signal(signal.SIGINT)
    return _OK


def own_signal_handler(event: dict[str, Any], context: Any) -> Any:
    """Installs a SIGUSR1 handler and signals itself: the handler runs, nothing exits."""
    seen: list[int] = []
    signal.signal(signal.SIGUSR1, lambda signum, _frame: seen.append(signum))
    os.kill(os.getpid(), signal.SIGUSR1)
    if seen != [signal.SIGUSR1]:
        raise RuntimeError(f"own handler not run: {seen}")
    return ok(event, context)


def signals_parent(event: Any, context: Any) -> Any:
    os.kill(os.getppid(), signal.SIGTERM)
    return _OK


def recursion(event: Any, context: Any) -> Any:
    def down(depth: int) -> int:
        return down(depth + 1)

    return down(0)


def huge_output(event: dict[str, Any], context: Any) -> Any:
    print("x" * 1_000_000)
    for line in range(10_000):
        print(f"line {line}", file=sys.stderr)
    return ok(event, context)


def mutates_environment(event: dict[str, Any], context: Any) -> Any:
    os.environ["HOME"] = "/nowhere"
    os.environ["HOSTILE_LEAK"] = "1"
    os.putenv("HOSTILE_C_LEAK", "1")
    return ok(event, context)


def connects(event: Any, context: Any) -> Any:
    socket.create_connection(("1.2.3.4", 80), timeout=1)
    return _OK


def connect_to_listener(event: Any, context: Any) -> Any:
    with socket.socket() as client:
        client.connect(("127.0.0.1", int(os.environ[LISTENER_PORT])))
    return _OK


def looks_up_a_name(event: Any, context: Any) -> Any:
    socket.getaddrinfo("example.com", 443)
    return _OK


def returns_none(event: Any, context: Any) -> Any:
    return None


def returns_a_set(event: Any, context: Any) -> Any:
    return {"statusCode": 200, "body": "{}", "tags": {"a", "b"}}


def stamps(event: dict[str, Any], context: Any) -> Any:
    """Reads the clock and prints, like most real handlers; then writes."""
    print(f"handling at {datetime.now(UTC).isoformat()}")
    return ok(event, context)


def reports_environment(event: Any, context: Any) -> Any:
    """Answers with what its execution environment sees."""
    import logging
    import warnings

    print("to stdout")
    print("to stderr", file=sys.stderr)
    logging.getLogger("hostile").warning("a log record")
    warnings.warn("careful", UserWarning, stacklevel=1)
    names = (
        "COLOUR",
        "AWS_LAMBDA_FUNCTION_NAME",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
        "AWS_LAMBDA_FUNCTION_VERSION",
        "AWS_EXECUTION_ENV",
        "_HANDLER",
        "LAMBDA_TASK_ROOT",
        "AWS_LAMBDA_LOG_GROUP_NAME",
        "AWS_REGION",
    )
    return {name: os.environ.get(name) for name in names}


def waits_for_real(event: dict[str, Any], context: Any) -> Any:
    """Blocks 0.5 wall seconds without spending CPU (a subprocess, a slow disk), then works."""
    threading.Event().wait(0.5)
    return ok(event, context)
