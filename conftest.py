"""Repository-wide pytest configuration: Hypothesis profiles, and no network.

`ci` (chosen automatically when CI is set, as Hypothesis does) is derandomized with no
deadline; `default` keeps Hypothesis's own defaults but no deadline either, since the
engine's first run in a process pays for imports.
"""

from __future__ import annotations

import ipaddress
import os
import socket
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("default", deadline=None)
settings.register_profile(
    "ci",
    derandomize=True,
    deadline=None,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("ci" if os.environ.get("CI") else "default")


def _local(host: Any) -> bool:
    try:
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return str(host) == "localhost"


def _numeric(host: Any) -> bool:
    """An address needs no lookup; whether it may be reached is `connect`'s call."""
    try:
        ipaddress.ip_address(str(host).split("%")[0])
    except ValueError:
        return False
    return True


def _refuse_the_network() -> None:
    """No test may reach beyond this machine: connections and name lookups other than
    loopback fail. (During a run, handler code is refused even loopback: chaos._sandbox.)"""
    connect, getaddrinfo = socket.socket.connect, socket.getaddrinfo

    def guarded_connect(sock: socket.socket, address: Any) -> None:
        if sock.family in (socket.AF_INET, socket.AF_INET6) and not _local(address[0]):
            raise ConnectionRefusedError(f"the test suite may not reach the network: {address}")
        connect(sock, address)

    def guarded_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host is not None and not _local(host) and not _numeric(host):
            raise socket.gaierror(f"the test suite may not reach the network: {host}")
        return getaddrinfo(host, *args, **kwargs)

    socket.socket.connect = guarded_connect  # type: ignore[method-assign]
    socket.getaddrinfo = guarded_getaddrinfo


def pytest_configure(config: pytest.Config) -> None:
    _refuse_the_network()
