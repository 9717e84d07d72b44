"""The hook below botocore: every AWS call a handler makes passes here before moto.

moto answers calls from a `before-send` handler in botocore's BUILTIN_HANDLERS; botocore
calls *every* before-send handler and uses the first response, so a second handler could not
stop moto from applying a write it wants to fail. Instead, moto's stubber is wrapped: while a
world runs and the call comes from a handler's fiber, the world's router sees the call first
and may answer it with a real AWS error response (botocore then parses it and runs its own
retry policy, sleeping in virtual time) or delay it; otherwise moto answers. Calls from
outside fibers (setup, the final read-back) go straight to moto.
"""

from __future__ import annotations

import functools
from io import BytesIO
from typing import Any, Protocol

from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.handlers import BUILTIN_HANDLERS

from chaos._errors import InternalError
from chaos._sim.fibers import Killed, current_fiber


class CallRouter(Protocol):
    """What a running world provides to see handler calls."""

    def before_send(
        self, service: str, operation: str, request: AWSPreparedRequest, context: Any
    ) -> AWSResponse | None: ...

    def after_send(
        self,
        service: str,
        operation: str,
        request: AWSPreparedRequest,
        response: AWSResponse | None,
        context: Any,
    ) -> None: ...


_routers: list[CallRouter] = []


class _RawBody(BytesIO):
    """The raw stream botocore reads a response body from."""

    def stream(self, **_kwargs: Any) -> Any:
        yield self.getvalue()


def error_response(
    request: AWSPreparedRequest, status: int, headers: dict[str, str], body: bytes
) -> AWSResponse:
    return AWSResponse(request.url, status, headers, _RawBody(body))


def _routed(moto_call: Any) -> Any:
    """Wrap moto's `BotocoreStubber.__call__` so handler calls meet the world's router first."""

    def __call__(
        stubber: Any, event_name: str, request: AWSPreparedRequest, **kwargs: Any
    ) -> AWSResponse | None:
        fiber = current_fiber()
        if fiber is None or not _routers or fiber.context is None:
            # Not a handler's invocation (setup, the final read, an init checked before a
            # run): nothing to route or record.
            if fiber is not None and fiber.killed:
                raise Killed
            return moto_call(stubber, event_name, request, **kwargs)
        if fiber.killed:
            raise Killed
        router = _routers[-1]
        service, operation = _service_and_operation(event_name)
        injected = router.before_send(service, operation, request, fiber.context)
        if injected is not None:
            return injected
        response: AWSResponse | None = moto_call(stubber, event_name, request, **kwargs)
        router.after_send(service, operation, request, response, fiber.context)
        return response

    __call__.chaos_routed = True  # type: ignore[attr-defined]
    return __call__


@functools.cache
def _service_and_operation(event_name: str) -> tuple[str, str]:
    """`before-send.dynamodb.PutItem` -> ("dynamodb", "PutItem"), made once per event name:
    the ledger keeps these strings for every call, so they should be shared, not copies."""
    _, service, operation = event_name.split(".", 2)
    return service, operation


def install() -> None:
    """Route moto's stubber through the world (idempotent, once per process).

    The class is patched rather than the BUILTIN_HANDLERS entry, so that sessions and
    clients created before chaos-arena was imported (a handler module's module-level
    client, say) are routed too.
    """
    from moto.core.botocore_stubber import BotocoreStubber

    if getattr(BotocoreStubber.__call__, "chaos_routed", False):
        return
    # Entries are (event, handler) or (event, handler, registration type).
    if not any(
        entry[0] == "before-send" and isinstance(entry[1], BotocoreStubber)
        for entry in BUILTIN_HANDLERS
    ):
        raise InternalError("moto's botocore stubber is not in botocore's BUILTIN_HANDLERS")
    BotocoreStubber.__call__ = _routed(BotocoreStubber.__call__)  # type: ignore[method-assign]


class routing:
    """Context manager: handler calls go to `router` while the block runs."""

    def __init__(self, router: CallRouter) -> None:
        self.router = router

    def __enter__(self) -> None:
        install()
        _routers.append(self.router)

    def __exit__(self, *_exc: object) -> None:
        _routers.remove(self.router)
