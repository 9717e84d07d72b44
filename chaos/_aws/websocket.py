"""API Gateway WebSocket connections, for push notifications.

AWS closes a connection after 10 minutes idle or 2 hours in all; a PostToConnection to a
closed connection fails with 410 GoneException, which the SDK does not retry
(../shared/reference/aws-semantics.md §7). Clients here connect when they send their request
and stay silent afterwards, so the idle timeout is the one that usually bites.
"""

from __future__ import annotations

from chaos._spec.system import WebSocketDef


class Connections:
    def __init__(self, definition: WebSocketDef) -> None:
        self.definition = definition
        self._opened: dict[str, tuple[str, float]] = {}

    def open(self, connection_id: str, request_id: str, now: float) -> None:
        self._opened.setdefault(connection_id, (request_id, now))

    def request_of(self, connection_id: str) -> str:
        opened = self._opened.get(connection_id)
        return opened[0] if opened else ""

    def is_open(self, connection_id: str, now: float) -> bool:
        opened = self._opened.get(connection_id)
        if opened is None:
            return False
        lifetime = min(self.definition.idle_timeout, self.definition.max_duration)
        return now < opened[1] + lifetime
