"""Run many (experiment, system) pairs in worker processes and bring back summaries.

Each run is a pure function of (experiment, system, seed), so runs are independent: a worker
gets the experiment as the plan loaded it (its data and its resolved systems: no file is read
again), runs, writes the journal (the ledger stays in the worker) and returns the run's
`RunSummary` as plain data. Results are collected in plan order, so the report and the
journals are the same as a serial run's. Execution, not reporting: it uses the engine, and
`report` for what a run keeps.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chaos._errors import ChaosError, InternalError, SetupError, SpecError
from chaos._report.data import RunSummary
from chaos._spec.loader import PortableExperiment


@dataclass(frozen=True)
class Job:
    """One run, as plain data a spawned worker rebuilds exactly."""

    experiment: PortableExperiment
    name: str
    """The experiment's name, for messages."""
    system_index: int
    """Which of the experiment's (resolved) systems runs."""
    seed: int
    """The seed that runs (the override, or the experiment's own)."""
    journal: Path | None

    @property
    def path(self) -> Path:
        return self.experiment.path


def _work(job: Job) -> dict[str, Any]:
    from chaos._engine.runner import run_one
    from chaos._loading import loader
    from chaos._report.journal import journaled_summary

    try:
        loaded = loader().rebuild(job.experiment)
        outcome = run_one(loaded, loaded.systems[job.system_index], seed=job.seed)
        return {"summary": journaled_summary(outcome, job.journal).to_dict()}
    except SpecError as error:  # crosses a process boundary: sent back as text
        return {"user_error": error.render()}
    except ChaosError as error:
        return {"user_error": str(error)}
    except Exception as error:
        return {"error": f"{type(error).__name__}: {error}"}


def run_in_workers(
    jobs: Sequence[Job], workers: int, *, finished: Callable[[], None] | None = None
) -> Iterator[RunSummary]:
    """The summaries of `jobs`, in order, computed by `workers` processes; `finished` is
    called as each run ends, in whatever order they end.

    A user's mistake found in a worker (a handler that cannot be imported, say) is the same
    SetupError it would be in a serial run; anything else is an internal error.
    """
    # spawn, not fork: a forked child would inherit the progress display's thread and moto's
    # patched state mid-flight.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        futures: list[Future[dict[str, Any]]] = [pool.submit(_work, job) for job in jobs]
        if finished is not None:
            for future in futures:
                future.add_done_callback(lambda _: finished())
        for job, future in zip(jobs, futures, strict=True):
            result = future.result()
            if "user_error" in result:
                raise SetupError(f"{job.path}::{job.name}: {result['user_error']}")
            if "error" in result:
                raise InternalError(
                    f"{job.path}::{job.name} crashed in a worker: {result['error']}",
                    seed=job.seed,
                )
            yield RunSummary.from_dict(result["summary"])
