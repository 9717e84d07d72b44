"""Record or check the shipped experiments' ledger digests: has a change moved any result?

    python scripts/digests.py --write digests.json     # before the change
    python scripts/digests.py --check digests.json     # after: exit 1 and a list if any moved

Runs `chaos-arena run` on the library (`experiments/`) and the examples (`examples/*/`) with
`--journal`, and reads each journal's `ledger_digest` and verdict. A change meant to keep
behaviour (a refactor, a rename, a speed-up) must leave every digest as it was; a change meant
to alter results says in CHANGELOG.md which ones moved and why.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def collect(root: Path) -> dict[str, dict[str, str]]:
    """`{experiment[system]: {"digest": ..., "verdict": ...}}` for the library and examples."""
    examples = sorted(path for path in (root / "examples").iterdir() if path.is_dir())
    targets = [root / "experiments", *examples]
    found: dict[str, dict[str, str]] = {}
    for target in targets:
        with tempfile.TemporaryDirectory() as journals:
            command = [sys.executable, "-m", "chaos", "run", str(target), "--report", "none"]
            command += ["--journal", journals]
            done = subprocess.run(command, cwd=root, capture_output=True, text=True, check=False)
            if done.returncode not in (0, 1):
                sys.exit(f"{' '.join(command)} exited {done.returncode}:\n{done.stderr}")
            for path in sorted(Path(journals).glob("*.json")):
                document = json.loads(path.read_text(encoding="utf-8"))
                if "ledger_digest" not in document:
                    continue
                key = f"{target.name}/{document['experiment']}[{document['system']}]"
                found[key] = {"digest": document["ledger_digest"], "verdict": document["verdict"]}
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--write", type=Path, metavar="FILE", help="record the digests")
    group.add_argument("--check", type=Path, metavar="FILE", help="compare with a record")
    args = parser.parse_args()
    now = collect(ROOT)
    if args.write is not None:
        args.write.write_text(json.dumps(now, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        print(f"{len(now)} digests written to {args.write}")
        return 0
    before = json.loads(args.check.read_text(encoding="utf-8"))
    moved = [
        f"{key}: verdict {before.get(key, {}).get('verdict', '-')} -> "
        f"{now.get(key, {}).get('verdict', '-')}"
        for key in sorted(before.keys() | now.keys())
        if before.get(key) != now.get(key)
    ]
    for line in moved:
        print(f"moved  {line}")
    print(f"{len(now)} digests, {len(moved)} moved")
    return 1 if moved else 0


if __name__ == "__main__":
    raise SystemExit(main())
