"""The service under load: submit latency at 200 concurrent clients, screenings per minute with two workers.

    python bench/api_load.py [--submissions 1000] [--clients 200] [--rate R] [--workers 2] [--lines 3]
                             [--api-workers 1] [--no-baseline] [--sequential 20] [--postgres URL]
                             [--logs DIR] [--json]

Everything runs as it is deployed (README, "Running the service"), in processes of its own: a
throw-away PostgreSQL database `tiersight_bench_<random>` (created on the server of `--postgres`,
dropped at the end) holding the generated demo network (`tiersight network generate`, `network load`),
a tenant key (`tiersight apikey create`), a `redis-server` on a free port, `tiersight serve` with that
Redis as its broker and the submission rate limit raised above the load (and `--workers` set to
`--api-workers` where `serve` has that option; otherwise `--api-workers` can only be 1), `--workers`
screening workers (`tiersight worker --concurrency 1` each) and the scheduler with its maintenance
worker (`celery -A workers.app worker --beat --queues tiersight.sweep`). Every process and the
database are removed at the end, whatever happened (an exception, Ctrl-C, SIGTERM).

Phases:

1. `--sequential` submissions one at a time (the service unloaded; the first one also has the workers
   load the matching index), waited for until done.
2. `--submissions` submissions from `--clients` concurrent clients (asyncio, one httpx client and
   connection each), each a multipart upload of `--lines` lines drawn from the generated
   suppliers.csv with an Idempotency-Key of its own. Closed loop by default: each client sends its
   next submission as soon as the last one was answered. With `--rate` the submissions are due at
   Poisson arrivals of that many per second instead (open loop), and each latency counts from when
   its submission was due. The latency of each 202 is recorded; any other answer or a transport error
   is counted as refused.
3. Waiting until no screening is queued or running (the list endpoint, every second); screenings per
   minute from the first submit of phase 2 to the last `finished_at` in the database.
4. The checks, in the database: one row per accepted submission, each `done`, exactly one
   `screening.completed` event each, no idempotency key on two rows and no row the benchmark did not
   submit; then 50 accepted submissions posted again with their keys must return the same ids and add
   no row.
5. The baseline (skipped with `--no-baseline`): phases 1 and 2 again, the same bodies, keys, headers,
   clients and loop model through the same load generator, against a route that does nothing: a
   FastAPI app (`bare_app` in this file) with one sync `POST /v1/screenings` that reads the uploaded
   file and answers 202 with a new id, without authentication, database, broker or middleware. It is
   served the way `tiersight serve` serves the service: uvicorn with its `auto` loop and HTTP
   implementation (uvloop and httptools where installed), log level info with the access log, and
   `--api-workers` server processes, in a process of its own. Its p50/p95/p99, submits per second
   and CPU per submit are printed next to the service's, with the service/baseline ratios of p50,
   p99 and submits per second: the p99 of a route that does nothing is the ceiling of the framework
   and server on this machine at this load, whatever the service's own code does.
   It runs after the service's phases, not before the workers start: the stack is then the same
   (API, workers, scheduler, Redis and PostgreSQL all up and idle, as memory and page cache go), the
   load generator equally warm, and the two loads are minutes apart, so other work on a shared
   machine is likelier the same for both; and the service's own phases keep the timing they had.
   What it cannot reproduce: while the service's submits run, the two workers screen the submissions
   already accepted, on the same two cores; the baseline starts no work, so its cores are free.

Where the time goes: the API's own duration of each submit (its `/metrics` histogram, read before and
after phase 2) next to the client's latency; how late the load generator's own event loop ran; the
CPU seconds of each part (load generator, API, workers, Redis, the PostgreSQL backends, everything
else on the machine) from /proc; and how many PostgreSQL connections were opened during phase 2.

Floors (the service issue): p99 submit latency <= 100 ms at 200 concurrent clients; no screening lost
(every accepted submission done, with its completion event) or duplicated (no second row, id or
completion event for one submission); and every submission accepted. Under the floors a note gives
the baseline's p99, the p99 of a route that does nothing; it is no floor of its own.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import importlib.metadata
import importlib.util
import io
import json
import os
import random
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import httpx
import numpy as np
import psycopg
import redis
from _common import Floor, print_table, report
from fastapi import FastAPI, File, UploadFile
from prometheus_client.parser import text_string_to_metric_families
from psycopg import sql

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
TENANT = "bench"
P99_FLOOR_MS = 100.0
RESUBMIT_SAMPLE = 50
SUBMIT_ROUTE = ("POST", "/v1/screenings")
DURATION_METRIC = "tiersight_http_request_duration_seconds"
LAG_PROBE_S = 0.01
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
STARTED_LINE = "Application startup complete."  # uvicorn logs it once per server process


# -- the baseline: a route that does nothing ---------------------------------------------------------


def bare_app() -> FastAPI:
    """The same route as the service's submit, doing nothing: FastAPI parses the multipart form and the
    sync handler (run in the thread pool, as the service's is) reads the upload and answers 202. No
    authentication, database, broker or middleware. Served by `python -m uvicorn --factory`."""
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)

    @app.post(SUBMIT_ROUTE[1], status_code=202)
    def submit(file: Annotated[UploadFile, File()]) -> dict[str, str]:
        file.file.read()
        return {"id": uuid.uuid4().hex, "status": "queued"}

    return app


def bare_app_argv(port: int, processes: int) -> list[str]:
    """The bare app under uvicorn with what `tiersight serve` leaves to uvicorn's defaults (loop and
    HTTP implementation `auto`, access log on) and its log level."""
    here = Path(__file__).resolve()
    return [sys.executable, "-m", "uvicorn", "--factory", f"{here.stem}:bare_app",
            "--app-dir", str(here.parent), "--host", "127.0.0.1", "--port", str(port),
            "--log-level", "info", "--workers", str(processes)]  # fmt: skip


def server_kind() -> str:
    """uvicorn's version and what its `auto` loop and HTTP implementation resolve to here."""
    loop = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"
    http = "httptools" if importlib.util.find_spec("httptools") else "h11"
    return f"uvicorn {importlib.metadata.version('uvicorn')}, loop {loop}, http {http}"


def serve_has_workers(env: dict[str, str]) -> bool:
    """Whether `tiersight serve` takes `--workers` (its help lists it)."""
    done = subprocess.run(
        [sys.executable, "-m", "api.cli", "serve", "--help"],
        env={**env, "COLUMNS": "200", "NO_COLOR": "1", "TERM": "dumb"},
        capture_output=True,
        text=True,
    )
    return done.returncode == 0 and "--workers" in done.stdout


# -- processes --------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _libpq(url: str, database: str | None = None) -> str:
    """The URL as psycopg takes it (no SQLAlchemy driver suffix), optionally for another database."""
    for prefix in ("postgresql+psycopg://", "postgres://"):
        if url.startswith(prefix):
            url = "postgresql://" + url[len(prefix) :]
    if database is not None:
        base, _, query = url.partition("?")
        url = base.rsplit("/", 1)[0] + "/" + database + (f"?{query}" if query else "")
    return url


@dataclass
class Proc:
    """A process started in a session of its own, so that it is stopped with every child it made."""

    name: str
    log: Path
    process: subprocess.Popen[bytes]

    def text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def alive(self) -> bool:
        return self.process.poll() is None

    def celery_ready(self) -> bool:
        """A Celery worker logs `<hostname> ready.` once it consumes its queues."""
        return "ready." in self.text()

    def servers_started(self, processes: int) -> bool:
        """uvicorn has started `processes` server processes (with `--workers`, one each)."""
        return self.text().count(STARTED_LINE) >= processes

    def stop(self) -> None:
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        with contextlib.suppress(ProcessLookupError):  # a pool process left behind by its parent
            os.killpg(self.process.pid, signal.SIGKILL)


@dataclass
class Stack:
    """Everything the benchmark started; `close()` removes it all, whatever state it is in."""

    folder: Path
    admin_url: str
    database: str | None = None
    procs: list[Proc] = field(default_factory=list)

    def start(self, name: str, argv: list[str], env: dict[str, str]) -> Proc:
        log = self.folder / f"{name}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                argv, cwd=self.folder, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        proc = Proc(name, log, process)
        self.procs.append(proc)
        return proc

    def create_database(self) -> str:
        self.database = f"tiersight_bench_{secrets.token_hex(4)}"
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.database)))
        return self.database

    def close(self) -> None:
        for proc in reversed(self.procs):
            try:
                proc.stop()
            except Exception as exc:  # the others and the database go all the same
                print(f"could not stop {proc.name} (pid {proc.process.pid}): {exc}", file=sys.stderr)
        if self.database is not None:
            with psycopg.connect(self.admin_url, autocommit=True) as conn:
                drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                    sql.Identifier(self.database)
                )
                conn.execute(drop)
            self.database = None

    def tails(self, chars: int = 3000) -> str:
        return "\n".join(f"--- {p.name}.log\n{p.text()[-chars:]}" for p in self.procs)


def wait_for(check: Callable[[], bool], timeout: float, what: str, stack: Stack) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        dead = [p.name for p in stack.procs if not p.alive()]
        if dead:
            raise RuntimeError(f"{', '.join(dead)} exited while waiting until {what} (logs above)")
        time.sleep(0.1)
    raise RuntimeError(f"not within {timeout:g} s: {what} (logs above)")


def run_cli(args: list[str], env: dict[str, str], cwd: Path) -> Any:
    """A `tiersight ... --json` command; its JSON output."""
    done = subprocess.run(
        [sys.executable, "-m", "api.cli", *args, "--json"], cwd=cwd, env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise RuntimeError(f"tiersight {' '.join(args)} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return json.loads(done.stdout)


def redis_answers(url: str) -> bool:
    client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False
    finally:
        client.close()


def http_ok(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


# -- the submissions -------------------------------------------------------------------------------


def supplier_lists(suppliers: Path, count: int, lines: int, seed: int) -> list[bytes]:
    """`count` small CSV supplier lists, each `lines` rows of the generated list chosen at random."""
    with suppliers.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    header, body = rows[0], rows[1:]
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rng.sample(body, min(lines, len(body))))
        out.append(buffer.getvalue().encode("utf-8"))
    return out


@dataclass
class Sent:
    """What a run of submissions got back: the id of each accepted key, latencies, refusals."""

    ids: dict[str, str] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)  # seconds, 202 answers only
    refused: list[str] = field(default_factory=list)  # "key: status or error"
    started: float = 0.0  # wall clock (time.time()) before the first request
    seconds: float = 0.0  # first request sent to last answer
    loop_lag: list[float] = field(default_factory=list)  # seconds the load generator's loop woke up late


async def submit_all(
    base_url: str,
    api_key: str,
    bodies: list[bytes],
    keys: list[str],
    clients: int,
    rate: float | None = None,
    seed: int = 7,
) -> Sent:
    """Send every body with its key from `clients` concurrent clients, each with a connection of its own.

    Without `rate` each client sends its next submission as soon as the last one was answered (closed
    loop). With `rate` the submissions are due at Poisson arrivals of that many per second (open loop);
    a client free takes the next one and waits until it is due, and its latency counts from when it
    was due, so a submission that waited for a free client is not measured as a fast one."""
    sent = Sent()
    headers = {"Authorization": f"Bearer {api_key}"}
    order = iter(range(len(bodies)))
    due = [0.0] * len(bodies)
    if rate is not None:
        rng = np.random.default_rng(seed)
        due = list(np.cumsum(rng.exponential(1.0 / rate, len(bodies))))
    # One client per connection: httpx's pool looks through every connection it holds for each request,
    # which at 200 connections costs the load generator more CPU than the requests themselves. The
    # clients share one TLS context (unused over http): making one each takes 20 ms of loading CA files.
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    tls = ssl.create_default_context()
    pool = [
        httpx.AsyncClient(
            base_url=base_url, headers=headers, limits=limits, timeout=httpx.Timeout(120.0), verify=tls
        )
        for _ in range(max(1, min(clients, len(bodies))))
    ]
    t0 = time.perf_counter()

    async def one_client(client: httpx.AsyncClient) -> None:
        for i in order:  # one iterator shared by every client: each index is taken once
            if rate is not None:
                await asyncio.sleep(max(0.0, t0 + due[i] - time.perf_counter()))
            start = t0 + due[i] if rate is not None else time.perf_counter()
            try:
                response = await client.post(
                    "/v1/screenings",
                    files={"file": ("suppliers.csv", bodies[i], "text/csv")},
                    headers={"Idempotency-Key": keys[i]},
                )
            except httpx.HTTPError as exc:
                sent.refused.append(f"{keys[i]}: {type(exc).__name__}: {exc}")
                continue
            elapsed = time.perf_counter() - start
            if response.status_code == 202:
                sent.latencies.append(elapsed)
                sent.ids[keys[i]] = response.json()["id"]
            else:
                sent.refused.append(f"{keys[i]}: HTTP {response.status_code} {response.text[:200]}")

    async def probe() -> None:
        """How late this process's event loop runs a 10 ms timer: the load generator's own delay."""
        while True:
            t = time.perf_counter()
            await asyncio.sleep(LAG_PROBE_S)
            sent.loop_lag.append(time.perf_counter() - t - LAG_PROBE_S)

    sent.started = time.time()
    prober = asyncio.create_task(probe())
    try:
        await asyncio.gather(*(one_client(client) for client in pool))
        sent.seconds = time.perf_counter() - t0
    finally:
        prober.cancel()
        for client in pool:
            await client.aclose()
    return sent


def wait_all_done(base_url: str, api_key: str, timeout: float) -> float:
    """Poll the list endpoint until nothing is queued or running; returns the seconds waited."""
    headers = {"Authorization": f"Bearer {api_key}"}
    t0 = time.perf_counter()
    with httpx.Client(base_url=base_url, headers=headers, timeout=30) as client:
        while True:
            pending = 0
            for status in ("queued", "running"):
                response = client.get("/v1/screenings", params={"status": status, "limit": 500})
                response.raise_for_status()
                pending += len(response.json()["screenings"])
            if pending == 0:
                return time.perf_counter() - t0
            if time.perf_counter() - t0 > timeout:
                raise RuntimeError(f"screenings still queued or running after {timeout:g} s (>= {pending})")
            time.sleep(1.0)


# -- measurements ----------------------------------------------------------------------------------


def submit_histogram(base_url: str) -> dict[float, float]:
    """The API's cumulative duration buckets of POST /v1/screenings (upper bound -> count), with
    'sum' under -1."""
    text = httpx.get(f"{base_url}/metrics", timeout=10).text
    out: dict[float, float] = {}
    for family in text_string_to_metric_families(text):
        if family.name != DURATION_METRIC:
            continue
        for sample in family.samples:
            if (sample.labels.get("method"), sample.labels.get("route")) != SUBMIT_ROUTE:
                continue
            if sample.name.endswith("_bucket"):
                out[float(sample.labels["le"])] = sample.value
            elif sample.name.endswith("_sum"):
                out[-1.0] = sample.value
    return out


def server_side(before: dict[float, float], after: dict[float, float]) -> dict[str, float]:
    """The API's own durations of the submits between two scrapes: count, mean, the share within the
    floor (exact: 0.1 s is a bucket bound) and p50/p99 interpolated within buckets."""
    diff = {le: after.get(le, 0.0) - before.get(le, 0.0) for le in after}
    total = diff.pop(-1.0, 0.0)
    bounds = sorted(diff)
    count = diff[bounds[-1]] if bounds else 0.0

    def quantile(q: float) -> float:
        rank, lower, below = q * count, 0.0, 0.0
        for le in bounds:
            if diff[le] >= rank:
                if le == float("inf"):
                    return lower
                return lower + (le - lower) * ((rank - below) / max(diff[le] - below, 1e-9))
            lower, below = le, diff[le]
        return lower

    within = diff.get(P99_FLOOR_MS / 1000, float("nan"))
    return {
        "count": count,
        "mean_ms": 1000 * total / count if count else float("nan"),
        "p50_ms": 1000 * quantile(0.50),
        "p99_ms": 1000 * quantile(0.99),
        "within_floor": within / count if count else float("nan"),
    }


def cpu_snapshot(stack: Stack) -> dict[str, float]:
    """CPU seconds (user and system) so far of each part: this process (the load generator), each
    process group started (a worker with its pool processes), the PostgreSQL backends serving the
    benchmark's database (their process title names it), the backends that have ended (of any
    database: the postmaster's reaped children), and the whole machine (every state but idle and
    iowait), whose remainder is everything else running on it."""
    groups = {p.process.pid: p.name for p in stack.procs}
    out = {
        "load generator": time.process_time(),
        **dict.fromkeys(groups.values(), 0.0),
        "postgresql, live backends": 0.0,
        "postgresql, ended backends": 0.0,
    }
    title = f" {stack.database} ".encode()  # "postgres: user database host(port) state"
    postmaster = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            seconds = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
            group = int(fields[2])
            if group in groups:
                out[groups[group]] += seconds
            elif stack.database and title in (entry / "cmdline").read_bytes().replace(b"\0", b" "):
                out["postgresql, live backends"] += seconds
                postmaster = int(fields[1])
    if postmaster:
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = Path(f"/proc/{postmaster}/stat").read_text().rsplit(")", 1)[1].split()
            out["postgresql, ended backends"] = (int(fields[13]) + int(fields[14])) / CLOCK_TICKS
    with open("/proc/stat") as handle:
        values = [int(v) for v in handle.readline().split()[1:]]
    out["machine"] = (sum(values) - values[3] - values[4]) / CLOCK_TICKS
    return out


def cpu_between(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    spent = {name: after[name] - before.get(name, 0.0) for name in after}
    parts = sum(v for k, v in spent.items() if k != "machine")
    machine = spent.pop("machine")
    return {**spent, "everything else": machine - parts, "machine": machine}


def percentiles_ms(latencies: list[float]) -> dict[str, float]:
    if not latencies:
        return dict.fromkeys(("p50", "p95", "p99", "max", "mean"), float("nan"))
    ms = np.asarray(latencies) * 1000
    p50, p95, p99 = np.percentile(ms, [50, 95, 99])
    return {
        "p50": float(p50),
        "p95": float(p95),
        "p99": float(p99),
        "max": float(ms.max()),
        "mean": float(ms.mean()),
    }


@dataclass(frozen=True)
class Checks:
    rows: int
    by_status: dict[str, int]
    lost: list[str]  # accepted keys whose screening is missing, not done or without its completion event
    duplicated: list[str]  # keys on two rows, ids of two keys, screenings with two completion events
    unexpected: list[str]  # rows of the tenant the benchmark did not get an id for
    first_created: float
    last_finished: float
    worker_seconds: float  # sum of finished_at - started_at


def check_database(url: str, ids: dict[str, str]) -> Checks:
    """Compare what the benchmark was told with what the database holds for the tenant."""
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            """
            SELECT s.id, s.idempotency_key, s.status,
                   extract(epoch FROM s.created_at)::float8, extract(epoch FROM s.started_at)::float8,
                   extract(epoch FROM s.finished_at)::float8,
                   (SELECT count(*) FROM events e
                     WHERE e.screening_id = s.id AND e.type = 'screening.completed')
              FROM screenings s JOIN tenants t ON t.id = s.tenant_id
             WHERE t.name = %s
            """,
            (TENANT,),
        ).fetchall()
    by_key: dict[str, list[str]] = {}
    by_id: dict[str, tuple[str, int]] = {}
    by_status: dict[str, int] = {}
    for job_id, key, status, _, _, _, completed in rows:
        by_key.setdefault(key, []).append(job_id)
        by_id[job_id] = (status, completed)
        by_status[status] = by_status.get(status, 0) + 1
    lost, duplicated = [], []
    for key, job_id in ids.items():
        status, completed = by_id.get(job_id, ("missing", 0))
        if status != "done" or completed == 0:
            lost.append(f"{key} -> {job_id}: {status}, {completed} completion event(s)")
        elif completed > 1:
            duplicated.append(f"{key} -> {job_id}: {completed} completion events")
        if by_key.get(key, []) != [job_id]:
            duplicated.append(f"{key}: rows {by_key.get(key, [])}, answered {job_id}")
    answered: dict[str, list[str]] = {}
    for key, job_id in ids.items():
        answered.setdefault(job_id, []).append(key)
    duplicated += [
        f"{job_id}: answered for keys {keys}" for job_id, keys in answered.items() if len(keys) > 1
    ]
    unexpected = [f"{key} -> {', '.join(found)}" for key, found in by_key.items() if key not in ids]
    started = [r[3] for r in rows]
    finished = [r[5] for r in rows if r[5] is not None]
    work = [r[5] - r[4] for r in rows if r[4] is not None and r[5] is not None]
    return Checks(
        rows=len(rows),
        by_status=by_status,
        lost=lost,
        duplicated=duplicated,
        unexpected=unexpected,
        first_created=min(started, default=float("nan")),
        last_finished=max(finished, default=float("nan")),
        worker_seconds=float(sum(work)),
    )


def pg_sessions(url: str) -> int:
    """Connections opened to the benchmark's database so far (PostgreSQL 14 and later; else 0)."""
    with psycopg.connect(url) as conn:
        found = conn.execute(
            "SELECT coalesce(sessions, 0) FROM pg_stat_database WHERE datname = current_database()"
        ).fetchone()
    return int(found[0]) if found else 0


def row_count(url: str) -> int:
    with psycopg.connect(url) as conn:
        found = conn.execute("SELECT count(*) FROM screenings").fetchone()
    return int(found[0]) if found else 0


# -- the run ---------------------------------------------------------------------------------------


def service_env(database_url: str, broker_url: str, folder: Path, rate: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TIERSIGHT_")}
    env.update(
        TIERSIGHT_DATABASE_URL=database_url,
        TIERSIGHT_BROKER_URL=broker_url,
        TIERSIGHT_INDEX_DIR=str(folder / "index"),
        # The benchmark measures the service, not its limiter: one key sends the whole load.
        TIERSIGHT_RATE_LIMIT_PER_MINUTE=str(rate * 60),
        TIERSIGHT_RATE_LIMIT_BURST=str(rate),
    )
    return env


def bring_up(stack: Stack, args: argparse.Namespace) -> tuple[str, str, str, Path, dict[str, Any]]:
    """Database, network, key, Redis, API, workers and scheduler; returns the API's base URL, the key,
    the database URL for psycopg, the generated suppliers file and what was loaded."""
    folder = stack.folder
    plain_env = {k: v for k, v in os.environ.items() if not k.startswith("TIERSIGHT_")}
    generated = run_cli(["network", "generate", "--out", str(folder / "network")], plain_env, folder)
    database = stack.create_database()
    pg_url = _libpq(args.postgres, database)
    db_url = pg_url.replace("postgresql://", "postgresql+psycopg://", 1)
    network = folder / "network"
    loaded = run_cli(
        ["network", "load", str(network / "shipments.csv"), "--companies", str(network / "companies.csv"),
         "--db", db_url],
        plain_env,
        folder,
    )  # fmt: skip
    api_key = run_cli(["apikey", "create", "--tenant", TENANT, "--db", db_url], plain_env, folder)["api_key"]

    redis_port = free_port()
    redis_server = shutil.which("redis-server")
    if redis_server is None:
        raise RuntimeError("redis-server is not on PATH")
    stack.start(
        "redis",
        [redis_server, "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        plain_env,
    )
    broker = f"redis://127.0.0.1:{redis_port}/0"
    wait_for(lambda: redis_answers(broker), 15, f"redis-server answers on port {redis_port}", stack)
    env = service_env(
        db_url, broker, folder, rate=10 * (args.submissions + args.sequential + RESUBMIT_SAMPLE)
    )

    api_port = free_port()
    base_url = f"http://127.0.0.1:{api_port}"
    serve = [sys.executable, "-m", "api.cli", "serve", "--port", str(api_port)]
    if args.serve_workers:
        serve += ["--workers", str(args.api_workers)]
    api = stack.start("api", serve, env)
    wait_for(lambda: http_ok(f"{base_url}/readyz"), 60, "the API answers /readyz with 200", stack)
    wait_for(lambda: api.servers_started(args.api_workers), 60, "every API process has started", stack)

    workers = []
    for n in range(1, args.workers + 1):
        argv = [sys.executable, "-m", "api.cli", "worker", "--concurrency", "1",
                "--hostname", f"bench-w{n}@%h", "--without-mingle", "--without-gossip"]  # fmt: skip
        workers.append(stack.start(f"worker{n}", argv, env))
    if not args.no_scheduler:
        argv = [sys.executable, "-m", "celery", "-A", "workers.app", "worker", "--beat",
                "--queues", "tiersight.sweep", "--concurrency", "1", "--hostname", "bench-sched@%h",
                "--loglevel", "info", "--schedule", str(folder / "beat-schedule"),
                "--without-mingle", "--without-gossip"]  # fmt: skip
        workers.append(stack.start("scheduler", argv, env))
    for proc in workers:
        wait_for(proc.celery_ready, 120, f"{proc.name} is ready", stack)
    return base_url, api_key, pg_url, network / "suppliers.csv", {**generated, **loaded}


def run_baseline(
    stack: Stack, args: argparse.Namespace, api_key: str, bodies: list[bytes], keys: list[str]
) -> dict[str, Any]:
    """Phases 1 and 2 again, with the same bodies, keys and clients, against the bare route served in
    a process of its own (as many server processes as the API); stopped afterwards."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TIERSIGHT_")}
    proc = stack.start("bare-route", bare_app_argv(port, args.api_workers), env)
    what = "the bare route's server processes have started"
    wait_for(lambda: proc.servers_started(args.api_workers), 60, what, stack)
    url, n = f"http://127.0.0.1:{port}", args.sequential
    sequential = asyncio.run(submit_all(url, api_key, bodies[:n], keys[:n], 1))
    before = cpu_snapshot(stack)
    load = asyncio.run(
        submit_all(url, api_key, bodies[n:], keys[n:], args.clients, rate=args.rate, seed=args.seed)
    )
    cpu = cpu_between(before, cpu_snapshot(stack))
    proc.stop()
    accepted = max(1, len(load.latencies))
    return {
        "latency_ms": {k: round(v, 1) for k, v in percentiles_ms(load.latencies).items()},
        "unloaded_latency_ms": {
            k: round(v, 1)
            for k, v in percentiles_ms(sequential.latencies[1:] or sequential.latencies).items()
        },
        "submit_phase_s": round(load.seconds, 2),
        "submits_per_s": round(len(load.latencies) / load.seconds, 1) if load.seconds else float("nan"),
        "load_generator_loop_lag_ms": {k: round(v, 1) for k, v in percentiles_ms(load.loop_lag).items()},
        "cpu_ms_per_submit": {
            part: round(1000 * cpu[part] / accepted, 2) for part in ("bare-route", "load generator")
        },
        "cpu_s_during_submits": {k: round(v, 1) for k, v in cpu.items() if abs(v) >= 0.05},
        "refused": len(load.refused) + len(sequential.refused),
        "refused_sample": (sequential.refused + load.refused)[:10],
    }


def ratio(service: float, baseline: float) -> float:
    return round(service / baseline, 2) if baseline > 0 else float("nan")


def run(stack: Stack, args: argparse.Namespace) -> tuple[dict[str, object], list[Floor]]:
    t_setup = time.perf_counter()
    base_url, api_key, pg_url, suppliers, loaded = bring_up(stack, args)
    setup_s = time.perf_counter() - t_setup
    run_id = secrets.token_hex(3)
    total = args.sequential + args.submissions
    bodies = supplier_lists(suppliers, total, args.lines, args.seed)
    keys = [f"bench-{run_id}-{i:06d}" for i in range(total)]

    # 1. one at a time: the service's own time per submit, and the workers' first screenings
    t0 = time.perf_counter()
    sequential = asyncio.run(
        submit_all(base_url, api_key, bodies[: args.sequential], keys[: args.sequential], 1)
    )
    wait_all_done(base_url, api_key, args.timeout)
    warm_s = time.perf_counter() - t0

    # 2. the load
    cpu_before = cpu_snapshot(stack)
    hist_before = submit_histogram(base_url)
    sessions_before = pg_sessions(pg_url)
    load = asyncio.run(
        submit_all(
            base_url,
            api_key,
            bodies[args.sequential :],
            keys[args.sequential :],
            args.clients,
            rate=args.rate,
            seed=args.seed,
        )
    )
    hist_after = submit_histogram(base_url)
    sessions_load = pg_sessions(pg_url) - sessions_before - 1  # less the one reading the count
    cpu_load = cpu_between(cpu_before, cpu_snapshot(stack))

    # 3. until every screening is done
    drain_s = wait_all_done(base_url, api_key, args.timeout)
    cpu_all = cpu_between(cpu_before, cpu_snapshot(stack))

    # 4. the checks, then the same keys again
    ids = {**sequential.ids, **load.ids}
    checks = check_database(pg_url, ids)
    rows_before = row_count(pg_url)
    sample_keys = random.Random(args.seed).sample(sorted(load.ids), min(RESUBMIT_SAMPLE, len(load.ids)))
    index = {key: i for i, key in enumerate(keys)}
    again = asyncio.run(
        submit_all(
            base_url, api_key, [bodies[index[k]] for k in sample_keys], sample_keys, min(args.clients, 50)
        )
    )
    rows_after = row_count(pg_url)
    resubmit_mismatch = [
        f"{key}: first {load.ids[key]}, again {again.ids.get(key, 'refused')}"
        for key in sample_keys
        if again.ids.get(key) != load.ids[key]
    ]

    # 5. the same load against a route that does nothing
    baseline = None if args.no_baseline else run_baseline(stack, args, api_key, bodies, keys)

    lat = percentiles_ms(load.latencies)
    unloaded = percentiles_ms(sequential.latencies[1:] or sequential.latencies)
    server = server_side(hist_before, hist_after)
    submits_per_s = len(load.latencies) / load.seconds if load.seconds else float("nan")
    versus = None
    if baseline is not None:
        versus = {
            "p50": ratio(lat["p50"], baseline["latency_ms"]["p50"]),
            "p99": ratio(lat["p99"], baseline["latency_ms"]["p99"]),
            "submits_per_s": ratio(submits_per_s, baseline["submits_per_s"]),
        }
    span_s = checks.last_finished - load.started
    per_minute = len(load.ids) / span_s * 60 if span_s > 0 else float("nan")
    refused = load.refused + sequential.refused
    lost = len(checks.lost)
    duplicated = (
        len(checks.duplicated) + len(checks.unexpected) + (rows_after - rows_before) + len(resubmit_mismatch)
    )
    floors = [
        Floor(
            f"p99 submit latency at {args.clients} concurrent clients"
            + (f", {args.rate:g}/s due" if args.rate else " (closed loop)"),
            lat["p99"],
            P99_FLOOR_MS,
            at_most=True,
            unit=" ms",
        ),
        Floor("screenings lost", lost, 0, at_most=True),
        Floor("screenings duplicated", duplicated, 0, at_most=True),
        Floor("submissions refused", len(refused), 0, at_most=True),
    ]
    data: dict[str, object] = {
        "submissions": args.submissions,
        "clients": args.clients,
        "rate_per_s": args.rate,
        "workers": args.workers,
        "api_workers": args.api_workers,
        "server": server_kind(),
        "lines_per_list": args.lines,
        "sequential": args.sequential,
        "network": {k: loaded.get(k) for k in ("shipments", "companies", "suppliers")},
        "setup_s": round(setup_s, 1),
        "sequential_phase_s": round(warm_s, 1),
        "latency_ms": {k: round(v, 1) for k, v in lat.items()},
        "unloaded_latency_ms": {k: round(v, 1) for k, v in unloaded.items()},
        "api_duration_ms": {k: round(v, 3) for k, v in server.items()},
        "submit_phase_s": round(load.seconds, 2),
        "submits_per_s": round(submits_per_s, 1),
        "mean_in_flight": round(submits_per_s * lat["mean"] / 1000, 1),
        "load_generator_loop_lag_ms": {k: round(v, 1) for k, v in percentiles_ms(load.loop_lag).items()},
        "cpu_ms_per_submit": {
            part: round(1000 * cpu_load[part] / max(1, len(load.latencies)), 2)
            for part in ("api", "load generator", "postgresql, live backends", "postgresql, ended backends")
        },
        "postgres_connections_opened_during_submits": sessions_load,
        "drain_after_submits_s": round(drain_s, 1),
        "first_submit_to_last_done_s": round(span_s, 1),
        "screenings_per_minute": round(per_minute, 1),
        "worker_seconds_per_screening": round(checks.worker_seconds / max(1, checks.rows), 3),
        "cpu_s_during_submits": {k: round(v, 1) for k, v in cpu_load.items()},
        "cpu_s_until_done": {k: round(v, 1) for k, v in cpu_all.items()},
        "database": {
            "rows": checks.rows,
            "by_status": checks.by_status,
            "accepted": len(ids),
            "lost": checks.lost[:10],
            "duplicated": checks.duplicated[:10],
            "unexpected_rows": checks.unexpected[:10],
            "resubmitted": len(sample_keys),
            "resubmit_mismatches": resubmit_mismatch[:10],
            "rows_added_by_resubmits": rows_after - rows_before,
        },
        "refused": len(refused),
        "refused_sample": refused[:10],
        "baseline": baseline,
        "service_over_baseline": versus,
    }
    return data, floors


def finite(value: Any) -> Any:
    """NaN (a figure that could not be measured) as null, so that --json stays valid JSON."""
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [finite(v) for v in value]
    return value


def load_label(data: dict[str, Any]) -> str:
    what = f"{data['submissions']:,} submissions, {data['clients']} concurrent clients"
    rate = data.get("rate_per_s")
    return what + (f", {rate:g}/s due (open loop)" if rate else " (closed loop)")


def ms_row(values: dict[str, float]) -> str:
    return " / ".join(f"{values[k]:,.1f}" for k in ("p50", "p95", "p99", "max"))


def print_baseline(data: dict[str, Any]) -> None:
    base, versus = data["baseline"], data["service_over_baseline"]
    cpu, base_cpu = data["cpu_ms_per_submit"], base["cpu_ms_per_submit"]
    base_other = base["cpu_s_during_submits"].get("everything else", 0.0)
    processes = f"{data['api_workers']} server process" + ("es" if data["api_workers"] > 1 else "")
    print_table(
        f"Baseline: the same load, after the service's, against a route that does nothing\n"
        f"  (FastAPI, one sync route reading the upload; {data['server']}, {processes})",
        [
            (
                "submit latency, ms (p50 / p95 / p99 / max)",
                ms_row(data["latency_ms"]),
                ms_row(base["latency_ms"]),
            ),
            (
                "one at a time, ms (first left out)",
                ms_row(data["unloaded_latency_ms"]),
                ms_row(base["unloaded_latency_ms"]),
            ),
            ("accepted submits/s", f"{data['submits_per_s']:,.1f}", f"{base['submits_per_s']:,.1f}"),
            (
                "the load generator's event loop, late by, ms",
                ms_row(data["load_generator_loop_lag_ms"]),
                ms_row(base["load_generator_loop_lag_ms"]),
            ),
            (
                "CPU ms per submit: server / load generator",
                f"{cpu['api']:.1f} / {cpu['load generator']:.1f}",
                f"{base_cpu['bare-route']:.1f} / {base_cpu['load generator']:.1f}",
            ),
            (
                "CPU s of other work on the machine, in the phase's s",
                f"{data['cpu_s_during_submits']['everything else']:.1f} in {data['submit_phase_s']:.1f}",
                f"{base_other:.1f} in {base['submit_phase_s']:.1f}",
            ),
            ("refused", f"{data['refused']}", f"{base['refused']}"),
        ],
        ("", "tiersight serve", "bare route"),
    )
    print(
        f"  service / baseline: p50 {versus['p50']:.2f}x, p99 {versus['p99']:.2f}x, "
        f"submits/s {versus['submits_per_s']:.2f}x"
    )
    for line in base["refused_sample"]:
        print(f"  bare route refused: {line}")


def print_human(data: dict[str, Any]) -> None:
    lat, unloaded, server = data["latency_ms"], data["unloaded_latency_ms"], data["api_duration_ms"]
    db = data["database"]
    print(
        f"network: {data['network']['shipments']:,} shipments, {data['network']['companies']:,} registry "
        f"companies; set up in {data['setup_s']} s; {data['workers']} screening worker(s)"
    )

    print_table(
        "Submit latency (ms, 202 answers; p50 / p95 / p99 / max)",
        [
            (load_label(data), ms_row(lat), ""),
            (f"{data['sequential']} submissions one at a time (first left out)", ms_row(unloaded), ""),
            (
                "the API's own duration under load (/metrics, p50 / p99 interpolated)",
                f"{server['p50_ms']:,.1f} / {server['p99_ms']:,.1f}",
                f"mean {server['mean_ms']:,.1f}; {server['within_floor']:.1%} within 100 ms",
            ),
            (
                "the load generator's event loop, late by",
                ms_row(data["load_generator_loop_lag_ms"]),
                "",
            ),
        ],
        ("", "client side", ""),
    )
    if data.get("baseline"):
        print_baseline(data)
    cpu_per = data["cpu_ms_per_submit"]
    print(
        f"\n  accepted {data['submits_per_s']:,.1f} submits/s with {data['mean_in_flight']:,.1f} in flight "
        f"on average (Little's law: rate x mean latency)\n"
        f"  of the mean latency {lat['mean']:,.1f} ms: {server['mean_ms']:,.1f} ms inside the API's handlers "
        f"and middleware, {lat['mean'] - server['mean_ms']:,.1f} ms outside them\n"
        "    (connecting, HTTP parsing, waiting for the API's or the load generator's event loop)"
    )
    if not data.get("rate_per_s"):
        needed = data["clients"] / (P99_FLOOR_MS / 1000)
        print(
            f"  closed loop: {data['clients']} clients always waiting have a mean latency <= "
            f"{P99_FLOOR_MS:g} ms only at >= {needed:,.0f} submits/s"
        )
    print(
        f"  CPU per accepted submit: API {cpu_per['api']:.1f} ms, PostgreSQL "
        f"{cpu_per['postgresql, live backends'] + cpu_per['postgresql, ended backends']:.1f} ms, "
        f"load generator {cpu_per['load generator']:.1f} ms\n"
        f"  PostgreSQL connections opened during the submits: "
        f"{data['postgres_connections_opened_during_submits']:,}"
    )
    cpu, cpu_all = data["cpu_s_during_submits"], data["cpu_s_until_done"]
    print_table(
        f"CPU seconds (submit phase {data['submit_phase_s']} s, then {data['drain_after_submits_s']} s "
        "until every screening was done)",
        [(k, f"{v:,.1f}", f"{cpu_all.get(k, float('nan')):,.1f}") for k, v in cpu.items()],
        ("", "submit phase", "until all done"),
    )
    print(
        f"\nscreenings: {data['screenings_per_minute']:,.1f} per minute from the first submit to the last "
        f"done ({data['first_submit_to_last_done_s']} s; {data['worker_seconds_per_screening']} s of worker "
        f"time each)\ndatabase: {db['rows']:,} rows {db['by_status']}, {db['accepted']:,} accepted, "
        f"{len(db['lost'])} lost, {len(db['duplicated'])} duplicated, "
        f"{len(db['unexpected_rows'])} unexpected; "
        f"{db['resubmitted']} posted again: {len(db['resubmit_mismatches'])} other ids, "
        f"{db['rows_added_by_resubmits']} rows added; {data['refused']} refused"
    )
    for what in ("lost", "duplicated", "unexpected_rows", "resubmit_mismatches"):
        for line in db[what]:
            print(f"  {what}: {line}")
    for line in data["refused_sample"]:
        print(f"  refused: {line}")
    print(f"\nruntime {data['runtime_s']} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--submissions", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2, help="screening workers, --concurrency 1 each")
    parser.add_argument(
        "--api-workers",
        type=int,
        default=1,
        help="server processes of the API (`tiersight serve --workers`, where it has it) and of the baseline",
    )
    parser.add_argument("--no-baseline", action="store_true", help="skip the bare-route baseline")
    parser.add_argument(
        "--rate", type=float, help="open loop: submissions due per second (Poisson); default: closed loop"
    )
    parser.add_argument("--lines", type=int, default=3, help="supplier lines per submission")
    parser.add_argument("--sequential", type=int, default=20, help="submissions one at a time first")
    parser.add_argument("--no-scheduler", action="store_true", help="no beat / maintenance worker")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds to wait for the screenings")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES)
    parser.add_argument("--logs", type=Path, help="keep the processes' logs in this folder")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.sequential < 1 or args.submissions < 1 or args.clients < 1 or args.api_workers < 1:
        parser.error("--sequential, --submissions, --clients and --api-workers need at least 1")
    args.serve_workers = serve_has_workers(
        {k: v for k, v in os.environ.items() if not k.startswith("TIERSIGHT_")}
    )
    if args.api_workers > 1 and not args.serve_workers:
        parser.error("--api-workers: `tiersight serve` has no --workers option here, so only 1")
    started = time.perf_counter()

    def stop(signum: int, _frame: object) -> None:
        hold_signals()
        raise SystemExit(128 + signum)  # so that the finally below removes everything

    def hold_signals() -> None:
        """A second Ctrl-C or SIGTERM must not cut the clean-up short."""
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)

    signal.signal(signal.SIGTERM, stop)
    folder = Path(tempfile.mkdtemp(prefix="tiersight-api-load-"))
    stack = Stack(folder, _libpq(args.postgres))
    try:
        data, floors = run(stack, args)
    except Exception:
        print(stack.tails(), file=sys.stderr)
        raise
    finally:
        hold_signals()
        try:
            stack.close()
        finally:
            if args.logs is not None:
                args.logs.mkdir(parents=True, exist_ok=True)
                for log in folder.glob("*.log"):
                    shutil.copy(log, args.logs / log.name)
            shutil.rmtree(folder, ignore_errors=True)
    data["runtime_s"] = round(time.perf_counter() - started, 1)
    if not args.json:
        print_human(data)
    report(finite(data), floors, args.json)
    baseline: Any = data["baseline"]
    if not args.json and baseline:
        print(
            f"  note  p99 of a route that does nothing, same server, load and machine: "
            f"{baseline['latency_ms']['p99']:,.2f} ms (the floor above: <= {P99_FLOOR_MS:g} ms)"
        )


if __name__ == "__main__":
    main()
