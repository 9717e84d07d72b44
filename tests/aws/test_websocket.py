"""API Gateway WebSocket connections: they close after 10 minutes idle or 2 hours in all, and
a post to a closed connection is a 410 GoneException. Source: aws-semantics.md 7, [DOC]
apigateway-execution-service-websocket-limits-table. (The 410 a handler's SDK sees is pinned
in tests/engine/test_router.py.)"""

from __future__ import annotations

from chaos._aws.websocket import Connections
from chaos._spec.system import WebSocketDef


def test_a_connection_closes_after_the_idle_timeout() -> None:
    """Idle timeout 10 minutes, not changeable. Source: aws-semantics.md 7 "WebSocket quotas"."""
    connections = Connections(WebSocketDef())
    connections.open("c1", "r1", now=100.0)
    assert connections.is_open("c1", 100.0 + 599.0)
    assert not connections.is_open("c1", 100.0 + 600.0)
    assert connections.request_of("c1") == "r1"


def test_a_connection_closes_after_its_maximum_duration() -> None:
    """Maximum connection duration 2 hours. Source: aws-semantics.md 7 "WebSocket quotas"."""
    connections = Connections(WebSocketDef(idle_timeout=10_000.0))
    connections.open("c1", "r1", now=0.0)
    assert connections.is_open("c1", 7_199.0)
    assert not connections.is_open("c1", 7_200.0)


def test_an_unknown_connection_is_gone() -> None:
    """A post to a connection that never existed (or a client's old id after reconnecting)
    is 410 as well. Source: aws-semantics.md 7 "Causes of 410", [KC] 410-gone-api-gateway."""
    connections = Connections(WebSocketDef())
    assert not connections.is_open("never", 0.0)
    assert connections.request_of("never") == ""


def test_a_retried_request_keeps_its_first_connection_time() -> None:
    """A client that sends again on the same connection does not make it younger."""
    connections = Connections(WebSocketDef())
    connections.open("c1", "r1", now=0.0)
    connections.open("c1", "r1", now=500.0)
    assert not connections.is_open("c1", 600.0)
