"""How fast Ctrl-C and SIGTERM stop `chaos-arena run experiments/` (issue 13: within 2 s).

Starts the run on the shipped library in a scratch copy, lets it work for `--after` seconds,
sends the signal and times the exit: the seconds from the signal to the process's end, its
exit code, and how many runs it reported as finished. Figures only: nothing is asserted.

    python bench/interrupt.py                       # SIGINT after 10 s, then SIGTERM
    python bench/interrupt.py --after 5 --jobs 1
"""

from __future__ import annotations

import argparse
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def stop_after(after: float, signum: int, jobs: str) -> tuple[float, int, str]:
    with tempfile.TemporaryDirectory(prefix="chaos-interrupt-") as scratch:
        shutil.copytree(ROOT / "experiments", Path(scratch, "experiments"))
        command = [sys.executable, "-m", "chaos", "run", "experiments", "--jobs", jobs]
        process = subprocess.Popen(
            command, cwd=scratch, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        time.sleep(after)
        sent = time.monotonic()
        process.send_signal(signum)
        _out, err = process.communicate()
        took = time.monotonic() - sent
    finished = next((line for line in err.splitlines() if "runs finished" in line), "")
    return took, process.returncode, finished.strip()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--after", type=float, default=10.0, help="seconds before the signal")
    parser.add_argument("--jobs", default="2", help="--jobs for the run (default: 2)")
    args = parser.parse_args()
    for signum in (signal.SIGINT, signal.SIGTERM):
        took, code, finished = stop_after(args.after, signum, args.jobs)
        name = signal.Signals(signum).name
        print(f"{name} after {args.after:g}s: exited {code} in {took:.2f}s; {finished}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
