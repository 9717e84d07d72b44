"""The README tells the truth: its sample outputs are what the tool prints, its commands run.

Source: issue 13 item 5 ("every sample output in the README ... is produced by
`scripts/update_readme.py`, and a test fails when the README differs from what it would
generate. Every command in the README runs as written ..., installs, the full test command
and pre-commit excepted").

That the generated blocks are current is checked by `.ci/run` itself
(`python scripts/update_readme.py --check`): regenerating them runs about ninety simulations
(the whole library, a sweep, a search, many seeds), minutes of CPU the unit suite should not
spend. Here: the generator's structure, and every command the README shows but no generated
block runs, run as written.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
SMALL_LIBRARY = ("baseline",)
"""What `experiments/` holds where the commands run: the library-wide commands run as
written, on one short experiment rather than fourteen. The commands whose output the README
shows (its run summary, the walkthrough) run in the generator's test, on the real library."""
EXCEPTED = re.compile(r"pip install|pytest -n auto|pre-commit")


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "update_readme", ROOT / "scripts" / "update_readme.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _commands(readme: str) -> list[str]:
    """Every command of every ```bash block: continuation lines joined, trailing comments
    dropped, a here-document kept with its command (to its closing word)."""
    commands: list[str] = []
    for block in re.findall(r"```bash\n(.*?)```", readme, re.S):
        lines = iter(block.replace("\\\n", " ").splitlines())
        for line in lines:
            command = re.sub(r"\s{2,}#.*$", "", line).strip()
            if heredoc := re.search(r"<<'?(\w+)'?", command):
                body = []
                for more in lines:
                    body.append(more)
                    if more.strip() == heredoc[1]:
                        break
                command = "\n".join([command, *body])
            if command and not EXCEPTED.search(command):
                commands.append(command)
    return commands


def _generated_commands(readme: str) -> str:
    """The ```bash blocks whose output a generated block shows (the generator runs them)."""
    generator = _generator()
    return "".join(
        f"```bash\n{generator.shell_block(readme, heading, index)}```\n"
        for heading, index in generator.SHOWN_COMMANDS
    )


def test_the_generator_finds_every_block_and_rejects_unknown_ones() -> None:
    generator = _generator()
    readme = README.read_text(encoding="utf-8")
    names = {match["name"] for match in generator.BLOCK.finditer(readme)}
    assert names == set(generator.PRODUCERS)
    with pytest.raises(SystemExit, match="no producer"):
        generator.generate("<!-- generated:nope -->\n<!-- /generated:nope -->\n")


def test_commands_are_extracted_whole() -> None:
    commands = _commands(README.read_text(encoding="utf-8"))
    copy = [c for c in commands if c.startswith("sed -e") and "> my-outage.chaos.yaml" in c]
    assert len(copy) == 1 and "\n" not in copy[0], copy  # the continued line joined
    assert not [c for c in commands if EXCEPTED.search(c)]


def test_a_here_document_stays_with_its_command() -> None:
    block = "```bash\ncat > f.yaml <<'EOF'\na: 1\n  b: 2\nEOF\nchaos-arena validate f.yaml\n```\n"
    assert _commands(block) == [
        "cat > f.yaml <<'EOF'\na: 1\n  b: 2\nEOF",
        "chaos-arena validate f.yaml",
    ]


@pytest.mark.slow
def test_every_readme_command_runs_as_written(tmp_path: Path) -> None:
    """In a scratch project (the small library, the examples), in order, each exits 0, or 1
    where the README says a verdict is not as expected."""
    (tmp_path / "experiments").mkdir()
    for name in SMALL_LIBRARY:
        shutil.copy(ROOT / "experiments" / f"{name}.chaos.yaml", tmp_path / "experiments")
    shutil.copytree(
        ROOT / "examples", tmp_path / "examples", ignore=shutil.ignore_patterns("__pycache__")
    )
    # A user's project has tests of its own: `pytest -m "not chaos"` selects them.
    (tmp_path / "test_own.py").write_text("def test_own_code():\n    assert True\n")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    env.pop("GITHUB_STEP_SUMMARY", None)
    readme = README.read_text(encoding="utf-8")
    shown = set(_commands(_generated_commands(readme)))
    for command in [c for c in _commands(readme) if c not in shown]:
        done = subprocess.run(
            ["bash", "-e", "-c", command],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode in (0, 1), f"{command}\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"


@pytest.mark.slow
def test_the_readme_hypothesis_example_passes(tmp_path: Path) -> None:
    """The `@given` example under "Fault-space search" is a passing test as written."""
    readme = README.read_text(encoding="utf-8")
    (example,) = [b for b in re.findall(r"```python\n(.*?)```", readme, re.S) if "@given" in b]
    (tmp_path / "test_readme_given.py").write_text(example, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", tmp_path],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:]
