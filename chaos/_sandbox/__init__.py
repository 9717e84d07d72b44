"""Containment of user code: what a handler may do to our process, and what it costs.

Handlers run in fibers (`chaos._sim.fibers`) inside our process. This package makes that
process look to them like their own execution environment (variables, streams, warnings,
signals, asyncio) and keeps them from harming it (exits, signals, the network, spinning
forever). It knows nothing of AWS; `chaos._aws.lambda_runtime` uses it. See
ARCHITECTURE.md, "Containment".
"""

from chaos._sandbox.contain import Containment, SandboxSettings
from chaos._sandbox.failures import HandlerError, describe
from chaos._sandbox.guards import NetworkRefused
from chaos._sandbox.state import ProcessState

__all__ = [
    "Containment",
    "HandlerError",
    "NetworkRefused",
    "ProcessState",
    "SandboxSettings",
    "describe",
]
