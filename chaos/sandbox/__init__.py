"""Containment of user code: what a handler may do to our process, and what it costs.

Handlers run in fibers (`chaos.sim.fibers`) inside our process. This package makes that
process look to them like their own execution environment (variables, streams, warnings,
signals, asyncio) and keeps them from harming it (exits, signals, the network, spinning
forever). It knows nothing of AWS; `chaos.aws.lambda_runtime` uses it. See
ARCHITECTURE.md, "Containment".
"""

from chaos.sandbox.contain import Containment, SandboxSettings
from chaos.sandbox.failures import HandlerError, describe
from chaos.sandbox.guards import NetworkRefused
from chaos.sandbox.state import ProcessState

__all__ = [
    "Containment",
    "HandlerError",
    "NetworkRefused",
    "ProcessState",
    "SandboxSettings",
    "describe",
]
