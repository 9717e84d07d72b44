"""Run many (experiment, system) pairs in supervised worker processes.

Each run is a pure function of (experiment, system, seed), so runs are independent: a worker
gets the experiment as the plan loaded it (its data and its resolved systems: no file is read
again), runs, writes the journal (the ledger stays in the worker) and sends back the run's
`RunSummary` as plain data, plus its progress while it runs.

The pool is supervised rather than a `ProcessPoolExecutor`, for two reasons:

- A handler may end its process where no Python code can stop it (a C extension calling
  `exit`, a segfault). The executor would break and lose every run; here the run that was
  in that worker fails alone (`Died`), a fresh worker takes its place and the rest go on.
- Ctrl-C and SIGTERM must stop everything within a couple of seconds. Workers ignore SIGINT
  (a terminal sends it to the whole process group; the parent decides) and treat SIGTERM as
  "stop this run now": the sandbox's interrupt handling ends the run at its next event, and a
  journal being written is removed rather than left half-written. The parent stops waiting,
  terminates busy workers and kills any that do not exit within a grace period.
"""

from __future__ import annotations

import multiprocessing
import signal
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

from chaos._errors import ChaosError, InternalError, SetupError, SpecError
from chaos._report.data import RunSummary
from chaos._result import Progress
from chaos._spec.loader import PortableExperiment

GRACE_SECONDS = 1.0
"""How long a terminated worker gets to exit before it is killed."""
POLL_SECONDS = 0.05
"""How often the parent looks at its stop condition while waiting for workers."""


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


@dataclass(frozen=True)
class Finished:
    """A run that ended in its worker: its summary (journal already written)."""

    index: int
    summary: RunSummary


@dataclass(frozen=True)
class Died:
    """A run whose worker process ended under it; nothing of the run survived."""

    index: int
    reason: str


@dataclass(frozen=True)
class Ran:
    """Progress of a run in a worker."""

    index: int
    progress: Progress


Event = Finished | Died | Ran


def _work(job: Job, report: Callable[[Progress], None] | None = None) -> dict[str, Any]:
    from chaos._engine.runner import run_one
    from chaos._loading import loader
    from chaos._report.journal import journaled_summary
    from chaos._result import RunInterrupted

    try:
        loaded = loader().rebuild(job.experiment)
        system = loaded.systems[job.system_index]
        outcome = run_one(loaded, system, seed=job.seed, progress=report)
        return {"summary": journaled_summary(outcome, job.journal).to_dict()}
    except RunInterrupted as stop:
        return {"interrupted": stop.signum}
    except SpecError as error:  # crosses a process boundary: sent back as text
        return {"user_error": error.render()}
    except ChaosError as error:
        return {"user_error": str(error)}
    except Exception as error:
        return {"error": f"{type(error).__name__}: {error}"}


def _stop_this_run(_signum: int, _frame: object) -> None:
    # Outside a run (between jobs, writing a journal): unwind, so atomic writes clean up.
    raise SystemExit(128 + signal.SIGTERM)


def _worker_main(connection: Connection) -> None:
    """A worker: run jobs from `connection` until told to stop (None) or the parent goes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _stop_this_run)

    def report(progress: Progress) -> None:
        connection.send(("progress", progress))

    try:
        while (job := connection.recv()) is not None:
            result = _work(job, report)
            connection.send(("done", result))
            if "interrupted" in result:
                break  # stopped by a signal: this worker's work is over
    except (EOFError, BrokenPipeError, SystemExit):
        pass  # the parent has gone or stopped us: nothing is left to tell
    finally:
        import gc

        # Skip the collector's final pass over moto's and the engine's object graphs: the
        # process is ending, and it would only delay the parent's join.
        gc.freeze()


class _Worker:
    """One spawned process and the parent's end of its pipe."""

    def __init__(self, context: Any) -> None:
        self.connection, child = context.Pipe()
        self.process = context.Process(
            target=_worker_main, args=(child,), name="chaos-arena-worker", daemon=True
        )
        self.process.start()
        child.close()
        self.job: int | None = None

    def give(self, index: int, job: Job) -> None:
        self.job = index
        self.connection.send(job)

    def receive(self) -> tuple[str, Any] | None:
        """The worker's next message, or None when its pipe closed (it died)."""
        try:
            return self.connection.recv()  # type: ignore[no-any-return]
        except (EOFError, OSError):
            return None

    def death(self) -> str:
        self.process.join(GRACE_SECONDS)
        code = self.process.exitcode
        if code is not None and code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = f"signal {-code}"
            return f"the worker process running it was killed by {name}"
        return f"the worker process running it exited with code {code} (a C-level exit?)"

    def stop(self, *, now: bool) -> None:
        if self.process.is_alive():
            if now:
                self.process.terminate()
            else:
                try:
                    self.connection.send(None)
                except OSError:
                    self.process.terminate()

    def reap(self) -> None:
        self.process.join(GRACE_SECONDS)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self.connection.close()


def supervise(
    jobs: Sequence[Job], workers: int, *, stopping: Callable[[], bool] = lambda: False
) -> Iterator[Event]:
    """Run `jobs` in up to `workers` processes; events in the order they happen.

    Stops early (terminating runs in flight) once `stopping()` is true: jobs with no
    `Finished` or `Died` event did not finish. A user's mistake found in a worker (a handler
    that cannot be imported, say) raises SetupError, as in a serial run; an unexpected
    exception in a worker raises InternalError.
    """
    # spawn, not fork: a forked child would inherit the progress display's thread and moto's
    # patched state mid-flight.
    context = multiprocessing.get_context("spawn")
    waiting = deque(enumerate(jobs))
    idle: list[_Worker] = []
    busy: dict[Connection, _Worker] = {}
    everyone: list[_Worker] = []
    clean = False
    try:
        while (waiting or busy) and not stopping():
            while waiting and len(busy) < workers:
                worker = idle.pop() if idle else _Worker(context)
                if worker not in everyone:
                    everyone.append(worker)
                index, job = waiting.popleft()
                worker.give(index, job)
                busy[worker.connection] = worker
            for ready in wait(list(busy), timeout=POLL_SECONDS):
                worker = busy[ready]  # type: ignore[index]
                event = _event(worker, jobs)
                if not isinstance(event, Ran):
                    del busy[worker.connection]
                    if isinstance(event, Died):
                        everyone.remove(worker)
                        worker.reap()
                    else:
                        idle.append(worker)
                if event is not None:
                    yield event
        clean = not busy
    finally:
        for worker in everyone:
            worker.stop(now=not clean)
        for worker in everyone:
            worker.reap()


def _event(worker: _Worker, jobs: Sequence[Job]) -> Event | None:
    """What a ready worker has to say (None: a run it stopped on a signal)."""
    index = worker.job
    assert index is not None
    message = worker.receive()
    if message is None:
        return Died(index, worker.death())
    kind, body = message
    if kind == "progress":
        return Ran(index, body)
    job = jobs[index]
    if "user_error" in body:
        raise SetupError(f"{job.path}::{job.name}: {body['user_error']}")
    if "error" in body:
        crash = f"{job.path}::{job.name} crashed in a worker: {body['error']}"
        raise InternalError(crash, seed=job.seed)
    worker.job = None
    if "interrupted" in body:
        name = signal.Signals(body["interrupted"]).name
        return Died(index, f"the worker process running it received {name} from outside")
    return Finished(index, RunSummary.from_dict(body["summary"]))


def run_in_workers(
    jobs: Sequence[Job], workers: int, *, finished: Callable[[], None] | None = None
) -> Iterator[RunSummary]:
    """The summaries of `jobs`, in order, computed by `workers` processes; `finished` is
    called as each run ends, in whatever order they end. A run whose worker died is an
    InternalError here; the CLI, which can report it as the run's verdict, uses `supervise`.
    """
    done: dict[int, RunSummary] = {}
    for event in supervise(jobs, workers):
        if isinstance(event, Died):
            job = jobs[event.index]
            raise InternalError(f"{job.path}::{job.name}: {event.reason}", seed=job.seed)
        if isinstance(event, Finished):
            done[event.index] = event.summary
            if finished is not None:
                finished()
    yield from (done[index] for index in range(len(jobs)))


class StopSignals:
    """SIGINT and SIGTERM while a command runs many runs: noted, acted on between events.

    The first signal asks the command to stop (runs in flight end at their next event, the
    report of the finished ones is written); a second one stops at once. Inside a run the
    sandbox's own handlers take over and hand back to these when the run ends.
    """

    def __init__(self) -> None:
        self.received: int | None = None
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> StopSignals:
        for signum in (signal.SIGINT, signal.SIGTERM):
            self._previous[signum] = signal.signal(signum, self._note)
        return self

    def __exit__(self, *_: object) -> None:
        for signum, previous in self._previous.items():
            signal.signal(signum, previous)

    def note(self, signum: int) -> None:
        if self.received is None:
            self.received = signum

    def _note(self, signum: int, _frame: object) -> None:
        if self.received is not None:
            raise KeyboardInterrupt  # the second signal: stop now
        self.received = signum

    @property
    def stopping(self) -> bool:
        return self.received is not None
