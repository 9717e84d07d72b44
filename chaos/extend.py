"""The extension API: what a fault type, an assertion or a system of your own needs.

    from chaos.extend import AwsCall, AwsCallFault, CallEffect, ProbabilityParams, fault_type

A third-party package registers its module under an entry point group (`chaos_arena.faults`,
`chaos_arena.assertions`) and importing the module runs the decorators; a system is a path to
a definition file, registered under `chaos_arena.systems` or with `register_system`. Built-in
types register exactly this way. See CONTRIBUTING.md.
"""

from __future__ import annotations

from chaos._checks.base import Assertion, NoParams
from chaos._checks.evidence import Evidence
from chaos._checks.registry import assertion_type
from chaos._checks.verdict import AssertionResult, Finding, RequestStory, Status
from chaos._faults.base import (
    AwsCall,
    AwsCallFault,
    CallEffect,
    CapacityFault,
    ConcurrencyFault,
    DeliveryFault,
    EnqueueFault,
    Fault,
    InvocationEffect,
    InvocationFault,
    hit,
)
from chaos._faults.registry import fault_type
from chaos._spec.base import SpecModel
from chaos._spec.faults import FaultParams, ProbabilityParams, Ramp, TargetKind
from chaos._spec.types import (
    Duration,
    Fraction,
    Integer,
    NonNegativeRate,
    PositiveDuration,
    Rate,
    Size,
)
from chaos._systems import register_system

__all__ = [
    "Assertion",
    "AssertionResult",
    "AwsCall",
    "AwsCallFault",
    "CallEffect",
    "CapacityFault",
    "ConcurrencyFault",
    "DeliveryFault",
    "Duration",
    "EnqueueFault",
    "Evidence",
    "Fault",
    "FaultParams",
    "Finding",
    "Fraction",
    "Integer",
    "InvocationEffect",
    "InvocationFault",
    "NoParams",
    "NonNegativeRate",
    "PositiveDuration",
    "ProbabilityParams",
    "Ramp",
    "Rate",
    "RequestStory",
    "Size",
    "SpecModel",
    "Status",
    "TargetKind",
    "assertion_type",
    "fault_type",
    "hit",
    "register_system",
]
