"""The public surface of `chaos` is curated, and importing it stays cheap."""

from __future__ import annotations

import subprocess
import sys

import chaos


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
    for name in chaos.__all__:
        assert getattr(chaos, name) is not None


def test_importing_chaos_loads_no_aws_or_engine_module() -> None:
    code = (
        "import sys, chaos; "
        "heavy = [m for m in ('moto', 'boto3', 'botocore', 'simpy', 'pydantic', 'rich') "
        "if m in sys.modules]; print(','.join(heavy))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == ""
