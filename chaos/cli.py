"""The command line: `chaos-arena` and `python -m chaos`.

Exit codes: 0 every verdict as expected, 1 some verdict not as expected, 2 invalid
experiment or setup, 3 internal error (a bug in chaos-arena).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from chaos.errors import InternalError, SetupError, SpecError

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
    run.add_argument("paths", nargs="+", type=Path, metavar="PATH",
                     help="experiment files, or directories searched for *.chaos.yaml")
    run.add_argument("--system", metavar="NAME", help="run only this system")
    run.add_argument("--experiment", metavar="NAME", help="run only this experiment")
    run.add_argument("--seed", type=int, metavar="N", help="override every experiment's seed")
    run.add_argument("--journal", type=Path, metavar="DIR",
                     help="write one JSON journal (and ledger) per experiment and system")
    run.set_defaults(handler=command_run)
    return parser


def command_run(args: argparse.Namespace) -> int:
    from chaos.engine.runner import run_all
    from chaos.report.journal import write_journal
    from chaos.report.summary import summary_lines, totals_line
    from chaos.spec.loader import load_paths

    experiments = load_paths(args.paths)
    if args.experiment is not None:
        experiments = [e for e in experiments if e.experiment.experiment == args.experiment]
        if not experiments:
            raise SetupError(f"no experiment named {args.experiment!r} in the given paths")
    outcomes = []
    for outcome in run_all(experiments, system=args.system, seed=args.seed):
        outcomes.append(outcome)
        for line in summary_lines([outcome]):
            print(line, flush=True)
        if args.journal is not None:
            write_journal(outcome, args.journal)
    if not outcomes:
        raise SetupError("nothing to run: no experiment matched"
                         + (f" system {args.system!r}" if args.system else ""))
    print(totals_line(outcomes))
    return EXIT_OK if all(o.as_expected for o in outcomes) else EXIT_UNEXPECTED


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


if __name__ == "__main__":
    raise SystemExit(main())
