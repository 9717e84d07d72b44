"""Build a virtual-time world for one experiment and system, run it, read back the state.

The world wires the AWS models (`chaos._aws`) around the system's handlers, schedules the
faults and the workload, runs SimPy to the experiment's duration under a `VirtualClock`, and
reads the final state from moto. It emits data (`RunResult`); it never prints.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import Any

import simpy

from chaos._aws.apigateway import ApiResponse, RestApi
from chaos._aws.esm import EventSourceMapping
from chaos._aws.interceptor import routing
from chaos._aws.lambda_runtime import LambdaService, check_init, lambda_variables
from chaos._aws.moto_env import ACCOUNT_ID, REGION, MotoAccount
from chaos._aws.router import Router
from chaos._aws.sqs import Queue
from chaos._aws.websocket import Connections
from chaos._engine.guards import StopGuards
from chaos._errors import SetupError
from chaos._faults.registry import fault_types
from chaos._faults.schedule import FaultSchedule, ScheduledFault
from chaos._ledger import FaultWindow, Ledger, NetworkRefused
from chaos._result import FinalState, Progress, RunInterrupted, RunResult, Sample
from chaos._sandbox import Containment, SandboxSettings
from chaos._sim import Streams, VirtualClock, derive_seed, seeded_global_random, wall_clock
from chaos._sim.clock import run_until
from chaos._sim.fibers import current_fiber
from chaos._spec.catalog import ResolvedSystem
from chaos._spec.experiment import Experiment
from chaos._spec.system import Architecture, LatencyModel, SystemDefinition
from chaos._systems import HandlerModule, import_paths
from chaos._workload.arrivals import Arrivals, arrival_times
from chaos._workload.client import Client, Request, request_body

SAMPLES_PER_RUN = 240


def build_schedule(experiment: Experiment, streams: Streams) -> FaultSchedule:
    registry = fault_types()
    scheduled = []
    for window, entry in zip(experiment.fault_windows(), experiment.faults, strict=True):
        scheduled.append(
            ScheduledFault(
                window.index,
                registry.get(entry.fault_type),
                entry.params,
                window.start,
                window.end,
                streams(f"fault:{window.index}:{entry.fault_type}"),
            )
        )
    return FaultSchedule(scheduled)


class SyncDoor:
    """API Gateway -> Lambda (proxy integration): the client waits for the function."""

    def __init__(self, api: RestApi, lambdas: LambdaService, function: str) -> None:
        self.api = api
        self.lambdas = lambdas
        self.function = function
        self.max_wait = api.definition.integration_timeout

    def submit(self, request: Request, attempt: int) -> Generator[simpy.Event, Any, ApiResponse]:
        event = {
            "resource": "/orders",
            "path": "/orders",
            "httpMethod": "POST",
            "headers": {"content-type": "application/json"},
            "body": request.body,
            "isBase64Encoded": False,
            "requestContext": {"requestId": f"{request.request_id}-{attempt}", "stage": "prod"},
        }
        return self.api.proxy_to_lambda(self.lambdas, self.function, event, request.request_id)


class QueueDoor:
    """API Gateway -> SQS (service integration): the client gets 200 once queued."""

    def __init__(
        self, api: RestApi, queue: Queue, connections: Connections | None, env: simpy.Environment
    ) -> None:
        self.api = api
        self.queue = queue
        self.connections = connections
        self.env = env
        self.max_wait = _most(api.definition.latency) + _most(queue.latency)

    def submit(self, request: Request, attempt: int) -> Generator[simpy.Event, Any, ApiResponse]:
        if self.connections is not None:
            self.connections.open(request.connection_id, request.request_id, self.env.now)
        return self.api.send_to_queue(self.queue, request.request_id, request.body)


def _most(latency: LatencyModel) -> float:
    return latency.base + latency.jitter


class quiet_collector:
    """Make the cyclic GC cheap during a run: freeze what exists, collect young objects less.

    A run allocates many short-lived objects over a large live heap (moto, botocore); with
    default thresholds, full collections re-scan that heap and cost ~10% of a run.
    """

    def __enter__(self) -> None:
        self._thresholds = gc.get_threshold()
        gc.freeze()
        gc.set_threshold(10_000, 20, 20)

    def __exit__(self, *_exc: object) -> None:
        gc.set_threshold(*self._thresholds)
        gc.unfreeze()


class World:
    """One experiment against one system with one seed."""

    def __init__(
        self,
        experiment: Experiment,
        system: ResolvedSystem,
        seed: int,
        *,
        progress: Callable[[Progress], None] | None = None,
        sandbox: SandboxSettings | None = None,
    ) -> None:
        self.experiment = experiment
        self.sandbox = sandbox
        self.resolved = system
        self.system: SystemDefinition = system.definition
        self.seed = seed
        self.env = simpy.Environment()
        self.ledger = Ledger()
        self.streams = Streams(seed)
        self.faults = build_schedule(experiment, self.streams)
        self.queue: Queue | None = None
        self.dead_letter: Queue | None = None
        self.samples: list[Sample] = []
        self.progress = progress
        """Called at every sample (240 times a run); it must not touch the simulation."""
        self.client: Client | None = None
        self.total_requests = 0

    def run(self) -> RunResult:
        started = wall_clock()
        duration = self.experiment.duration
        containment = Containment(self.env, self.sandbox, on_network=self._network_refused)
        with (
            quiet_collector(),
            containment,
            VirtualClock(self.env, charge=containment.charge),
            seeded_global_random(derive_seed(self.seed, "sdk")),
            MotoAccount(self.system, self.seed) as account,
            import_paths(Path.cwd(), self.resolved.import_root),
        ):
            lambdas = self._lambdas(containment)
            connections = self._connections()
            queues = self._queues() if self.system.queue is not None else None
            router = Router(
                self.env,
                self.ledger,
                self.system,
                self.faults,
                connections,
                self.streams("aws-latency"),
                progress=containment.progress,
                queues={q.name: q for q in (queues, self.dead_letter) if q is not None},
            )
            with routing(router):
                door = self._front_door(lambdas, connections, queues)
                self.client = client = Client(
                    self.env,
                    self.ledger,
                    door,
                    self.experiment.workload.client,
                    self.streams("client"),
                )
                self.env.process(client.run(self._arrivals()))
                self._schedule_fault_windows()
                guards = self._guards()
                self.env.process(self._sampler(lambdas))
                try:
                    run_until(self.env, duration, stop=lambda: containment.stopping)
                finally:
                    lambdas.close()  # invocations still running at the end stop here
            final = self._final_state(account)
        if containment.interrupts.signal is not None:
            raise RunInterrupted(containment.interrupts.signal)
        return RunResult(
            self.experiment,
            self.system,
            self.seed,
            self.ledger,
            final,
            float(duration),
            wall_clock() - started,
            self.samples,
            router.calls,
            failures=dict(lambdas.failures),
            logs=containment.logs.texts(),
            stopped=_stopped(containment),
            message_bytes={
                key: size
                for queue in (self.queue, self.dead_letter)
                if queue is not None
                for key, size in queue.message_bytes.items()
            },
            request_units={t: (w, r) for t, (w, r) in sorted(router.request_units.items())},
            stop=guards.tripped if guards is not None else None,
        )

    # -- assembly ------------------------------------------------------------------------

    def _lambdas(self, containment: Containment) -> LambdaService:
        lambdas = LambdaService(
            self.env,
            self.ledger,
            self.faults,
            self.system.account,
            self.streams("lambda"),
            containment=containment,
        )
        root = str(self.resolved.import_root)
        for name, function in self.system.functions.items():
            module = HandlerModule(function.handler, self.resolved)
            variables = lambda_variables(
                name, function, task_root=root, region=REGION, sdk=self.system.sdk
            )
            problem = check_init(module.new_handler, variables, function, containment)
            if problem is not None:  # it could never start: nothing to run
                raise SetupError(
                    f"cannot import handler {function.handler!r} of system "
                    f"{self.system.system!r} ({self.resolved.source}): {problem.describe()}"
                )
            lambdas.add(name, function, module.new_handler, variables)
        return lambdas

    def _network_refused(self, address: str) -> None:
        fiber = current_fiber()
        invocation = fiber.context if fiber is not None else None
        invocation_id = getattr(invocation, "invocation_id", "")
        request_ids: tuple[str, ...] = getattr(invocation, "request_ids", ())
        request_id = request_ids[0] if len(request_ids) == 1 else ""
        self.ledger.append(NetworkRefused(self.env.now, invocation_id, request_id, address))

    def _connections(self) -> Connections | None:
        websocket = self.system.notifications.websocket
        return Connections(websocket) if websocket is not None else None

    def _front_door(
        self, lambdas: LambdaService, connections: Connections | None, queue: Queue | None
    ) -> SyncDoor | QueueDoor:
        """What the client calls; a queue's consumer starts polling here (a hybrid's queue
        is fed by its API function, an event-driven one by API Gateway itself)."""
        api = RestApi(self.env, self.system.api, self.faults, self.streams("api"))
        if queue is not None:
            consumer = self.system.consumer
            assert consumer is not None
            arn = f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:{queue.name}"
            EventSourceMapping(
                self.env,
                queue,
                lambdas,
                consumer,
                self.faults,
                arn,
                self.streams("esm"),
                self.ledger,
            ).start()
        if self.system.architecture is not Architecture.EVENT_DRIVEN:
            return SyncDoor(api, lambdas, self.system.entry_function)
        assert queue is not None
        return QueueDoor(api, queue, connections, self.env)

    def _queues(self) -> Queue:
        definition = self.system.queue
        assert definition is not None
        horizon = self.experiment.duration
        if definition.dead_letter is not None:
            dlq = definition.dead_letter
            self.dead_letter = Queue(
                self.env,
                self.ledger,
                dlq.name,
                visibility_timeout=30.0,
                retention=dlq.retention,
                horizon=horizon,
            )
        self.queue = Queue(
            self.env,
            self.ledger,
            definition.name,
            visibility_timeout=definition.visibility_timeout,
            retention=definition.retention,
            delay=definition.delay,
            horizon=horizon,
            dead_letter=self.dead_letter,
            max_receive_count=definition.dead_letter.max_receive_count
            if definition.dead_letter
            else None,
            latency=definition.latency,
        )
        return self.queue

    def _arrivals(self) -> Iterator[tuple[float, Request]]:
        """Each request as its time comes (generated lazily); ids are as wide as the count,
        known up front, needs."""
        times = arrival_times(
            self.experiment.workload, self.experiment.duration, self.streams("arrivals")
        )
        self.total_requests = len(times)
        return self._requests(times)

    def _requests(self, times: Arrivals) -> Iterator[tuple[float, Request]]:
        workload = self.experiment.workload
        poison_draw = self.streams("poison")
        width = max(6, len(str(len(times))))
        for index, at in enumerate(times, start=1):
            request_id = f"r{index:0{width}d}"
            poison = poison_draw.random() < workload.poison
            connection_id = f"c{index:0{width}d}"
            body = request_body(request_id, poison, connection_id, workload.payload_size)
            yield at, Request(request_id, poison, body, connection_id)

    def _schedule_fault_windows(self) -> None:
        for scheduled in self.faults.faults:
            self._at(scheduled.start, self._window_marker(scheduled, "start"))
            if scheduled.end < self.experiment.duration:
                self._at(scheduled.end, self._window_marker(scheduled, "end"))

    def _guards(self) -> StopGuards | None:
        """The `stop_when` guards' process; none at all without guards, so a run without
        them has exactly the events (and ledger) it always had."""
        stop_when = self.experiment.stop_when
        if stop_when is None or not stop_when.guards():
            return None
        guards = StopGuards(
            stop_when,
            self.env,
            self.ledger,
            self.faults,
            dlq_depth=lambda: len(self.dead_letter.live) if self.dead_letter else 0,
            queue_depth=lambda: self.queue.visible + self.queue.in_flight if self.queue else 0,
        )
        self.env.process(guards.process())
        return guards

    def _window_marker(self, scheduled: ScheduledFault, phase: str) -> Callable[[], None]:
        def mark() -> None:
            # A stop condition that tripped cut the window (and marked its end then) or
            # kept it from ever starting.
            if phase == "start" and scheduled.end <= scheduled.start:
                return
            if phase == "end" and scheduled.end < scheduled.planned_end:
                return
            self.ledger.append(
                FaultWindow(
                    self.env.now,
                    scheduled.index,
                    scheduled.fault.name,
                    scheduled.params.target or "",
                    phase,
                )
            )

        return mark

    def _at(self, when: float, action: Callable[[], None]) -> None:
        timer = self.env.timeout(when)
        timer.callbacks.append(lambda _event: action())

    def _sampler(self, lambdas: LambdaService) -> Generator[simpy.Event, Any, None]:
        every = self.experiment.duration / SAMPLES_PER_RUN
        while True:
            queue, dlq = self.queue, self.dead_letter
            self.samples.append(
                Sample(
                    self.env.now,
                    queue.visible if queue else 0,
                    queue.in_flight if queue else 0,
                    len(dlq.live) if dlq else 0,
                    sum(f.in_use for f in lambdas.functions.values()),
                )
            )
            if self.progress is not None:
                self.progress(
                    Progress(
                        self.env.now,
                        self.experiment.duration,
                        self.client.started if self.client else 0,
                        self.total_requests,
                    )
                )
            yield self.env.timeout(every)

    # -- the final read ------------------------------------------------------------------

    def _final_state(self, account: MotoAccount) -> FinalState:
        effects = self.system.effects
        counts, anonymous = account.effects(effects.table, effects.request_id_attribute)
        stages = {
            name: dict(sorted(account.effects(stage.table, stage.request_id_attribute)[0].items()))
            for name, stage in effects.stages.items()
        }
        return FinalState(
            stage_effects=stages,
            effects=dict(sorted(counts.items())),
            anonymous_effects=anonymous,
            dead_letter=tuple(m.request_id for m in self.dead_letter.live.values())
            if self.dead_letter
            else (),
            queued=tuple(m.request_id for m in self.queue.live.values()) if self.queue else (),
        )


def _stopped(containment: Containment) -> str:
    """Why the run ended before its duration, in a sentence ('' when it did not)."""
    if containment.stop_reason != "spinning":
        return ""
    where = ", ".join(dict.fromkeys(s for s in containment.spins if s)) or "an unknown line"
    return (
        f"stopped after {len(containment.spins)} invocations spun for "
        f"{containment.settings.wall_budget:g} s of wall time each without yielding or "
        f"reading the clock (at {where}): every further invocation would too"
    )


def run(experiment: Experiment, system: ResolvedSystem, *, seed: int | None = None) -> RunResult:
    """Run one experiment against one system; the experiment's seed unless one is given."""
    return World(experiment, system, experiment.run_seed(seed)).run()
