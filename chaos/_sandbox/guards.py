"""What handler code may not do to our process: end it, signal it, change its environment,
or reach the network.

While a run is contained, these functions are replaced by versions that behave as before
outside handler code and, inside it (a fiber, or a thread handler code started):

- `os._exit`, `os.abort`, and a signal the code sends to its own process (`os.kill`,
  `os.killpg`, `signal.raise_signal`) whose default action ends a process, end the fiber
  instead: the invocation fails as on AWS ("Runtime exited with error: exit status 3",
  Runtime.ExitError). Signals to other processes fail with EPERM.
- `signal.signal`/`signal.getsignal` read and write the execution environment's own table;
  a signal the code sends itself runs the handler it installed. `signal.alarm` and
  `signal.setitimer` do nothing (their signal would reach our process, in real time).
- `os.putenv`/`os.unsetenv` do nothing: `os.environ` changes stay in the environment's copy.
- Every connection, datagram and name lookup fails at once with an error naming the address;
  the run records it (`on_network`). Nothing a handler needs is served over a socket:
  AWS calls are answered below botocore.

Code that calls the C functions directly (a C extension's `exit()`) is out of reach: a run
whose process dies fails alone in its worker (see the CLI's supervised workers).
"""

from __future__ import annotations

import errno
import os
import signal
import socket
import sys
import threading
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from chaos._sandbox.code import location
from chaos._sim.fibers import Fiber, current_fiber, preempt

NetworkHook = Callable[[str], None]

HANDLER_THREADS: weakref.WeakSet[threading.Thread] = weakref.WeakSet()
"""Threads that handler code started (they are handler code too)."""

_IGNORED_BY_DEFAULT = frozenset(
    getattr(signal, name)
    for name in ("SIGCHLD", "SIGURG", "SIGWINCH", "SIGCONT")
    if hasattr(signal, name)
)


def in_handler() -> bool:
    """Is handler code running right now (a fiber, or a thread it started)?"""
    return current_fiber() is not None or threading.current_thread() in HANDLER_THREADS


def _signal_name(signum: int) -> str:
    try:
        return signal.Signals(signum).name
    except ValueError:
        return str(signum)


def _exit_detail(signum: int) -> str:
    """AWS's wording: "Runtime exited with error: signal: terminated"."""
    words: dict[int, str] = {
        signal.SIGTERM: "terminated",
        signal.SIGKILL: "killed",
        signal.SIGABRT: "aborted (core dumped)",
        signal.SIGSEGV: "segmentation fault",
        signal.SIGINT: "interrupt",
    }
    return f"signal: {words.get(signum, _signal_name(signum).lower())}"


def _end(detail: str) -> None:
    """End the handler's 'process': its fiber, or the thread it started."""
    fiber = current_fiber()
    if fiber is None:
        raise SystemExit(detail)  # a handler thread: it ends, our process does not
    preempt(fiber, "exit", detail, location(sys._getframe(1)))


def _signals_of(fiber: Fiber | None) -> dict[int, Any]:
    table = getattr(fiber.state, "signals", None) if fiber is not None else None
    return table if isinstance(table, dict) else {}


def _deliver(signum: int) -> None:
    """A signal the handler sent its own process, as that process would take it."""
    if signum == 0:
        return
    installed = _signals_of(current_fiber()).get(signum, signal.SIG_DFL)
    if callable(installed):
        installed(signum, None)
        return
    if installed == signal.SIG_IGN or (signum in _IGNORED_BY_DEFAULT):
        return
    if signum == signal.SIGINT:
        raise KeyboardInterrupt  # Python's own default handler
    _end(_exit_detail(signum))


class _Patches:
    """Attributes replaced for the run, put back afterwards (inherited ones deleted)."""

    def __init__(self) -> None:
        self._undo: list[Callable[[], None]] = []

    def set(self, owner: Any, name: str, value: Any) -> None:
        own = name in vars(owner)
        original = getattr(owner, name)
        setattr(owner, name, value)
        if own:
            self._undo.append(lambda: setattr(owner, name, original))
        else:
            self._undo.append(lambda: delattr(owner, name))

    def undo(self) -> None:
        while self._undo:
            self._undo.pop()()


def _guard_process(patches: _Patches) -> None:
    real_exit = os._exit
    real_abort = os.abort
    real_kill = os.kill
    real_killpg = os.killpg
    real_raise = signal.raise_signal
    real_signal = signal.signal
    real_getsignal = signal.getsignal
    real_alarm = signal.alarm
    real_setitimer = signal.setitimer
    real_putenv = os.putenv
    real_unsetenv = os.unsetenv
    own_pid = os.getpid()

    def _exit(status: int) -> None:
        if not in_handler():
            real_exit(status)
        _end(f"exit status {status}")

    def abort() -> None:
        if not in_handler():
            real_abort()
        _end(_exit_detail(signal.SIGABRT))

    def kill(pid: int, signum: int) -> None:
        if not in_handler():
            return real_kill(pid, signum)
        if pid in (own_pid, 0, -1, -os.getpgid(0)):
            return _deliver(signum)
        raise PermissionError(
            errno.EPERM, f"Operation not permitted (chaos-arena: a handler signalled pid {pid})"
        )

    def killpg(pgid: int, signum: int) -> None:
        if not in_handler():
            return real_killpg(pgid, signum)
        if pgid in (0, os.getpgid(0)):
            return _deliver(signum)
        raise PermissionError(errno.EPERM, "Operation not permitted")

    def raise_signal(signum: int) -> None:
        if not in_handler():
            return real_raise(signum)
        return _deliver(signum)

    def signal_(signum: int, handler: Any) -> Any:
        if not in_handler():
            return real_signal(signum, handler)
        table = _signals_of(current_fiber())
        previous = table.get(signum, signal.SIG_DFL)
        table[signum] = handler
        return previous

    def getsignal(signum: int) -> Any:
        if not in_handler():
            return real_getsignal(signum)
        return _signals_of(current_fiber()).get(signum, signal.SIG_DFL)

    def alarm(seconds: int) -> int:
        return 0 if in_handler() else real_alarm(seconds)

    def setitimer(which: int, seconds: float, interval: float = 0.0) -> Any:
        return (0.0, 0.0) if in_handler() else real_setitimer(which, seconds, interval)

    def putenv(key: Any, value: Any) -> None:
        if not in_handler():
            real_putenv(key, value)

    def unsetenv(key: Any) -> None:
        if not in_handler():
            real_unsetenv(key)

    for owner, name, value in (
        (os, "_exit", _exit),
        (os, "abort", abort),
        (os, "kill", kill),
        (os, "killpg", killpg),
        (signal, "raise_signal", raise_signal),
        (signal, "signal", signal_),
        (signal, "getsignal", getsignal),
        (signal, "alarm", alarm),
        (signal, "setitimer", setitimer),
        (os, "putenv", putenv),
        (os, "unsetenv", unsetenv),
    ):
        patches.set(owner, name, value)


def _guard_threads(patches: _Patches) -> None:
    real_start = threading.Thread.start

    def start(thread: threading.Thread) -> None:
        if in_handler():
            HANDLER_THREADS.add(thread)
        real_start(thread)

    patches.set(threading.Thread, "start", start)


class NetworkRefused(ConnectionRefusedError):
    """A handler reached for the network during a run."""


def _address(address: Any) -> str:
    if isinstance(address, tuple) and len(address) >= 2:
        host, port = address[0], address[1]
        return f"[{host}]:{port}" if ":" in str(host) else f"{host}:{port}"
    if isinstance(address, bytes):
        return address.decode(errors="replace")
    return str(address)


def _refuse(address: str, on_network: NetworkHook) -> NetworkRefused:
    on_network(address)
    return NetworkRefused(
        errno.ECONNREFUSED,
        f"chaos-arena: no network during a run (the handler tried to reach {address}); "
        "AWS calls are answered in-process",
    )


def _is_numeric(host: Any) -> bool:
    try:
        socket.inet_pton(socket.AF_INET6 if ":" in str(host) else socket.AF_INET, str(host))
    except (OSError, ValueError, TypeError):
        return False
    return True


def _guard_network(patches: _Patches, on_network: NetworkHook) -> None:
    cls = socket.socket
    real_connect = cls.connect
    real_connect_ex = cls.connect_ex
    real_sendto = cls.sendto
    real_getaddrinfo = socket.getaddrinfo
    real_byname = socket.gethostbyname
    real_byname_ex = socket.gethostbyname_ex

    def connect(sock: socket.socket, address: Any) -> None:
        if in_handler():
            raise _refuse(_address(address), on_network)
        real_connect(sock, address)

    def connect_ex(sock: socket.socket, address: Any) -> int:
        if in_handler():
            _refuse(_address(address), on_network)
            return errno.ECONNREFUSED
        return real_connect_ex(sock, address)

    def sendto(sock: socket.socket, data: Any, *args: Any) -> int:
        if in_handler():
            raise _refuse(_address(args[-1]), on_network)
        return real_sendto(sock, data, *args)

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if in_handler() and host is not None and not _is_numeric(host):
            on_network(_address((host, port)))
            raise socket.gaierror(
                socket.EAI_NONAME,
                f"chaos-arena: no network during a run (the handler looked up {host})",
            )
        return real_getaddrinfo(host, port, *args, **kwargs)

    def gethostbyname(host: str) -> str:
        if in_handler() and not _is_numeric(host):
            on_network(host)
            raise socket.gaierror(socket.EAI_NONAME, f"chaos-arena: no network ({host})")
        return real_byname(host)

    def gethostbyname_ex(host: str) -> Any:
        if in_handler() and not _is_numeric(host):
            on_network(host)
            raise socket.gaierror(socket.EAI_NONAME, f"chaos-arena: no network ({host})")
        return real_byname_ex(host)

    for owner, name, value in (
        (cls, "connect", connect),
        (cls, "connect_ex", connect_ex),
        (cls, "sendto", sendto),
        (socket, "getaddrinfo", getaddrinfo),
        (socket, "gethostbyname", gethostbyname),
        (socket, "gethostbyname_ex", gethostbyname_ex),
    ):
        patches.set(owner, name, value)


@contextmanager
def guarded(on_network: NetworkHook) -> Iterator[None]:
    """Handler code cannot end, signal or rewire our process, nor reach the network."""
    patches = _Patches()
    try:
        _guard_process(patches)
        _guard_threads(patches)
        _guard_network(patches, on_network)
        yield
    finally:
        patches.undo()
