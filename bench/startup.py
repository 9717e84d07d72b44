"""Process start-up: what chaos-arena costs before it does any work, and which imports cost it.

Best of --repeat subprocesses each (CPU = the child's user + system time, wall = spawn to
exit) for `python -c pass` (the interpreter alone), `python -c "import chaos._cli"`,
`chaos-arena --help`, `chaos-arena validate FILE` and `chaos-arena run FILE` up to the moment
the first run begins (the process is stopped there: bench/startup.py --probe). Then
`python -X importtime` of that run start-up, summarised: the packages by their own import
time, which chaos modules pull each heavy package in (and what it costs there), and what is
imported later, inside the first run. Figures only: nothing is asserted.

    python bench/startup.py                  # the burst experiment of bench/compare.py
    python bench/startup.py --repeat 10 FILE
    python bench/startup.py --probe -- run FILE -j 1    # chaos-arena, stopped at its first run
    python bench/startup.py --mark -- run FILE -j 1     # ... CPU stamped on stderr, not stopped
    python bench/startup.py --probe -- --no-field-docstrings run FILE   # with a what-if

What-ifs (patched from here, chaos/ unchanged): --no-field-docstrings (pydantic models built
without reading their source for field docstrings) and --no-tables (validate imports
handlers in moto without creating the system's tables), --freeze-at-exit (gc.freeze() as
the CLI returns, so the interpreter's shutdown collections skip the heap).

Target (issue 13): process start-up under 0.5 s.
"""

# In --probe and --mark this module runs before chaos-arena; it imports nothing more than the
# interpreter has already loaded (sys, os), so that what is measured is chaos-arena's.
import os
import sys

MARK = "-- chaos-arena: the first run begins --"
STAMP = "-- chaos-arena: process CPU seconds at the first run's"


def _cpu() -> float:
    times = os.times()
    return times.user + times.system


def _hook_first_run(stop: bool) -> None:
    """When chaos._engine.runner is imported, wrap its run_one: at the first call, stop the
    process (stop) or write MARK to stderr (so -X importtime shows what the run imports),
    and the process CPU seconds as the first run begins and ends."""
    import importlib.abc
    import importlib.machinery

    def first_run() -> None:
        if stop:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(0)
        print(f"{MARK}\n{STAMP} begin {_cpu()}", file=sys.stderr, flush=True)

    class Finder(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path, target=None):  # type: ignore[no-untyped-def]
            if name != "chaos._engine.runner":
                return None
            spec = importlib.machinery.PathFinder.find_spec(name, path)
            if spec is None or spec.loader is None:
                return spec
            exec_module = spec.loader.exec_module

            def exec_and_wrap(module):  # type: ignore[no-untyped-def]
                exec_module(module)
                run_one = module.run_one
                calls: list[int] = []

                def wrapped(*args, **kwargs):  # type: ignore[no-untyped-def]
                    if calls:
                        return run_one(*args, **kwargs)
                    calls.append(1)
                    first_run()
                    try:
                        return run_one(*args, **kwargs)
                    finally:
                        print(f"{STAMP} end {_cpu()}", file=sys.stderr, flush=True)

                module.run_one = wrapped

            spec.loader.exec_module = exec_and_wrap  # type: ignore[method-assign]
            return spec

    sys.meta_path.insert(0, Finder())


def _no_field_docstrings() -> None:
    """What if: pydantic models built without reading their source for field docstrings
    (chaos/_spec/base.py sets use_attribute_docstrings; only the JSON Schema shows them)."""
    from pydantic._internal import _fields

    _fields._update_fields_from_docstrings = lambda *args, **kwargs: None


def _no_tables() -> None:
    """What if: `validate` imported handlers in a moto account without creating the tables
    (the handlers' import makes clients, it does not call them)."""
    from chaos._aws import moto_env

    moto_env.MotoAccount._create_table = lambda *args, **kwargs: None  # type: ignore[method-assign]


_AT_EXIT: list[str] = []


def _freeze_at_exit() -> None:
    """What if: the CLI called gc.freeze() as it returns. The interpreter's collections while
    it tears the modules down then skip the heap (files are closed and flushed as before)."""
    _AT_EXIT.append("freeze")


WHAT_IF = {
    "--no-field-docstrings": _no_field_docstrings,
    "--no-tables": _no_tables,
    "--freeze-at-exit": _freeze_at_exit,
}


def _as_chaos_arena(argv: list[str], stop: bool) -> None:
    while argv[:1] and argv[0] in WHAT_IF:
        WHAT_IF[argv.pop(0)]()
    _hook_first_run(stop)
    sys.argv = ["chaos-arena", *argv]
    from chaos._cli import main as chaos_main

    code = chaos_main(argv)
    print(f"{STAMP} exit {_cpu()}", file=sys.stderr, flush=True)
    if _AT_EXIT:
        import gc

        gc.freeze()
    raise SystemExit(code)


# The measuring side, below, may import what it likes.

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_FILE = os.path.join("bench", "burst", "burst-1000.chaos.yaml")
HEAVY_MS = 5.0  # an import this costly, cumulative, is worth naming


def _timed(command: list[str]) -> tuple[float, float, int, str]:
    """CPU (user + system of the child), wall seconds, exit code and stderr of `command`."""
    import resource
    import subprocess
    import time

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return cpu, wall, done.returncode, done.stderr


def best_of(command: list[str], repeat: int) -> tuple[float, float, float, list[str]]:
    """Best CPU, best wall, median CPU, and the stderr of the run with the best CPU."""
    runs = [_timed(command) for _ in range(repeat)]
    failed = [r for r in runs if r[2] != 0]
    if failed:
        print(f"    ({' '.join(command[-3:])}: exited {failed[0][2]})")
    cpus = sorted(r[0] for r in runs)
    best = min(runs, key=lambda r: r[0])
    return cpus[0], min(r[1] for r in runs), cpus[len(cpus) // 2], best[3].splitlines()


def _chaos_arena() -> list[str]:
    script = os.path.join(os.path.dirname(sys.executable), "chaos-arena")
    return [script] if os.path.exists(script) else [sys.executable, "-m", "chaos"]


def _probe(argv: list[str], *, stop: bool = True) -> list[str]:
    mode = "--probe" if stop else "--mark"
    return [sys.executable, os.path.abspath(__file__), mode, "--", *argv]


def _stamps(stderr: list[str]) -> dict[str, float]:
    return {line.split()[-2]: float(line.split()[-1]) for line in stderr if line.startswith(STAMP)}


def small_experiment(directory: str, file: str) -> str:
    """`file` with 10 messages instead of its burst: what one run costs whatever its size."""
    import re

    with open(os.path.join(ROOT, file)) as source:
        text = source.read()
    system = os.path.join(ROOT, os.path.dirname(file), "system.yaml")
    text = text.replace("./system.yaml", system)
    text = re.sub(r"rate: \d+/s", "rate: 10/s", text)
    path = os.path.join(directory, "small.chaos.yaml")
    with open(path, "w") as target:
        target.write(text)
    return path


class Node:
    __slots__ = ("children", "cumulative", "level", "name", "parent", "self_us")

    def __init__(self, name: str, self_us: int, cumulative: int, level: int) -> None:
        self.name, self.self_us, self.cumulative, self.level = name, self_us, cumulative, level
        self.children: list[Node] = []
        self.parent: Node | None = None

    @property
    def package(self) -> str:
        return self.name.split(".")[0]


def parse_importtime(stderr: str) -> tuple[list[Node], list[Node]]:
    """-X importtime lines -> (roots of the import trees, every node in order), and where the
    marker falls: nodes after it have `level` as usual, and the marker splits `order`."""
    stack: list[Node] = []
    order: list[Node] = []
    for line in stderr.splitlines():
        if line == MARK:
            order.append(Node(MARK, 0, 0, -1))
            continue
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, cumulative, name = line[len("import time:") :].split("|", 2)
        text = name[1:]  # one space after the bar, then two per level
        level = (len(text) - len(text.lstrip(" "))) // 2
        node = Node(text.strip(), int(self_us), int(cumulative), level)
        while stack and stack[-1].level > level:
            child = stack.pop()
            child.parent = node
            node.children.insert(0, child)
        stack.append(node)
        order.append(node)
    return stack, order


def _importer(node: Node) -> str:
    """The nearest chaos module that imported `node`, else the top of its import chain (an
    import inside a function, during the run, starts a chain of its own)."""
    parent, top = node.parent, node
    while parent is not None and parent.package != "chaos":
        top = parent
        parent = parent.parent
    if parent is not None:
        return parent.name
    return f"{top.name} (imported inside a function)" if top is not node else "(top level)"


def summarise(order: list[Node], title: str) -> None:
    nodes = [n for n in order if n.level >= 0]
    total = sum(n.self_us for n in nodes) / 1000
    by_package: dict[str, float] = {}
    for node in nodes:
        by_package[node.package] = by_package.get(node.package, 0.0) + node.self_us / 1000
    print(f"\n{title}: {len(nodes)} modules, {total:.0f} ms of import time")
    print("  packages by their own modules' import time (dependencies counted apart):")
    for package, ms in sorted(by_package.items(), key=lambda kv: -kv[1])[:14]:
        print(f"    {package:<22}{ms:7.1f} ms  {ms / total:5.1%}")
    own = sorted((n for n in nodes if n.package == "chaos"), key=lambda n: -n.self_us)[:8]
    if own:
        print("  chaos's own modules by their own time (their class bodies: pydantic models):")
        for node in own:
            print(f"    {node.name:<34}{node.self_us / 1000:7.1f} ms")
    # Entry points: a module of another package imported by a chaos module (directly or
    # through stdlib/third-party modules that are not themselves the package).
    entries: dict[tuple[str, str], float] = {}
    for node in nodes:
        if node.package == "chaos" or node.cumulative / 1000 < HEAVY_MS:
            continue
        if node.parent is not None and node.parent.package == node.package:
            continue
        key = (_importer(node), node.package)
        entries[key] = entries.get(key, 0.0) + node.cumulative / 1000
    print(f"  third-party and stdlib imports over {HEAVY_MS:.0f} ms, by the chaos module that")
    print("  first pulls them in (cumulative: with what they import in turn):")
    for (importer, package), ms in sorted(entries.items(), key=lambda kv: -kv[1])[:16]:
        print(f"    {ms:7.1f} ms  {package:<18} from {importer}")


def import_breakdown(file: str, repeat: int) -> None:
    """-X importtime of `repeat` run start-ups; each module's least time over them (the import
    order is the same each time), so one busy moment of the machine does not count."""
    import subprocess

    command = [sys.executable, "-X", "importtime", os.path.abspath(__file__), "--mark", "--"]
    order: list[Node] = []
    for _ in range(repeat):
        done = subprocess.run(
            [*command, "run", file, "-j", "1", "--report", "none"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        _, this = parse_importtime(done.stderr)
        if not order:
            order = this
        elif [n.name for n in this] == [n.name for n in order]:
            for kept, node in zip(order, this, strict=True):
                kept.self_us = min(kept.self_us, node.self_us)
                kept.cumulative = min(kept.cumulative, node.cumulative)
    split = next((i for i, n in enumerate(order) if n.name == MARK), len(order))
    print(f"\n-X importtime, each module's best of {repeat} (importtime itself adds ~20-40 %)")
    summarise(order[:split], "imports before the first run begins (`chaos-arena run`)")
    summarise(order[split + 1 :], "imports during the first run (set-up: moto's backends ...)")


def main() -> None:
    import argparse
    import tempfile

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", nargs="?", default=DEFAULT_FILE, help="an experiment file")
    parser.add_argument("--repeat", type=int, default=7, help="runs per figure; the best counts")
    args = parser.parse_args()
    file, repeat = args.file, args.repeat
    third_party = "import boto3, botocore.awsrequest, moto, simpy, greenlet, freezegun, pydantic"
    third_party += ", yaml, rich.console"
    before_run = "import chaos._cli, chaos._engine.runner, chaos._report.session"
    before_run += ", chaos._report.progress"
    run = ["run", file, "-j", "1"]
    commands = [
        ("python -c pass (the interpreter)", [sys.executable, "-c", "pass"]),
        ('python -c "import chaos._cli"', [sys.executable, "-c", "import chaos._cli"]),
        ("chaos-arena --help", [*_chaos_arena(), "--help"]),
        (f"chaos-arena validate {file}", [*_chaos_arena(), "validate", file]),
        ("  what if: no field docstrings", _probe(["--no-field-docstrings", "validate", file])),
        ("  what if: no tables for handler imports", _probe(["--no-tables", "validate", file])),
        ("  what if: both", _probe(["--no-field-docstrings", "--no-tables", "validate", file])),
        (f"chaos-arena run {file}, to its first run", _probe(run)),
        ("  what if: no field docstrings", _probe(["--no-field-docstrings", *run])),
        ("  of which: the third-party packages a run needs", [sys.executable, "-c", third_party]),
        ("  of which: every module imported before the run", [sys.executable, "-c", before_run]),
    ]
    print(f"process start-up, best of {repeat} (load average {os.getloadavg()[0]:.2f})")
    for label, command in commands:
        cpu, wall, median, _ = best_of(command, repeat)
        print(f"  {label:<62} CPU {cpu:.3f} s  wall {wall:.3f} s  (median CPU {median:.3f} s)")

    print(f"\na whole `chaos-arena run` by phase, CPU, best of {repeat}")
    with tempfile.TemporaryDirectory() as directory:
        small = small_experiment(directory, file)
        cases = [
            (file, [file]),
            ("  what if: gc.freeze() at exit", ["--freeze-at-exit", file]),
            ("the same with 10 messages", [small]),
            ("  what if: gc.freeze() at exit", ["--freeze-at-exit", small]),
        ]
        for label, argv in cases:
            command = _probe([*argv[:-1], "run", argv[-1], "-j", "1"], stop=False)
            cpu, _, _, stderr = best_of(command, repeat)
            stamps = _stamps(stderr)
            begin, end, main_end = (stamps.get(k, 0.0) for k in ("begin", "end", "exit"))
            print(
                f"  {label:<36} {cpu:.2f} s: start-up {begin:.2f}, the run {end - begin:.2f}, "
                f"judging and report {main_end - end:.2f}, interpreter exit {cpu - main_end:.2f}"
            )
    import_breakdown(file, repeat)


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] in ("--probe", "--mark") and sys.argv[2] == "--":
        _as_chaos_arena(sys.argv[3:], stop=sys.argv[1] == "--probe")
    main()
