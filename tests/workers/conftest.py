"""Real parts for the worker tests: redis-server processes, `celery worker` processes, a PostgreSQL database.

Under CI=true a missing Redis or PostgreSQL fails the tests; elsewhere a redis-server from PATH is
started when none answers, and the tests are skipped (with the reason) when there is none to start.
Fault tests start their own redis-server on a free port, never the machine's shared one.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from sqlalchemy import Engine

from screening import jobs, services
from screening.jobs import Job, Submission
from screening.storage.service_repository import SqlServiceStore, scope_factory
from tests.conftest import IN_CI, ROOT
from tests.screening.test_services import AS_OF, files, load  # noqa: F401  (fixture)

# The shared Redis of the machine; a database number of its own keeps these tests' queues apart.
SHARED_REDIS_URL = os.environ.get("TIERSIGHT_TEST_REDIS_URL", "redis://127.0.0.1:6379/13")

# Scaled-down sweeper for the tests: a screening not updated for 2 s is lost; the sweep runs every 1 s.
SWEEP_AFTER = 2.0
SWEEP_EVERY = 1.0

POSTGRES_ONLY = pytest.mark.parametrize(
    "db_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)


def _missing(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"{reason} (required under CI=true)")
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def answers(url: str) -> bool:
    client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False
    finally:
        client.close()


def wait_for(check: Callable[[], object], timeout: float, what: str, *, logs: tuple[Path, ...] = ()) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    tails = "\n".join(f"--- {p.name}\n" + p.read_text(errors="replace")[-3000:] for p in logs if p.exists())
    raise AssertionError(f"not within {timeout:g} s: {what}\n{tails}")


class RedisServer:
    """A redis-server process of this test on its own port, without persistence: a restart is empty."""

    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        self.folder = folder
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            cwd=self.folder,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(lambda: answers(self.url), 10, f"redis-server on port {self.port} answers")

    def kill(self) -> None:
        """SIGKILL: everything queued in it is gone."""
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None

    def llen(self, key: str) -> int:
        client = redis.Redis.from_url(self.url)
        try:
            return int(client.llen(key))
        finally:
            client.close()


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    """A redis-server for one fault test."""
    if shutil.which("redis-server") is None:
        _missing("redis-server is not on PATH")
    server = RedisServer(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.kill()


@pytest.fixture(scope="session")
def shared_redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The machine's Redis; when none answers, a redis-server started for this session."""
    if answers(SHARED_REDIS_URL):
        yield SHARED_REDIS_URL
        return
    if IN_CI:
        pytest.fail(f"Redis is required under CI=true and does not answer at {SHARED_REDIS_URL}")
    if shutil.which("redis-server") is None:
        pytest.skip(f"no Redis at {SHARED_REDIS_URL} and no redis-server on PATH to start one")
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    try:
        yield server.url
    finally:
        server.kill()


class Worker:
    """A `celery -A workers.app worker` process group (the main process, its pool and, with beat, the
    scheduler), started in a session of its own so that it can be killed as a whole."""

    def __init__(self, name: str, log: Path, process: subprocess.Popen[bytes]) -> None:
        self.name = name
        self.log = log
        self.process = process

    def text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def pool_pids(self) -> list[int]:
        """The pool processes (children of the main process running `celery worker`)."""
        pids = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            with contextlib.suppress(OSError):
                stat = (entry / "stat").read_text()
                parent = int(stat.rsplit(")", 1)[1].split()[1])
                if parent == self.process.pid and b"worker" in (entry / "cmdline").read_bytes():
                    pids.append(int(entry.name))
        return pids

    def kill9(self) -> None:
        """SIGKILL to every process of the worker at once, as when its host dies."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.kill9()
        with contextlib.suppress(ProcessLookupError):  # a pool process left behind by a killed parent
            os.killpg(self.process.pid, signal.SIGKILL)


StartWorker = Callable[..., Worker]


@pytest.fixture
def start_worker(tmp_path: Path, files: dict[str, Path], db_url: str) -> Iterator[StartWorker]:  # noqa: F811
    """Start workers on the test's database and rules; every one is stopped at the end of the test."""
    started: list[Worker] = []

    def start(
        broker_url: str,
        name: str,
        *,
        beat: bool = False,
        concurrency: int = 1,
        env: dict[str, str] | None = None,
    ) -> Worker:
        extra, env = env, {k: v for k, v in os.environ.items() if not k.startswith("TIERSIGHT_")}
        env.update(
            PYTHONPATH=str(ROOT),
            TIERSIGHT_DATABASE_URL=db_url,
            TIERSIGHT_BROKER_URL=broker_url,
            TIERSIGHT_RULES_DIR=str(files["rules"]),
            TIERSIGHT_INDEX_DIR=str(tmp_path / "index"),
            TIERSIGHT_WORKER_SWEEP_AFTER=str(SWEEP_AFTER),
            TIERSIGHT_WORKER_SWEEP_EVERY=str(SWEEP_EVERY),
        )
        env.update(extra or {})
        log = tmp_path / f"{name}.log"
        command = [
            sys.executable, "-m", "celery", "-A", "workers.app", "worker",
            "--hostname", f"{name}@%h", "--concurrency", str(concurrency), "--pool", "prefork",
            "--loglevel", "INFO", "--without-mingle", "--without-gossip", "--without-heartbeat",
        ]  # fmt: skip
        if beat:
            command += ["--beat", "--schedule", str(tmp_path / f"{name}-beat-schedule")]
        with log.open("wb") as out:
            process = subprocess.Popen(
                command, cwd=tmp_path, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        worker = Worker(name, log, process)
        started.append(worker)
        wait_for(
            lambda: "ready." in worker.text() or process.poll() is not None,
            60,
            f"worker {name} is ready",
            logs=(log,),
        )
        assert process.poll() is None, f"worker {name} exited:\n{worker.text()[-3000:]}"
        return worker

    try:
        yield start
    finally:
        for worker in started:
            worker.stop()


@pytest.fixture
def scope(engine: Engine, files: dict[str, Path]) -> services.Scope:  # noqa: F811
    """A session scope over the test's migrated database with test_services.py's network loaded."""
    load(engine, shipments=files["shipments"], companies=files["companies"])
    return scope_factory(engine)


def supplier_list(lines: int) -> bytes:
    """A supplier list of `lines` lines on test_services.py's network; every fourth line is flagged."""
    names = [
        ("Hanoi Pack Assembly", "VN", "850760"),
        ("Shenzhen Volta Cells", "CN", "850790"),
        ("Acme Power Tools", "US", "850760"),
        ("Unknown Widgets GmbH", "DE", "850760"),
    ]
    rows = ["Vendor Name,Country,HTS Code,Annual Spend (USD),Vendor ID"]
    for i in range(lines):
        name, country, hs = names[i % len(names)]
        rows.append(f"{name},{country},{hs},{1000 + i},V-{i}")
    return ("\n".join(rows) + "\n").encode("utf-8")


def submit(scope: services.Scope, data: bytes) -> Job:
    with scope() as stores:
        job, created = jobs.submit(
            stores.jobs, "acme", Submission(data=data, filename="suppliers.csv", source="upload", as_of=AS_OF)
        )
    assert created and job.status == "queued"
    return job


def job(scope: services.Scope, job_id: str) -> Job:
    with scope() as stores:
        found = stores.jobs.job(None, job_id)
    assert found is not None
    return found


def assert_one_result(scope: services.Scope, job_id: str) -> Job:
    """The screening is done with one report and one set of events: one `screening.completed` and one
    `flag.raised` per flag of the report, none twice."""
    with scope() as stores:
        done = stores.jobs.job(None, job_id)
        report = json.loads(jobs.report_json(stores.jobs, "acme", job_id))
        store = stores.jobs
        assert isinstance(store, SqlServiceStore)
        events = store.events("acme", job_id)
    assert done is not None and done.status == "done", done
    flags = jobs.flag_keys(report)
    assert flags, "the list has flagged lines, so events beyond screening.completed are expected"
    raised = [
        (e["payload"]["flag"]["line"], e["payload"]["flag"]["rule_id"])  # type: ignore[index]
        for e in events
        if e["type"] == "flag.raised"
    ]
    assert [e["type"] for e in events].count("screening.completed") == 1
    assert sorted(raised) == sorted(flags)
    assert len(events) == 1 + len(flags) and len({e["id"] for e in events}) == len(events)
    return done
