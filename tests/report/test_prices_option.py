"""Price overrides: a system definition's `prices:` and `chaos-arena run --prices FILE`
(which wins), and their located errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import systems_under_test
from chaos._cli import main

EDA = Path(systems_under_test.__file__).parent / "eda" / "system.yaml"
EXPERIMENT = """\
experiment: priced
duration: 10s
systems: [./system.yaml]
workload: {steady: {rate: 2/s, for: 5s}}
assertions: [no_loss]
"""
THOUSAND = "prices:\n  apigateway.rest_requests: {usd: 1000, per: 1000000}\n"
MILLION = "prices:\n  apigateway.rest_requests: {usd: 1000000, per: 1000000}\n"


def _setup(tmp_path: Path, *, prices: str | None) -> Path:
    system = EDA.read_text().replace("system: eda", "system: priced-eda")
    if prices is not None:
        system += f"prices: {prices}\n"
    (tmp_path / "system.yaml").write_text(system)
    (tmp_path / "thousand.yaml").write_text(THOUSAND)
    (tmp_path / "million.yaml").write_text(MILLION)
    path = tmp_path / "priced.chaos.yaml"
    path.write_text(EXPERIMENT)
    return path


def _api_cost(tmp_path: Path, *arguments: str) -> tuple[float, list[str]]:
    journals = tmp_path / "journals"
    code = main(["run", *arguments, "--journal", str(journals), "--report", "none", "-j", "1"])
    assert code == 0
    document = json.loads((journals / "priced.priced-eda.json").read_text())
    cost = document["cost"]
    return cost["by_service"]["apigateway"] - _websocket(cost), cost["prices"]["files"]


def _websocket(cost: dict[str, object]) -> float:
    lines = cost["lines"]
    assert isinstance(lines, list)
    return sum(line["usd"] for line in lines if "websocket" in line["meter"])


def test_a_system_definition_names_its_prices(tmp_path: Path) -> None:
    path = _setup(tmp_path, prices="thousand.yaml")
    api, files = _api_cost(tmp_path, str(path))
    assert api == pytest.approx(10 * 1000 / 1e6)  # 10 requests at $1,000 per million
    assert files[0] == "chaos/prices/us-east-1.yaml"
    assert files[-1].endswith("thousand.yaml")


def test_the_command_line_wins(tmp_path: Path) -> None:
    path = _setup(tmp_path, prices="thousand.yaml")
    api, files = _api_cost(tmp_path, str(path), "--prices", str(tmp_path / "million.yaml"))
    assert api == pytest.approx(10 * 1.0)
    assert files[-1].endswith("million.yaml")


def test_a_missing_price_file_is_located_in_the_definition(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _setup(tmp_path, prices="nowhere.yaml")
    assert main(["validate", "--no-import", str(path)]) == 2
    out = capsys.readouterr().out
    assert "system.yaml:" in out and "price table 'nowhere.yaml' not found" in out
    assert "at: prices" in out


def test_a_bad_price_file_on_the_command_line_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _setup(tmp_path, prices=None)
    bad = tmp_path / "bad.yaml"
    bad.write_text("prices:\n  sqs.requests: {usd: cheap}\n")
    assert main(["run", str(path), "--prices", str(bad)]) == 2
    err = capsys.readouterr().err
    assert f"{bad}:2:" in err and "usd must be a number" in err
