"""One run in a process of its own: `python -m chaos._decide.child JOB RESULT`.

A Dask worker runs its tasks in a thread beside its event loop, and a run patches
process-global state (freezegun's clock and its module attributes, `time.sleep`,
`os.environ`, streams): the worker's own timers and messages, read and sent while a run is
active, go wrong (a finished task was never reported to the scheduler). So each Dask task
starts this module in a fresh interpreter instead: the run gets a process of its own, as a
local worker gives it, and a handler that ends its process ends only this child. The job
comes in a pickle file, the result (plain data) goes out in another; the child's stdout and
stderr are the handler's business.
"""

from __future__ import annotations

import pickle
import sys
from pathlib import Path


def main(job_file: str, result_file: str) -> int:
    from chaos._decide.executors import run_job

    job = pickle.loads(Path(job_file).read_bytes())
    result = run_job(job)
    Path(result_file).write_bytes(pickle.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
