"""The public surface of `chaos` is curated, and importing it stays cheap."""

from __future__ import annotations

import subprocess
import sys

import chaos
import chaos.api
import chaos.extend


def test_all_is_pinned() -> None:
    assert sorted(chaos.__all__) == sorted(
        [
            "Assertion",
            "ChaosError",
            "Diagnostic",
            "GuaranteeViolation",
            "InternalError",
            "SetupError",
            "SpecError",
            "UnexpectedVerdict",
            "__version__",
            "assertion_type",
            "check",
            "counts",
            "fault_type",
            "load",
            "run",
        ]
    )


def test_every_public_name_resolves() -> None:
    for module in (chaos, chaos.api, chaos.extend):
        for name in module.__all__:
            assert getattr(module, name) is not None, (module.__name__, name)


def test_the_strategies_module_is_pinned() -> None:
    import chaos.strategies

    assert sorted(chaos.strategies.__all__) == ["fault_schedules", "ranged", "workloads"]


def test_the_api_module_is_pinned() -> None:
    assert sorted(chaos.api.__all__) == ["UnexpectedVerdict", "check", "counts", "load", "run"]


def test_the_extension_api_is_pinned() -> None:
    assert sorted(chaos.extend.__all__) == sorted(
        [
            # fault types: base classes by injection point, what they return, their params
            "Fault",
            "InvocationFault",
            "AwsCallFault",
            "ConcurrencyFault",
            "CapacityFault",
            "DeliveryFault",
            "EnqueueFault",
            "AwsCall",
            "CallEffect",
            "InvocationEffect",
            "hit",
            "FaultParams",
            "ProbabilityParams",
            "Ramp",
            "TargetKind",
            "fault_type",
            # parameter models and the quantity types their fields take
            "SpecModel",
            "NoParams",
            "Duration",
            "PositiveDuration",
            "Rate",
            "NonNegativeRate",
            "Fraction",
            "Size",
            "Integer",
            # assertions: the base class, what they read and return
            "Assertion",
            "assertion_type",
            "Evidence",
            "AssertionResult",
            "Status",
            "Finding",
            "RequestStory",
            # systems
            "register_system",
        ]
    )


def test_the_names_chaos_exports_for_extensions_are_the_extension_apis() -> None:
    for name in ("Assertion", "assertion_type", "fault_type"):
        assert getattr(chaos, name) is getattr(chaos.extend, name)


def test_importing_chaos_loads_no_aws_or_engine_module() -> None:
    code = (
        "import sys, chaos; "
        "heavy = [m for m in ('moto', 'boto3', 'botocore', 'simpy', 'pydantic', 'rich') "
        "if m in sys.modules]; print(','.join(heavy))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == ""
