"""Regenerate every sample output in README.md from real runs, or check that it is current.

    python scripts/update_readme.py                 # rewrite the generated blocks
    python scripts/update_readme.py --check         # exit 1 with a diff if any block drifted
    python scripts/update_readme.py --only walkthrough-finding,validate

A generated block sits between `<!-- generated:NAME -->` and `<!-- /generated:NAME -->`; what
is between the markers is replaced by what the block's producer prints. Each producer runs the
commands the README shows (the walkthrough's shell block is taken from the README itself and
run as written) in a scratch copy of the project, at a fixed width of 100 columns, so what the
README shows is what a reader gets. The one liberty: a finding's request stories are cut to the
first, with `...` where the others were (the run prints them all).
"""

from __future__ import annotations

import argparse
import difflib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
WIDTH = "100"
BLOCK = re.compile(
    r"(<!-- generated:(?P<name>[\w-]+) -->\n)(?P<body>.*?)(<!-- /generated:(?P=name) -->)", re.S
)
COPIED = ("experiments", "examples", "chaos-experiment.schema.json")


class Scratch:
    """A throwaway copy of the project's experiments and examples, where commands run."""

    def __init__(self) -> None:
        self._directory = tempfile.TemporaryDirectory(prefix="chaos-readme-")
        self.path = Path(self._directory.name)
        for name in COPIED:
            source = ROOT / name
            if source.is_dir():
                shutil.copytree(
                    source, self.path / name, ignore=shutil.ignore_patterns("__pycache__")
                )
            else:
                shutil.copy(source, self.path / name)

    def sh(self, script: str, *, codes: tuple[int, ...] = (0, 1)) -> str:
        """Run `script` with bash; its standard output (failing loudly on other exit codes)."""
        env = {**os.environ, "COLUMNS": WIDTH, "NO_COLOR": "1", "TERM": "dumb"}
        env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
        env.pop("GITHUB_STEP_SUMMARY", None)
        done = subprocess.run(
            ["bash", "-e", "-c", script],
            check=False,
            cwd=self.path,
            env=env,
            capture_output=True,
            text=True,
        )
        if done.returncode not in codes:
            raise SystemExit(f"README command failed ({done.returncode}):\n{script}\n{done.stderr}")
        return done.stdout

    def close(self) -> None:
        self._directory.cleanup()


def fenced(text: str, language: str = "text") -> str:
    """A code block of `text`, without the spaces a terminal pads lines with."""
    lines = "\n".join(line.rstrip() for line in text.rstrip().splitlines())
    return f"```{language}\n{lines}\n```\n"


def shell_block(readme: str, heading: str, index: int = 0) -> str:
    """The `index`-th ```bash block after `heading` in the README, as written."""
    section = readme.split(heading, 1)[1]
    blocks = re.findall(r"```bash\n(.*?)```", section, re.S)
    return str(blocks[index])


STORY = re.compile(r"^\s+request r\d+:")
SECTION_END = re.compile(r"^(\s+reproduce:| [^ (]|\s*$)")
"""Where a finding's run of stories ends: its reproduce line, the next finding, a blank."""


def trim_stories(text: str) -> str:
    """A finding's request stories cut to the first, `   ...` where the rest were."""
    out: list[str] = []
    seen, skipping = 0, False
    for line in text.splitlines():
        if STORY.match(line):
            seen += 1
            if seen == 2:
                out.append("   ...")
            skipping = seen >= 2
        elif skipping and SECTION_END.match(line):
            seen, skipping = 0, False
        if not skipping:
            out.append(line)
    return "\n".join(out)


def finding_of(output: str) -> str:
    """The findings of a run's terminal output: after the timeline, before the scoreboard."""
    body = output.split("\nscoreboard ", 1)[0]
    timeline_end = body.index("\n\n", body.index("\n time "))
    return trim_stories(body[timeline_end:].strip("\n"))


def run_summary(scratch: Scratch, readme: str) -> str:
    command = shell_block(readme, "## What a run tells you")
    return fenced(scratch.sh(command))


def walkthrough_finding(scratch: Scratch, readme: str) -> str:
    return fenced(finding_of(scratch.sh(shell_block(readme, "### Walkthrough"))))


def walkthrough_fixed(scratch: Scratch, readme: str) -> str:
    """The walkthrough's second step, run after its first (the fix applied)."""
    scratch.sh(shell_block(readme, "### Walkthrough"))
    output = scratch.sh(shell_block(readme, "### Walkthrough", 1), codes=(0,))
    table = output.split("\n time ", 1)[0]
    return fenced(table.split("\n system ", 1)[1].join(["\n system ", ""]).strip("\n"))


def validate(scratch: Scratch, readme: str) -> str:
    shutil.copy(ROOT / "scripts" / "readme" / "broken.chaos.yaml", scratch.path)
    done = subprocess.run(
        [sys.executable, "-m", "chaos", "validate", "broken.chaos.yaml"],
        check=False,
        cwd=scratch.path,
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": WIDTH},
    )
    if done.returncode != 2:
        raise SystemExit(f"validate broken.chaos.yaml exited {done.returncode}, not 2")
    return fenced(done.stderr)


def results(scratch: Scratch, readme: str) -> str:
    scratch.sh("chaos-arena run experiments --report markdown --reports-dir out")
    report = (scratch.path / "out" / "chaos-report.md").read_text(encoding="utf-8").strip()
    return report.replace("## chaos-arena:", "#### chaos-arena:", 1) + "\n"


def seeds(scratch: Scratch, readme: str) -> str:
    """The seeds table a `--seeds` run prints before its per-run report."""
    output = scratch.sh(shell_block(readme, "## Many seeds"))
    table, _report = re.split(r"\n\n(?=═)", output, maxsplit=1)
    return fenced(table)


def sweep(scratch: Scratch, readme: str) -> str:
    return fenced(scratch.sh(shell_block(readme, "## Breaking points")))


def stop_conditions(scratch: Scratch, readme: str) -> str:
    """The verdict lines of a guarded run: where each guard tripped."""
    output = scratch.sh(shell_block(readme, "### Stop conditions"))
    table = output.split("\n time ", 1)[0]
    return fenced(table.split("\n system ", 1)[1].join(["\n system ", ""]).strip("\n"))


def fis_template(scratch: Scratch, readme: str) -> str:
    return fenced(scratch.sh(shell_block(readme, "### Export to AWS FIS"), codes=(0,)), "json")


def search(scratch: Scratch, readme: str) -> str:
    return fenced(trim_stories(scratch.sh(shell_block(readme, "### Fault-space search"))))


SHOWN_COMMANDS = (
    ("## What a run tells you", 0),
    ("### Walkthrough", 0),
    ("### Walkthrough", 1),
    ("## Many seeds", 0),
    ("## Breaking points", 0),
    ("### Stop conditions", 0),
    ("### Export to AWS FIS", 0),
    ("### Fault-space search", 0),
)
"""The README's ```bash blocks (heading, position) that producers run as written."""

PRODUCERS: dict[str, Callable[[Scratch, str], str]] = {
    "run-summary": run_summary,
    "walkthrough-finding": walkthrough_finding,
    "walkthrough-fixed": walkthrough_fixed,
    "validate": validate,
    "results": results,
    "seeds": seeds,
    "sweep": sweep,
    "stop-conditions": stop_conditions,
    "fis-template": fis_template,
    "search": search,
}


def generate(readme: str, only: set[str] | None = None) -> str:
    """The README with its generated blocks (those in `only`, or all) produced afresh."""
    names = [match["name"] for match in BLOCK.finditer(readme)]
    unknown = sorted(set(names) - PRODUCERS.keys()) + sorted((only or set()) - PRODUCERS.keys())
    if unknown:
        raise SystemExit(f"no producer for generated block(s): {', '.join(unknown)}")
    made: dict[str, str] = {}
    for name in names:
        if only is None or name in only:
            scratch = Scratch()
            try:
                made[name] = PRODUCERS[name](scratch, readme)
            finally:
                scratch.close()

    def replace(match: re.Match[str]) -> str:
        body = made.get(match["name"], match["body"])
        return f"{match.group(1)}{body}{match.group(4)}"

    return BLOCK.sub(replace, readme)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    parser.add_argument("--only", help="comma-separated block names (default: all)")
    args = parser.parse_args()
    only = set(args.only.split(",")) if args.only else None
    current = README.read_text(encoding="utf-8")
    wanted = generate(current, only)
    if args.check:
        if wanted == current:
            print("README.md is up to date")
            return 0
        diff = difflib.unified_diff(
            current.splitlines(keepends=True),
            wanted.splitlines(keepends=True),
            "README.md",
            "README.md (generated)",
        )
        sys.stdout.writelines(diff)
        print(
            "README.md differs from what scripts/update_readme.py generates: run it",
            file=sys.stderr,
        )
        return 1
    if wanted != current:
        README.write_text(wanted, encoding="utf-8")
        print("README.md updated")
    else:
        print("README.md was up to date")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
