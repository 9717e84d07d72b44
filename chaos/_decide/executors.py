"""Where many runs execute: in this process, on the local process pool, or on Dask.

Every executor takes `chaos._execution.Job`s (plain data: the experiment as loaded, its
resolved systems, the system's position and the seed) and yields their `RunSummary`s in job
order, calling `finished` as each run ends. A run is a pure function of its job, so the
executor changes where it happens, never what it gives: the digests are the same.

Dask (`--executor dask://HOST:PORT`, the optional extra `chaos-arena[dask]`): each task
runs its job in a fresh interpreter on the worker (`chaos._decide.child`), because a run
patches process-global state (freezegun's clock, `time.sleep`, `os.environ`) that the
worker's own event loop and threads would see: in-thread, finished tasks went unreported.
Start workers with one thread each (`dask worker HOST:PORT --nworkers N --nthreads 1`) so a
worker runs one run at a time. The handlers of the systems must be importable on the
workers at the same paths (install the project there, or share its directory).
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol

from chaos._errors import ChaosError, InternalError, SetupError, SpecError
from chaos._execution import Job, run_in_workers
from chaos._report.data import RunSummary

Finished = Callable[[], None]


class Executor(Protocol):
    """Runs jobs and gives back their summaries, in job order."""

    def run(self, jobs: Sequence[Job], finished: Finished | None = None) -> Iterator[RunSummary]:
        """The summaries of `jobs`, in order."""
        ...

    @property
    def description(self) -> str:
        """Where the runs go, for messages: `2 local processes`, `dask://host:8786`."""
        ...


def run_job(job: Job) -> dict[str, Any]:
    """One job, here: its summary as plain data, or the error it met as text (the form a
    task sends back from another process or machine)."""
    from chaos._engine.runner import run_one
    from chaos._loading import loader
    from chaos._report.journal import journaled_summary

    try:
        loaded = loader().rebuild(job.experiment)
        outcome = run_one(loaded, loaded.systems[job.system_index], seed=job.seed)
        return {"summary": journaled_summary(outcome, job.journal).to_dict()}
    except SpecError as error:
        return {"user_error": error.render()}
    except ChaosError as error:
        return {"user_error": str(error)}
    except Exception as error:
        return {"error": f"{type(error).__name__}: {error}"}


def run_job_in_child(job: Job) -> dict[str, Any]:
    """`run_job` in a fresh interpreter (`chaos._decide.child`): what a Dask task runs, so
    the run's process-global patches never reach the worker's event loop and threads."""
    with tempfile.TemporaryDirectory(prefix="chaos-arena-task-") as scratch:
        job_file, result_file = Path(scratch, "job.pickle"), Path(scratch, "result.pickle")
        job_file.write_bytes(pickle.dumps(job))
        command = [sys.executable, "-m", "chaos._decide.child", str(job_file), str(result_file)]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if not result_file.exists():
            tail = done.stderr.strip().splitlines()[-3:]
            return {"error": f"its process exited with code {done.returncode}: {' / '.join(tail)}"}
        result: dict[str, Any] = pickle.loads(result_file.read_bytes())
        return result


def _summary(job: Job, result: dict[str, Any], where: str) -> RunSummary:
    if "user_error" in result:
        raise SetupError(f"{job.path}::{job.name}: {result['user_error']}")
    if "error" in result:
        raise InternalError(
            f"{job.path}::{job.name} (seed {job.seed}) crashed {where}: {result['error']}",
            seed=job.seed,
        )
    return RunSummary.from_dict(result["summary"])


class InProcess:
    """Runs one job after another in this process: no start-up cost, for one worker."""

    description = "this process"

    def run(self, jobs: Sequence[Job], finished: Finished | None = None) -> Iterator[RunSummary]:
        for job in jobs:
            summary = _summary(job, run_job(job), "in this process")
            if finished is not None:
                finished()
            yield summary


class LocalPool:
    """The local process pool of `chaos._execution` (spawned workers)."""

    def __init__(self, workers: int) -> None:
        self.workers = workers

    @property
    def description(self) -> str:
        return f"{self.workers} local processes"

    def run(self, jobs: Sequence[Job], finished: Finished | None = None) -> Iterator[RunSummary]:
        if not jobs:
            return iter(())
        if min(self.workers, len(jobs)) <= 1:
            return InProcess().run(jobs, finished)
        return run_in_workers(jobs, min(self.workers, len(jobs)), finished=finished)


class DaskCluster:
    """A Dask distributed scheduler at `address`; each task is one job."""

    def __init__(self, address: str) -> None:
        self.address = address
        """`HOST:PORT`, as written after `dask://`."""

    @property
    def description(self) -> str:
        return f"{DASK_SCHEME}{self.address}"

    def run(self, jobs: Sequence[Job], finished: Finished | None = None) -> Iterator[RunSummary]:
        try:
            from distributed import Client
        except ImportError:
            raise SetupError(
                "--executor dask://... needs Dask: pip install 'chaos-arena[dask]'"
            ) from None
        try:
            client = Client(  # type: ignore[no-untyped-call]
                f"tcp://{self.address}", timeout="10s", set_as_default=False
            )
        except (OSError, TimeoutError) as error:
            raise SetupError(
                f"cannot reach the Dask scheduler at {self.address}: {error}"
            ) from None
        with client:
            # One submit per job: client.map's futures of these tasks stayed pending after
            # the scheduler had their results (distributed 2026.8). pure=False: two equal
            # jobs (the same seed twice) are still two runs.
            futures = [client.submit(run_job_in_child, job, pure=False) for job in jobs]
            if finished is not None:
                for future in futures:
                    future.add_done_callback(lambda _: finished())  # type: ignore[no-untyped-call]
            for job, future in zip(jobs, futures, strict=True):
                yield _summary(job, future.result(), f"on {self.description}")


DASK_SCHEME = "dask://"


def executor_for(spec: str | None, workers: int | None = None) -> Executor:
    """The executor an `--executor` value names: `local` (default) or `dask://HOST:PORT`;
    `workers` is the size of the local pool (default: one per CPU)."""
    if spec is None or spec == "local":
        return LocalPool(workers or os.cpu_count() or 1)
    if spec.startswith(DASK_SCHEME):
        address = spec.removeprefix(DASK_SCHEME)
        host, _, port = address.rpartition(":")
        if not host or not port.isdigit():
            raise SetupError(
                f"--executor {spec}: write dask://HOST:PORT, e.g. dask://127.0.0.1:8786"
            )
        return DaskCluster(address)
    raise SetupError(f"--executor {spec!r}: write 'local' or dask://HOST:PORT")
