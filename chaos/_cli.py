"""The command line: `chaos-arena` and `python -m chaos`.

Exit codes: 0 every verdict as expected, 1 some verdict not as expected, 2 invalid
experiment or setup, 3 internal error (a bug in chaos-arena), 130 interrupted (Ctrl-C), 143
stopped by SIGTERM (the report then covers the runs that finished).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from chaos._errors import ChaosError, Diagnostic, InternalError, SetupError, SpecError
from chaos._spec.volume import DEFAULT_MAX_REQUESTS  # cheap: no pydantic at import

if TYPE_CHECKING:
    from collections.abc import Callable

    from rich.console import Console, RenderableType
    from rich.progress import TaskID

    from chaos._execution import StopSignals
    from chaos._report.data import RunSummary
    from chaos._report.progress import RunProgress
    from chaos._report.session import ReportSession
    from chaos._result import Progress
    from chaos._spec.catalog import ResolvedSystem
    from chaos._spec.loader import LoadedExperiment, Loader
    from chaos._spec.prices import PriceTable

EXIT_OK = 0
EXIT_UNEXPECTED = 1
EXIT_INVALID = 2
EXIT_INTERNAL = 3


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="chaos-arena",
        description="Chaos experiments for serverless AWS architectures, in virtual time.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run = commands.add_parser("run", help="run experiments and print which systems survived")
    run.add_argument(
        "paths",
        nargs="+",
        type=Path,
        metavar="PATH",
        help="experiment files, or directories searched for *.chaos.yaml",
    )
    run.add_argument("--system", metavar="NAME", help="run only this system")
    run.add_argument("--experiment", metavar="NAME", help="run only this experiment")
    run.add_argument(
        "--only",
        action="append",
        metavar="EXPERIMENT[SYSTEM]",
        help="run only this experiment on this system; repeatable (an interrupted run "
        "prints the --only options that run what did not finish)",
    )
    seeds = run.add_mutually_exclusive_group()
    seeds.add_argument(
        "--seed", type=int, metavar="N", help="run every experiment with this one seed"
    )
    seeds.add_argument(
        "--seeds",
        type=_seeds,
        metavar="SEEDS",
        help="run every experiment once per seed (1-50, 1-5,9) and report survival rates "
        "with 95%% intervals; replaces the experiments' own seeds: (see README, Many seeds)",
    )
    run.add_argument(
        "--prices",
        type=Path,
        metavar="FILE",
        help="a price table whose prices override the shipped us-east-1 table (and any "
        "system definition's prices:) for every run's cost",
    )
    run.add_argument(
        "--journal",
        type=Path,
        metavar="DIR",
        help="write one JSON journal (and ledger) per experiment and system",
    )
    run.add_argument(
        "--report",
        action="append",
        metavar="KINDS",
        help="terminal (default), markdown, svg, html or none; comma-separated "
        "or repeated. Markdown is also appended to $GITHUB_STEP_SUMMARY",
    )
    run.add_argument(
        "--reports-dir",
        type=Path,
        default=Path("reports"),
        metavar="DIR",
        help="where markdown, svg and html reports go (default: reports)",
    )
    run.add_argument(
        "--fail-on",
        choices=("unexpected", "any-failure"),
        default="unexpected",
        help="exit 1 when a verdict is not the expected one (default), or when "
        "any system did not survive, expected or not",
    )
    run.add_argument(
        "--stories",
        type=_stories,
        default=3,  # failure.DEFAULT_STORIES, not imported: the CLI starts without the report
        metavar="N",
        help="request stories each finding shows in the report (default: 3; 'all' for "
        "every one); journals keep them all",
    )
    run.add_argument(
        "--jobs",
        "-j",
        type=_jobs,
        default=0,
        metavar="N",
        help="runs in parallel, in supervised worker processes (default: one per CPU); "
        "results and journals are the same as with -j 1, which runs in this process",
    )
    add_max_requests(run)
    _executor_option(run)
    run.set_defaults(handler=command_run)
    add_sweep_command(commands)
    add_spec_commands(commands)
    add_export_commands(commands)
    add_search_command(commands)
    return parser


def add_max_requests(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--max-requests",
        type=_request_limit,
        default=DEFAULT_MAX_REQUESTS,
        metavar="N",
        help="refuse an experiment that sends more than N requests a run (default: "
        f"{DEFAULT_MAX_REQUESTS:,}). A run keeps every request's history in memory, about "
        "3-4 KB a request, so the default keeps a run within a few GB; raise it for "
        "bigger runs if the machine has the memory",
    )


def _request_limit(text: str) -> int:
    try:
        value = int(text.replace("_", "").replace(",", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of requests") from None
    if value < 1:
        raise argparse.ArgumentTypeError("--max-requests must be at least 1")
    return value


def add_sweep_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sweep = commands.add_parser(
        "sweep",
        help="vary a key of an experiment and find each system's breaking point",
        description="Vary one key of an experiment over a range and find, per system, the "
        "largest (or smallest) value it survives, by bisection; several --vary make a "
        "grid of verdicts. A value counts as survived when every seed survived.",
    )
    sweep.add_argument("path", type=Path, metavar="FILE", help="the experiment file")
    sweep.add_argument(
        "--vary",
        action="append",
        required=True,
        metavar="PATH=LO..HI",
        help="a key of the experiment as written and its range, e.g. "
        "workload.bursts[0].rate=100/s..5000/s or faults[0].lambda.throttle.for=10s..2m; "
        "repeat for a grid",
    )
    sweep.add_argument("--experiment", metavar="NAME", help="the experiment, if FILE has several")
    sweep.add_argument("--system", metavar="NAME", help="sweep only this system")
    sweep.add_argument(
        "--seeds",
        type=_seeds,
        metavar="SEEDS",
        help="seeds run at every value (default: the experiment's seeds:, else its seed)",
    )
    sweep.add_argument(
        "--resolution",
        metavar="R",
        help="stop bisecting when the surviving and failing values are this close, in the "
        "key's unit (default: 1/32 of the range)",
    )
    sweep.add_argument(
        "--points",
        type=_points,
        default=5,
        metavar="N",
        help="values in the first grid, ends included (default: 5); a grid of several "
        "--vary uses N per key",
    )
    sweep.add_argument(
        "--report",
        action="append",
        metavar="KINDS",
        help="terminal (default), markdown, svg, html or none; comma-separated or repeated",
    )
    sweep.add_argument(
        "--reports-dir",
        type=Path,
        default=Path("reports"),
        metavar="DIR",
        help="where markdown, svg and html reports go (default: reports)",
    )
    sweep.add_argument(
        "--jobs", "-j", type=_jobs, default=0, metavar="N", help="local worker processes"
    )
    _executor_option(sweep)
    sweep.set_defaults(handler=command_sweep)


def _sweep_systems(loaded: LoadedExperiment, only: str | None) -> list[tuple[int, str]]:
    """(position, name) of the systems a sweep runs."""
    systems = [
        (index, system.name)
        for index, system in enumerate(loaded.systems)
        if only is None or system.name == only
    ]
    if not systems:
        raise SetupError(f"{loaded.experiment.experiment} does not run system {only!r}")
    return systems


def _points(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of points") from None
    if not 2 <= value <= 50:
        raise argparse.ArgumentTypeError("--points must be from 2 to 50")
    return value


def command_sweep(args: argparse.Namespace) -> int:
    """Breaking points (one --vary) or a grid (several); exit 0 once it has its answer."""
    from rich.console import Console

    from chaos._decide.executors import executor_for
    from chaos._decide.many import seeds_of
    from chaos._decide.render import grid_markdown, grid_section, sweep_markdown, sweep_section
    from chaos._decide.sweep import PointLoader, grid, parse_resolution, parse_vary, sweep
    from chaos._loading import loader
    from chaos._report.files import FILE_NAMES
    from chaos._report.kinds import parse_kinds

    try:
        kinds = parse_kinds(args.report or ["terminal"])
    except ValueError as error:
        raise SetupError(f"--report: {error}") from None
    loading = loader()
    experiments = loading.file(args.path)
    if args.experiment is not None:
        experiments = [e for e in experiments if e.experiment.experiment == args.experiment]
        if not experiments:
            raise SetupError(f"no experiment named {args.experiment!r} in {args.path}")
    if len(experiments) > 1:
        names = ", ".join(e.experiment.experiment for e in experiments)
        raise SetupError(f"{args.path} has several experiments ({names}); pick one: --experiment")
    (loaded,) = experiments
    systems = _sweep_systems(loaded, args.system)
    varies = [parse_vary(text, loaded) for text in args.vary]
    if len({v.key for v in varies}) != len(varies):
        raise SetupError("--vary: the same key twice")
    if args.resolution is not None and len(varies) > 1:
        raise SetupError("--resolution applies to one --vary (a grid is not bisected)")
    resolution = parse_resolution(args.resolution, varies[0])
    if kinds & set(FILE_NAMES):
        _directory(args.reports_dir, "--reports-dir")
    seeds = seeds_of(loaded, seeds=args.seeds)
    executor = executor_for(args.executor, args.jobs or None)
    points = PointLoader(loading, loaded, varies)
    console, errors = Console(), Console(stderr=True)
    try:
        # Every value of the first grid is loaded and checked before anything runs.
        if len(varies) == 1:
            for value in varies[0].grid(args.points):
                points.point((value,))
            result = sweep(
                points,
                varies[0],
                systems,
                seeds,
                executor,
                resolution=resolution,
                grid_points=args.points,
                round_done=lambda number, runs: errors.print(
                    f"chaos-arena: sweep round {number} done, {runs} runs so far",
                    highlight=False,
                ),
            )
            section, text = sweep_section(result), sweep_markdown(result)
        else:
            outcome = grid(points, varies, systems, seeds, executor, grid_points=args.points)
            section, text = grid_section(outcome), grid_markdown(outcome)
    except (ChaosError, KeyboardInterrupt):
        raise
    except Exception as error:
        raise InternalError(f"chaos-arena sweep failed: {type(error).__name__}: {error}") from error
    _sweep_reports(args, kinds, console, section, text)
    return EXIT_OK


def _sweep_reports(
    args: argparse.Namespace,
    kinds: frozenset[str],
    console: Console,
    section: RenderableType,
    text: str,
) -> None:
    from chaos._report.files import write_recorded

    if "terminal" in kinds:
        console.print(section)
    written = write_recorded(
        lambda recording: recording.print(section),
        kinds,
        args.reports_dir,
        markdown_text=lambda: text,
    )
    for path in written:
        console.print(f"chaos-arena: wrote {path}", markup=False, highlight=False, soft_wrap=True)


def add_search_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    search = commands.add_parser(
        "search",
        help="search an experiment's 'search:' space for a schedule that fails it "
        "(Hypothesis), shrink it and write it as an experiment",
    )
    search.add_argument("path", type=Path, metavar="FILE", help="an experiment file")
    search.add_argument("--system", required=True, metavar="NAME", help="the system to break")
    search.add_argument(
        "--experiment", metavar="NAME", help="which experiment of a file holding several"
    )
    search.add_argument(
        "--budget",
        type=_jobs,
        default=200,
        metavar="N",
        help="runs to spend, shrinking included (default: 200)",
    )
    search.add_argument(
        "--output",
        "-o",
        type=Path,
        default=Path("found"),
        metavar="DIR",
        help="where <experiment>-found-<system>.chaos.yaml goes (default: found)",
    )
    search.add_argument(
        "--seed", type=int, metavar="N", help="the seed every run uses (default: the experiment's)"
    )
    search.add_argument(
        "--database",
        type=Path,
        default=None,
        metavar="DIR",
        help="Hypothesis's example database, so a rerun starts from known failures "
        "(default: .chaos-arena/search)",
    )
    search.add_argument("--no-database", action="store_true", help="keep no example database")
    search.set_defaults(handler=command_search)


def command_search(args: argparse.Namespace) -> int:
    """Exit 1 when a failing schedule was found (and written), 0 when none within budget."""
    from rich.console import Console

    from chaos._report.data import summarize
    from chaos._report.failure import failure_lines
    from chaos._search.run import DEFAULT_DATABASE, Search, SearchProgress

    loaded, system = _one_system(args.path, args.experiment, args.system)
    _directory(args.output, "--output")
    errors = Console(stderr=True, highlight=False, soft_wrap=True)

    def progress(state: SearchProgress) -> None:
        best = f"; best failure so far: {state.best}" if state.best else ""
        errors.print(
            f"search: {state.tried}/{state.budget} tried, {state.failures} failed{best}",
            markup=False,
        )

    database = None if args.no_database else (args.database or DEFAULT_DATABASE)
    result = Search(
        loaded,
        system,
        budget=args.budget,
        output=args.output,
        database=database,
        seed=args.seed,
        progress=progress,
    ).run()
    invalid = f", {result.invalid} points made no valid experiment" if result.invalid else ""
    if result.outcome is None or result.choice is None or result.path is None:
        print(
            f"no failure found: {system.name} survived {result.tried} runs of the search "
            f"space of {loaded.experiment.experiment}{invalid}"
        )
        return EXIT_OK
    first = result.first_failure
    print(
        f"found a failing schedule for {system.name} after {result.tried} runs "
        f"({result.failures} failed{invalid})"
    )
    if first is not None and first != result.choice:
        print(f"  first failure: {first.describe()}")
    print(f"  shrunk to:     {result.choice.describe()}")
    print(f"wrote {result.path}")
    print(f"reproduce: chaos-arena run {result.path}")
    print()
    summary = summarize(result.outcome)
    print("\n".join(failure_lines(summary)[1:]))
    return EXIT_UNEXPECTED


def add_export_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`export fis`: an experiment's faults for another tool."""
    export = commands.add_parser(
        "export", help="export an experiment for another tool (fis: an AWS FIS template)"
    )
    formats = export.add_subparsers(dest="format", required=True, metavar="FORMAT")
    fis = formats.add_parser(
        "fis",
        help="write an AWS FIS experiment template (CreateExperimentTemplate input, JSON)",
    )
    fis.add_argument("path", type=Path, metavar="FILE", help="an experiment file")
    fis.add_argument("--system", required=True, metavar="NAME", help="the system to target")
    fis.add_argument(
        "--experiment", metavar="NAME", help="which experiment of a file holding several"
    )
    fis.add_argument(
        "--output",
        "-o",
        type=Path,
        metavar="FILE",
        help="write the template to FILE instead of printing it",
    )
    fis.set_defaults(handler=command_export_fis)


def command_export_fis(args: argparse.Namespace) -> int:
    """The template on stdout or in --output; what was left out, and why, on stderr."""
    import json

    from chaos._fis import fis_template
    from chaos._report.journal import write_atomically

    loaded, system = _one_system(args.path, args.experiment, args.system)
    export = fis_template(loaded.experiment, system)
    if not export.template["actions"]:
        reasons = "; ".join(s.sentence() for s in export.skipped) or "it has no faults"
        raise SetupError(
            f"nothing to export: no fault of {loaded.experiment.experiment!r} has an FIS "
            f"action against {system.name} ({reasons})"
        )
    for line in export.lines():
        print(f"chaos-arena: {line}", file=sys.stderr)
    text = json.dumps(export.template, indent=2) + "\n"
    if args.output is None:
        sys.stdout.write(text)
        return EXIT_OK
    try:
        write_atomically(args.output, text)
    except OSError as error:
        raise SetupError(f"cannot write {args.output}: {error.strerror}") from None
    print(f"wrote {args.output}", file=sys.stderr)
    return EXIT_OK


def _one_system(
    path: Path, experiment: str | None, system: str
) -> tuple[LoadedExperiment, ResolvedSystem]:
    """One experiment of a file and one of its systems, or a SetupError naming the choices."""
    from chaos._loading import loader

    if not path.is_file():
        raise SetupError(f"{path}: no such experiment file")
    found = loader().file(path)
    if experiment is not None:
        found = [e for e in found if e.experiment.experiment == experiment]
        if not found:
            raise SetupError(f"no experiment named {experiment!r} in {path}")
    if len(found) > 1:
        names = ", ".join(e.experiment.experiment for e in found)
        raise SetupError(f"{path} holds several experiments ({names}): choose with --experiment")
    (loaded,) = found
    for candidate in loaded.systems:
        if candidate.name == system:
            return loaded, candidate
    names = ", ".join(s.name for s in loaded.systems)
    raise SetupError(
        f"experiment {loaded.experiment.experiment!r} has no system {system!r}; its systems: "
        f"{names}"
    )


def command_run(args: argparse.Namespace) -> int:
    """Run, show progress on a terminal, then the report; exit codes in the module doc.

    A run whose verdict is `error` (its handlers could not even be imported) exits 2, like
    an invalid experiment: nothing was judged. Invalid files do not stop the valid rest (as
    under pytest): their problems are printed first, the rest runs, and the exit is 2.
    Ctrl-C or SIGTERM stops the runs in flight, reports the finished ones and says how to
    run the rest.
    """
    from rich.console import Console

    from chaos._execution import StopSignals
    from chaos._report.files import FILE_NAMES
    from chaos._report.kinds import parse_kinds
    from chaos._report.progress import RunProgress
    from chaos._report.session import ReportSession

    try:
        kinds = parse_kinds(args.report or ["terminal"])
    except ValueError as error:
        raise SetupError(f"--report: {error}") from None
    plan, problems = _run_plan(args)
    _announce_invalid(problems, plan)
    # Checked before hours of runs, not after: a file in the way is the user's to move.
    if args.journal is not None:
        _directory(args.journal, "--journal")
    if kinds & set(FILE_NAMES):
        _directory(args.reports_dir, "--reports-dir")
    session = ReportSession(
        kinds, reports_dir=args.reports_dir, journal=args.journal, stories=args.stories
    )
    if _many_runs(plan, args):
        return _run_many(plan, args, session)
    workers = min(args.jobs or os.cpu_count() or 1, len(plan))
    with StopSignals() as signals:
        try:
            with RunProgress(Console(stderr=True), len(plan)) as progress:
                run = _run_parallel if workers > 1 else _run_serial
                finished = run(plan, args, session, progress, signals, workers)
            session.finish(Console())
        except (ChaosError, KeyboardInterrupt):
            raise
        except Exception as error:
            raise InternalError(
                f"chaos-arena run failed: {type(error).__name__}: {error}", seed=args.seed
            ) from error
    if signals.received is not None:
        _report_unfinished(args, plan, finished, signals.received)
        return 128 + signals.received
    if problems:
        _remind_invalid(problems, args.paths)
        return EXIT_INVALID
    return _run_exit_code(session.summaries, fail_on=args.fail_on)


def _announce_invalid(problems: Sequence[Diagnostic], plan: Sequence[PlannedRun]) -> None:
    """The problems of the files that will not run, before the runs of the others."""
    if not problems:
        return
    print(SpecError(list(problems)).render(), file=sys.stderr)
    files = _plural(len({d.path for d in problems}), "invalid file")
    print(
        f"chaos-arena: {_plural(len(problems), 'problem')} in {files}; running the other "
        f"{_plural(len(plan), 'run')}",
        file=sys.stderr,
    )


def _remind_invalid(problems: Sequence[Diagnostic], paths: Sequence[Path]) -> None:
    """After the report, which may have scrolled the problems away: that some files did
    not run, and how to see why."""
    files = sorted({d.path for d in problems})
    shown = ", ".join(files[:3]) + (f" and {len(files) - 3} more" if len(files) > 3 else "")
    print(
        f"chaos-arena: {_plural(len(files), 'invalid file')} did not run ({shown}); "
        f"see why with: chaos-arena validate {' '.join(str(p) for p in paths)}",
        file=sys.stderr,
    )


def _many_runs(plan: list[PlannedRun], args: argparse.Namespace) -> bool:
    """Whether this run needs the many-seed path: seeds asked for (`--seeds`, or `seeds:`
    without `--seed`) or another executor. Otherwise the one-seed path, unchanged."""
    if args.seeds is not None or args.executor is not None:
        return True
    return args.seed is None and any(loaded.experiment.seeds for loaded, _, _ in plan)


def _run_many(plan: list[PlannedRun], args: argparse.Namespace, session: ReportSession) -> int:
    """Every experiment and system over its seeds: the seeds table, then the per-run
    report of each one's worst seed; exit codes as for one seed, judged over all seeds."""
    from rich.console import Console

    from chaos._decide.executors import executor_for
    from chaos._decide.many import Seeded, run_seeded, seeds_of
    from chaos._decide.render import seeds_markdown, seeds_section
    from chaos._report.progress import RunProgress

    seeded = [
        Seeded(loaded, index, system, seeds_of(loaded, seed=args.seed, seeds=args.seeds))
        for loaded, index, system in plan
    ]
    executor = executor_for(args.executor, args.jobs or None)
    total = sum(len(s.seeds) for s in seeded)
    try:
        with RunProgress(Console(stderr=True), total) as progress:
            results = run_seeded(seeded, executor, journal=args.journal, finished=progress.advance)
        summaries = [r.summary for r in results]
        for result in results:
            session.add_summary(result.representative)
        preface, text = [seeds_section(summaries)], seeds_markdown(summaries)
        session.finish(Console(), preface=preface, preface_markdown=text)
    except (ChaosError, KeyboardInterrupt):
        raise
    except Exception as error:
        raise InternalError(f"chaos-arena run failed: {type(error).__name__}: {error}") from error
    if any(r.summary.worst_verdict == "error" for r in results):
        return EXIT_INVALID
    return _run_exit_code(session.summaries, fail_on=args.fail_on)


def _seeds(text: str) -> tuple[int, ...]:
    from chaos._spec.seeds import SeedsError, parse_seeds

    try:
        return parse_seeds(text)
    except SeedsError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _executor_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--executor",
        metavar="WHERE",
        help="where runs execute: local (default: worker processes, see --jobs) or "
        "dask://HOST:PORT, a Dask scheduler whose workers run one thread each "
        "(pip install 'chaos-arena[dask]')",
    )


def _directory(path: Path, option: str) -> None:
    """Create `path` (a directory for output) or say why it cannot be one."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise SetupError(f"{option} {path}: a file is in the way; name a directory") from None
    except OSError as error:
        raise SetupError(f"{option} {path}: cannot create it: {error.strerror}") from None


def _stories(text: str) -> int | None:
    """A number of request stories, or None for `all`."""
    if text == "all":
        return None
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a number of stories (a number, or 'all')"
        ) from None
    if value < 0:
        raise argparse.ArgumentTypeError("--stories cannot be negative")
    return value


def _jobs(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of jobs") from None
    if value < 1:
        raise argparse.ArgumentTypeError("--jobs must be at least 1")
    return value


def _run_serial(
    plan: list[PlannedRun],
    args: argparse.Namespace,
    session: ReportSession,
    progress: RunProgress,
    signals: StopSignals,
    _workers: int,
) -> set[int]:
    """Run the plan in this process, in order; the positions of the runs that finished."""
    from chaos._engine.runner import run_one
    from chaos._result import RunInterrupted

    finished: set[int] = set()
    for index, (loaded, _, system) in enumerate(plan):
        if signals.stopping:
            break
        task, update = progress.start(_run_name(loaded, system))
        try:
            outcome = run_one(loaded, system, seed=args.seed, progress=update)
        except RunInterrupted as stop:
            signals.note(stop.signum)
            break
        session.add(outcome)
        progress.finish(task)
        finished.add(index)
    return finished


def _run_parallel(
    plan: list[PlannedRun],
    args: argparse.Namespace,
    session: ReportSession,
    progress: RunProgress,
    signals: StopSignals,
    workers: int,
) -> set[int]:
    """Run the plan in supervised worker processes; the positions of the runs that
    finished. Reported in plan order, so the report is a serial run's."""
    from chaos._engine.runner import error_outcome
    from chaos._execution import Died, Finished, Job, supervise
    from chaos._spec.loader import PortableExperiment

    jobs = [
        Job(
            PortableExperiment.of(loaded),
            loaded.experiment.experiment,
            index,
            loaded.experiment.run_seed(args.seed),
            args.journal,
        )
        for loaded, index, _ in plan
    ]
    tasks: dict[int, tuple[TaskID, Callable[[Progress], None] | None]] = {}
    ended: dict[int, Finished | Died] = {}
    for event in supervise(jobs, workers, stopping=lambda: signals.stopping):
        loaded, _, system = plan[event.index]
        if event.index not in tasks:
            tasks[event.index] = progress.start(_run_name(loaded, system))
        task, update = tasks[event.index]
        if isinstance(event, Finished | Died):
            ended[event.index] = event
            progress.finish(task)
        elif update is not None:
            update(event.progress)
    for index in sorted(ended):
        event = ended[index]
        if isinstance(event, Finished):
            session.add_summary(event.summary)
        else:
            loaded, _, system = plan[index]
            session.add(error_outcome(loaded, system, jobs[index].seed, event.reason))
    return set(ended)


def _run_name(loaded: LoadedExperiment, system: ResolvedSystem) -> str:
    return f"{loaded.experiment.experiment}[{system.name}]"


def _report_unfinished(
    args: argparse.Namespace, plan: list[PlannedRun], finished: set[int], signum: int
) -> None:
    """Say what the signal stopped, and the command that runs the rest."""
    import shlex
    import signal

    rest = [_run_name(run[0], run[2]) for i, run in enumerate(plan) if i not in finished]
    reported = "; they are reported above" if finished else ""
    print(
        f"chaos-arena: stopped by {signal.Signals(signum).name}: {len(finished)} of "
        f"{len(plan)} runs finished{reported}",
        file=sys.stderr,
    )
    if not rest:
        return
    command = ["chaos-arena", "run", *(str(path) for path in args.paths)]
    if finished:
        for name in rest:
            command += ["--only", name]
    else:
        command += [
            f"--{key}={getattr(args, key)}"
            for key in ("system", "experiment")
            if getattr(args, key) is not None
        ]
        command += [f"--only={name}" for name in args.only or ()]
    if args.seed is not None:
        command += ["--seed", str(args.seed)]
    if args.journal is not None:
        command += ["--journal", str(args.journal)]
    print(f"to run the {len(rest)} that did not: {shlex.join(command)}", file=sys.stderr)


PlannedRun = tuple["LoadedExperiment", int, "ResolvedSystem"]
"""An experiment, the position of the system among its systems (a worker finds it again by
that), and the system."""


def _run_plan(args: argparse.Namespace) -> tuple[list[PlannedRun], list[Diagnostic]]:
    """Every valid (experiment, system) to run, validated before anything runs, and the
    problems of the files (or experiments) that cannot run; SpecError if none can."""
    from chaos._loading import loader
    from chaos._spec.prices import prices_from

    prices = prices_from(args.prices) if args.prices is not None else None
    experiments, problems = loader(max_requests=args.max_requests).valid_paths(args.paths)
    if prices is not None:
        experiments = [_priced(loaded, prices) for loaded in experiments]
    if args.experiment is not None:
        experiments = [e for e in experiments if e.experiment.experiment == args.experiment]
        if not experiments and not problems:
            raise SetupError(f"no experiment named {args.experiment!r} in the given paths")
    plan = [
        (loaded, index, system)
        for loaded in experiments
        for index, system in enumerate(loaded.systems)
        if args.system is None or system.name == args.system
    ]
    if args.only:
        plan = _only(plan, args.only)
    if not plan and problems:
        raise SpecError(problems)
    if not plan:
        raise SetupError(
            "nothing to run: no experiment matched"
            + (f" system {args.system!r}" if args.system else "")
        )
    return plan, problems


def _only(plan: list[PlannedRun], wanted: list[str]) -> list[PlannedRun]:
    """The runs `--only EXPERIMENT[SYSTEM]` names, in plan order; an unknown name is an
    error that lists the runs there are."""
    names = {_run_name(run[0], run[2]): run for run in plan}
    unknown = [name for name in wanted if name not in names]
    if unknown:
        known = ", ".join(sorted(names)) or "none"
        raise SetupError(f"--only {unknown[0]}: no such run in the given paths (runs: {known})")
    return [run for name, run in names.items() if name in set(wanted)]


def _priced(loaded: LoadedExperiment, prices: PriceTable) -> LoadedExperiment:
    """The experiment with every system priced by the `--prices` table."""
    return replace(loaded, systems=tuple(replace(s, prices=prices) for s in loaded.systems))


def _run_exit_code(summaries: Sequence[RunSummary], *, fail_on: str) -> int:
    if any(s.verdict == "error" for s in summaries):
        return EXIT_INVALID
    if any(not s.as_expected for s in summaries):
        return EXIT_UNEXPECTED
    if fail_on == "any-failure" and any(s.verdict != "survived" for s in summaries):
        return EXIT_UNEXPECTED
    return EXIT_OK


def add_spec_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The commands about experiment files: validate, schema, list, new."""
    validate = commands.add_parser(
        "validate", help="check experiment files and report every problem as file:line:col"
    )
    validate.add_argument(
        "paths",
        nargs="+",
        type=Path,
        metavar="PATH",
        help="experiment files, or directories searched for *.chaos.yaml",
    )
    validate.add_argument(
        "--no-import",
        dest="import_handlers",
        action="store_false",
        help="do not import the systems' handlers (imports run their code)",
    )
    add_max_requests(validate)
    validate.set_defaults(handler=command_validate)
    schema = commands.add_parser(
        "schema", help="print the JSON Schema (draft 2020-12) of experiment files, for editors"
    )
    schema.add_argument(
        "--output",
        "-o",
        type=Path,
        metavar="FILE",
        help="write the schema to FILE instead of printing it",
    )
    schema.add_argument(
        "--system", action="store_true", help="the schema of system definition files instead"
    )
    schema.set_defaults(handler=command_schema)
    listing = commands.add_parser(
        "list", help="list experiments, systems, fault types and assertions"
    )
    listing.add_argument(
        "paths",
        nargs="*",
        type=Path,
        metavar="PATH",
        help="where to look for experiments (default: ./experiments)",
    )
    listing.set_defaults(handler=command_list)
    new = commands.add_parser("new", help="write a commented experiment file to start from")
    new.add_argument(
        "name",
        metavar="NAME",
        help="the experiment's name: lower-case letters, digits, '-' and '_'",
    )
    new.add_argument(
        "--dir",
        type=Path,
        default=Path(),
        metavar="DIR",
        help="where to write NAME.chaos.yaml (default: the current directory)",
    )
    new.add_argument(
        "--schema",
        metavar="PATH_OR_URL",
        help="add a '# yaml-language-server: $schema=...' line pointing there",
    )
    new.set_defaults(handler=command_new)


def command_validate(args: argparse.Namespace) -> int:
    """Every problem of every file, compiler style; exit 0 when all are valid, 2 otherwise."""
    from chaos._loading import loader
    from chaos._spec.loader import experiment_files

    files = experiment_files(args.paths)
    if not files:
        raise SetupError(
            "no experiment files (*.chaos.yaml) under " + ", ".join(str(p) for p in args.paths)
        )
    count = 0
    errors: list[SpecError] = []
    loading = loader(import_handlers=args.import_handlers, max_requests=args.max_requests)
    for experiments, found in loading.each(files):
        count += len(experiments)
        if found:
            errors.append(SpecError(found))
    problems = list(dict.fromkeys(d for error in errors for d in error.diagnostics))
    if not problems:
        verb = "is" if count == 1 else "are"
        print(f"{_plural(count, 'experiment')} in {_plural(len(files), 'file')} {verb} valid")
        return EXIT_OK
    print(SpecError(problems).render())
    print(
        f"chaos-arena: {_plural(len(problems), 'problem')} in {len(errors)} of "
        f"{_plural(len(files), 'file')}"
    )
    return EXIT_INVALID


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def command_schema(args: argparse.Namespace) -> int:
    """The JSON Schema, to stdout or to --output."""
    import json

    from chaos._loading import experiment_schema
    from chaos._spec.schema import system_schema

    text = json.dumps(system_schema() if args.system else experiment_schema(), indent=2) + "\n"
    if args.output is None:
        sys.stdout.write(text)
        return EXIT_OK
    try:
        args.output.write_text(text, encoding="utf-8")
    except OSError as error:
        raise SetupError(f"cannot write {args.output}: {error.strerror}") from None
    print(f"wrote {args.output}", file=sys.stderr)
    return EXIT_OK


def command_list(args: argparse.Namespace) -> int:
    """Experiments under the paths, then systems, fault types and assertions."""
    from chaos._loading import loader

    paths = args.paths or [Path("experiments")]
    loading = loader()  # one for experiments and systems: each system file is read once
    print("Experiments")
    for line in _experiment_lines(loading, paths):
        print(f"  {line}")
    print("Systems")
    print(_table(_system_rows(loading)))
    print("Fault types")
    print(_table([(name, fault.summary) for name, fault in loading.vocabulary.faults]))
    print("Assertions")
    print(_table([(name, a.summary) for name, a in loading.vocabulary.assertions]))
    return EXIT_OK


def _experiment_lines(loading: Loader, paths: list[Path]) -> list[str]:
    from chaos._spec.loader import experiment_files

    files = [p for p in experiment_files(paths) if p.exists()]
    if not files:
        return [f"(none under {', '.join(str(p) for p in paths)})"]
    lines = []
    for path in files:
        try:
            loaded = loading.file(path)
        except SpecError as error:
            lines.append(
                f"{path}: invalid, {_plural(len(error.diagnostics), 'problem')} "
                f"(see chaos-arena validate {path})"
            )
            continue
        for item in loaded:
            experiment = item.experiment
            systems = ", ".join(_system_labels(item))
            lines.append(
                f"{item.path}:{item.line}  {experiment.experiment}  [{systems}]  "
                f"{_first_sentence(experiment.description)}".rstrip()
            )
    return lines


def _system_labels(loaded: LoadedExperiment) -> list[str]:
    """Each system by its name, and the file too when the experiment names it by path."""
    return [
        system.name if system.name == system.ref else f"{system.name} ({system.ref})"
        for system in loaded.systems
    ]


def _system_rows(loading: Loader) -> list[tuple[str, str]]:
    from chaos._spec.experiment import SystemRef
    from chaos._systems import system_registry

    rows = []
    for name, path in system_registry():
        try:
            about = loading.system(SystemRef(ref=name), Path.cwd()).definition.description
        except SpecError:
            about = f"invalid: {path}"
        rows.append((name, _first_sentence(about)))
    return rows


def _first_sentence(text: str) -> str:
    text = " ".join(text.split())
    end = text.find(". ")
    return text if end < 0 else text[: end + 1]


def _table(rows: list[tuple[str, str]]) -> str:
    width = max((len(name) for name, _ in rows), default=0)
    return "\n".join(f"  {name.ljust(width)}  {about}" for name, about in rows)


def command_new(args: argparse.Namespace) -> int:
    """Write NAME.chaos.yaml from the commented template; never overwrite."""
    from chaos._spec.scaffold import experiment_template, valid_name

    if not valid_name(args.name):
        raise SetupError(
            f"{args.name!r} cannot name an experiment: use lower-case letters, "
            "digits, '-' and '_', starting with a letter or digit"
        )
    target = args.dir / f"{args.name}.chaos.yaml"
    if target.exists():
        raise SetupError(f"{target} already exists; not overwriting it")
    try:
        args.dir.mkdir(parents=True, exist_ok=True)
        with target.open("x", encoding="utf-8") as handle:
            handle.write(experiment_template(args.name, schema=args.schema))
    except OSError as error:
        raise SetupError(f"cannot write {target}: {error.strerror}") from None
    print(f"created {target}")
    return EXIT_OK


def program() -> None:
    """The `chaos-arena` command: `main`, with a Ctrl-C during start-up (importing rich,
    pydantic, moto) an interruption rather than a traceback."""
    try:
        code = main()
    except KeyboardInterrupt:
        print("chaos-arena: interrupted", file=sys.stderr)
        code = 130
    raise SystemExit(code)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args))
    except SpecError as error:
        print(error.render(), file=sys.stderr)
        count = len(error.diagnostics)
        print(f"chaos-arena: {count} problem{'s' if count != 1 else ''} found", file=sys.stderr)
        return EXIT_INVALID
    except SetupError as error:
        print(f"chaos-arena: {error}", file=sys.stderr)
        return EXIT_INVALID
    except InternalError as error:
        print(f"chaos-arena: internal error: {error}", file=sys.stderr)
        return EXIT_INTERNAL
    except KeyboardInterrupt:
        print("chaos-arena: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`chaos-arena list | head`): stop quietly, as Unix tools do.
        # Point stdout at devnull so the interpreter's final flush cannot fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK


if __name__ == "__main__":
    raise SystemExit(main())
