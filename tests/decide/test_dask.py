"""The Dask executor against a real `distributed.LocalCluster` (one worker process, one
thread, as runs need): the same verdicts and ledger digests as runs in this process."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from chaos._decide.executors import DaskCluster, InProcess, executor_for
from chaos._decide.many import Seeded, run_seeded
from chaos._errors import SetupError
from chaos._loading import loader

distributed = pytest.importorskip("distributed")

FLAKY = Path(__file__).parent / "flaky.chaos.yaml"


@pytest.fixture(scope="module")
def cluster() -> Iterator[str]:
    """`HOST:PORT` of a local scheduler with one single-threaded worker process."""
    with distributed.LocalCluster(
        processes=True,
        n_workers=1,
        threads_per_worker=1,
        host="127.0.0.1",
        dashboard_address=None,
        worker_dashboard_address=None,
    ) as local:
        yield local.scheduler_address.removeprefix("tcp://")


def test_runs_on_dask_give_what_local_runs_give(cluster: str, tmp_path: Path) -> None:
    (loaded,) = loader().file(FLAKY)
    plan = [Seeded(loaded, 0, loaded.systems[0], (2, 3, 6))]
    on_dask = run_seeded(plan, executor_for(f"dask://{cluster}"), journal=tmp_path / "dask")
    here = run_seeded(plan, InProcess(), journal=tmp_path / "here")
    (remote,), (local,) = on_dask, here
    assert [r.verdict for r in remote.runs] == [r.verdict for r in local.runs]
    assert [r.verdict for r in local.runs] == ["survived", "failed", "failed"]
    assert remote.summary.digests == local.summary.digests
    assert len(local.summary.digests) == 3
    assert remote.summary.to_dict() == local.summary.to_dict()


def test_dask_addresses_are_checked() -> None:
    assert isinstance(executor_for("dask://127.0.0.1:8786"), DaskCluster)
    assert executor_for("dask://127.0.0.1:8786").description == "dask://127.0.0.1:8786"
    for wrong in ("dask://nohost", "dask://:8786", "spark://x:1", "dask://h:port"):
        with pytest.raises(SetupError):
            executor_for(wrong)


@pytest.mark.slow
def test_an_unreachable_scheduler_is_a_setup_error() -> None:
    (loaded,) = loader().file(FLAKY)
    plan = [Seeded(loaded, 0, loaded.systems[0], (1,))]
    # A port nothing listens on, on loopback (the suite may not leave the machine).
    with pytest.raises(SetupError, match="cannot reach the Dask scheduler"):
        run_seeded(plan, DaskCluster("127.0.0.1:9"))
