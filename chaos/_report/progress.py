"""The live progress display of `chaos-arena run`: per run, virtual time and requests sent.

It draws only on an interactive console and disappears when done; in CI logs and pipes it
stays silent, since the report that follows says everything. The engine calls the returned
callbacks from its sampler (240 times a run); rich redraws at its own pace.
"""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn

from chaos._report.charts import clock
from chaos._result import Progress as RunProgressInfo


class RunProgress:
    """Context manager around rich's Progress; a no-op when the console is not interactive."""

    def __init__(self, console: Console, total_runs: int) -> None:
        self.enabled = console.is_terminal and not console.is_dumb_terminal
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(bar_width=24),
            TextColumn("{task.fields[clock]}"),
            TextColumn("{task.fields[requests]}"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
            disable=not self.enabled,
        )
        self._overall = self._progress.add_task(
            f"0/{total_runs} runs", total=total_runs, clock="", requests=""
        )
        self._total = total_runs
        self._finished = 0

    def __enter__(self) -> RunProgress:
        self._progress.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._progress.stop()

    def start(self, name: str) -> tuple[TaskID, Callable[[RunProgressInfo], None] | None]:
        """A task for one run, and the callback the engine feeds (None when disabled)."""
        # Descriptions are rich markup: `exp[sync]` would lose its `[sync]` unescaped.
        task = self._progress.add_task(f"  {escape(name)}", total=1.0, clock="", requests="")
        if not self.enabled:
            return task, None

        def update(info: RunProgressInfo) -> None:
            self._progress.update(
                task,
                completed=info.t / info.duration if info.duration else 1.0,
                clock=f"{clock(round(info.t))}/{clock(info.duration)} virtual",
                requests=f"{info.requests:,}/{info.total_requests:,} requests",
            )

        return task, update

    def finish(self, task: TaskID) -> None:
        self._progress.remove_task(task)
        self.advance()

    def advance(self) -> None:
        """One more run finished (parallel runs report only this)."""
        self._finished += 1
        self._progress.update(
            self._overall, advance=1, description=f"{self._finished}/{self._total} runs"
        )
