"""A third-party package extends chaos-arena through entry points, end to end.

The package (a fault type, an assertion and a system) is installed the way pip leaves one:
modules plus a `.dist-info` with `entry_points.txt`, on `sys.path`. A fresh interpreter finds
it through `importlib.metadata`, validates and runs an experiment using all three with
`chaos.run` and `chaos-arena validate` (a misspelt third-party name gets a did-you-mean), and
the JSON Schema lists its types.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

import systems_under_test

FAULTS = """
from chaos.extend import (
    InvocationEffect, InvocationFault, PositiveDuration, ProbabilityParams, TargetKind,
    fault_type, hit,
)


class SlowDownParams(ProbabilityParams):
    delay: PositiveDuration


@fault_type
class SlowDown(InvocationFault):
    name = "acme.slowdown"
    summary = "Invocations start late (a third party's fault type)."
    Params = SlowDownParams
    target_kind = TargetKind.FUNCTION

    def on_invocation(self, params, intensity, draw):
        if not hit(params.probability, intensity, draw):
            return None
        return InvocationEffect(delay=params.delay * intensity)
"""

ASSERTIONS = """
from chaos.extend import (
    Assertion, AssertionResult, Fraction, SpecModel, Status, assertion_type,
)


class SomeCompletedParams(SpecModel):
    min: Fraction = 0.5


@assertion_type
class SomeCompleted(Assertion):
    name = "acme.some_completed"
    summary = "At least a share of the requests sent completed."
    Params = SomeCompletedParams
    shorthand = "min"

    def check(self, params, evidence):
        counts = evidence.accounting.counts()
        if not counts["sent"]:
            return AssertionResult(self.name, Status.INCONCLUSIVE, "nothing was sent")
        share = counts["completed"] / counts["sent"]
        status = Status.PASSED if share >= params.min else Status.FAILED
        return AssertionResult(self.name, status, f"{share:.0%} completed")
"""

SYSTEMS = """
from pathlib import Path

ORDERS = Path(__file__).parent / "orders.yaml"
"""

ENTRY_POINTS = """\
[chaos_arena.assertions]
acme = acme_chaos.assertions

[chaos_arena.faults]
acme = acme_chaos.faults

[chaos_arena.systems]
acme-orders = acme_chaos.systems:ORDERS
"""

EXPERIMENT = """\
experiment: acme
duration: 30s
systems: [acme-orders]
workload: {steady: {rate: 2/s, for: 10s}}
faults: [{acme.slowdown: {delay: 2s, at: 2s, for: 5s}}]
assertions: [{acme.some_completed: 90%}, no_loss]
"""

MISSPELT = """\
experiment: misspelt
duration: 30s
systems: [acme-order]
workload: {steady: {rate: 2/s, for: 10s}}
faults: [{acme.slowdwn: {delay: 2s}}]
assertions: [acme.some_complete]
"""

DRIVER = """
import contextlib, io, json, runpy, sys
from pathlib import Path

import chaos


def cli(*args):
    out = io.StringIO()
    sys.argv = ["chaos-arena", *args]
    code = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        try:
            runpy.run_module("chaos", run_name="__main__", alter_sys=True)
        except SystemExit as exit:
            code = exit.code
    return code, out.getvalue()


outcome = chaos.run(Path("acme.chaos.yaml"), "acme-orders")
valid = cli("validate", "acme.chaos.yaml")
misspelt = cli("validate", "--no-import", "misspelt.chaos.yaml")
schema = json.loads(cli("schema")[1])
print(json.dumps({
    "system": outcome.system,
    "verdict": outcome.verdict.value,
    "reason": outcome.reason,
    "results": [[r.name, r.status.value] for r in outcome.results],
    "faults_acted": sorted(outcome.evidence.applicable_faults),
    "valid": valid,
    "misspelt": misspelt,
    "schema": json.dumps(schema),
}))
"""


def _install(site: Path) -> None:
    """The package as pip would leave it: modules, and a dist-info naming entry points."""
    package = site / "acme_chaos"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "faults.py").write_text(textwrap.dedent(FAULTS))
    (package / "assertions.py").write_text(textwrap.dedent(ASSERTIONS))
    (package / "systems.py").write_text(textwrap.dedent(SYSTEMS))
    eda = Path(systems_under_test.__file__).parent / "eda" / "system.yaml"
    (package / "orders.yaml").write_text(
        eda.read_text().replace("system: eda", "system: acme-orders", 1)
    )
    info = site / "acme_chaos-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-chaos\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(ENTRY_POINTS)


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("third-party")
    site = root / "site"
    site.mkdir()
    _install(site)
    (root / "acme.chaos.yaml").write_text(EXPERIMENT)
    (root / "misspelt.chaos.yaml").write_text(MISSPELT)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), *sys.path])}
    done = subprocess.run(
        [sys.executable, "-c", DRIVER],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])  # type: ignore[no-any-return]


@pytest.mark.slow
def test_an_experiment_runs_with_a_third_party_fault_assertion_and_system(
    report: dict[str, Any],
) -> None:
    assert report["system"] == "acme-orders"
    assert report["faults_acted"] == [0]  # the third-party fault could act on the system
    assert report["results"] == [["acme.some_completed", "passed"], ["no_loss", "passed"]]
    assert report["verdict"] == "survived", report["reason"]


@pytest.mark.slow
def test_validate_knows_third_party_names_and_suggests_them(report: dict[str, Any]) -> None:
    code, out = report["valid"]
    assert (code, out) == (0, "1 experiment in 1 file is valid\n")
    code, out = report["misspelt"]
    assert code == 2
    assert "unknown system 'acme-order'" in out and "did you mean 'acme-orders'?" in out
    assert "unknown fault type 'acme.slowdwn'" in out and "did you mean 'acme.slowdown'?" in out
    assert "did you mean 'acme.some_completed'?" in out


@pytest.mark.slow
def test_the_json_schema_has_the_third_party_types(report: dict[str, Any]) -> None:
    schema = json.loads(report["schema"])
    experiment = schema["$defs"]["Experiment"]["properties"]
    faults = json.dumps(experiment["faults"]) + json.dumps(schema["$defs"])
    assert "acme.slowdown" in faults and "acme.some_completed" in faults
    assert "acme-orders" in json.dumps(experiment["systems"])
