"""Loading throughput: a generated shipments CSV with entity resolution into SQLite and PostgreSQL.

    python bench/load.py [--rows-scale 30] [--postgres URL] [--json]

`screening.synth.generate(scale=N)` writes the shipments file and its company registry (scale 30 is
about 110,000 rows, 2750 about 10 million). Each phase runs in its own process so its peak memory
is its own: the tiersight load (registry + shipments, names resolved to companies) into a freshly
migrated SQLite file and into a throw-away PostgreSQL database, PostgreSQL's own `COPY` of the
same file into an all-text table, and a streamed pyarrow read of it (every column as text). The
PostgreSQL database `tiersight_bench_<random>` is created for the run and dropped after it.

The tiersight phases also report how many matcher searches entity resolution ran and how long
they took (the matcher is timed from outside; nothing in the load changes for the benchmark), so
the share of the load that is name matching rather than reading and writing is visible.

Floors (the matching issue, for 10,000,000 rows; smaller runs are extrapolated linearly from the
measured rate): <= 10 minutes into SQLite, within 3x of raw COPY into PostgreSQL, peak memory
<= 8 GB.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import Floor, peak_rss_mb, print_table, report

TARGET_ROWS = 10_000_000
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _libpq(url: str, database: str | None = None) -> str:
    """The URL as psycopg takes it (no SQLAlchemy driver suffix), optionally for another database."""
    for prefix in ("postgresql+psycopg://", "postgres://"):
        if url.startswith(prefix):
            url = "postgresql://" + url[len(prefix) :]
    if database is not None:
        base, _, query = url.partition("?")
        url = base.rsplit("/", 1)[0] + "/" + database + (f"?{query}" if query else "")
    return url


def _phase_tiersight(url: str, shipments: Path, companies: Path) -> dict[str, Any]:
    from screening import services
    from screening.matching.index import MatchIndex
    from screening.storage.db import make_engine, migrate, session_scope
    from screening.storage.repository import SqlNetworkStore

    searches = {"calls": 0, "seconds": 0.0}
    search = MatchIndex.search

    def timed_search(self: MatchIndex, *args: Any, **kwargs: Any) -> Any:
        t = time.perf_counter()
        try:
            return search(self, *args, **kwargs)
        finally:
            searches["calls"] += 1
            searches["seconds"] += time.perf_counter() - t

    MatchIndex.search = timed_search  # type: ignore[method-assign]
    engine = make_engine(url)
    migrate(engine)
    t0 = time.perf_counter()
    with session_scope(engine) as session:
        summary = services.load_network(SqlNetworkStore(session), shipments=shipments, companies=companies)
    seconds = time.perf_counter() - t0
    engine.dispose()
    return {
        "seconds": seconds,
        "shipments": summary.shipments,
        "companies": summary.companies,
        "linked_by_matcher": summary.linked_by_matcher,
        "errors": len(summary.errors),
        "matcher_searches": searches["calls"],
        "matcher_s": searches["seconds"],
    }


def _phase_copy(url: str, shipments: Path) -> dict[str, Any]:
    import psycopg

    with shipments.open(newline="") as handle:
        header = next(csv.reader(handle))
    columns = ", ".join(f'"{name}" text' for name in header)
    with psycopg.connect(_libpq(url)) as conn, conn.cursor() as cur:
        cur.execute(f"CREATE TABLE shipments_raw ({columns})")
        t0 = time.perf_counter()
        sql = "COPY shipments_raw FROM STDIN WITH (FORMAT csv, HEADER true)"
        with cur.copy(sql) as copy, shipments.open("rb") as data:
            while chunk := data.read(1 << 20):
                copy.write(chunk)
        conn.commit()
        seconds = time.perf_counter() - t0
        row = cur.execute("SELECT count(*) FROM shipments_raw").fetchone()
        cur.execute("DROP TABLE shipments_raw")
    return {"seconds": seconds, "rows": row[0] if row else 0}


def _phase_pyarrow(shipments: Path) -> dict[str, Any]:
    import pyarrow as pa  # type: ignore[import-untyped,unused-ignore]
    from pyarrow import csv as pacsv  # type: ignore[import-untyped,unused-ignore]

    with shipments.open(newline="") as handle:
        header = next(csv.reader(handle))
    t0 = time.perf_counter()
    options = pacsv.ConvertOptions(column_types=dict.fromkeys(header, pa.string()))
    rows = sum(batch.num_rows for batch in pacsv.open_csv(str(shipments), convert_options=options))
    return {"seconds": time.perf_counter() - t0, "rows": rows}


def _run_phase(argv: list[str]) -> dict[str, Any]:
    """Run one phase in a child process; its JSON result plus its own peak memory."""
    t0 = time.perf_counter()
    done = subprocess.run(
        [sys.executable, __file__, "--phase", *argv], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "failed"}
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    result["wall_s"] = time.perf_counter() - t0
    return result


def _child(argv: list[str]) -> None:
    kind, *rest = argv
    if kind == "tiersight":
        result = _phase_tiersight(rest[0], Path(rest[1]), Path(rest[2]))
    elif kind == "copy":
        result = _phase_copy(rest[0], Path(rest[1]))
    else:
        result = _phase_pyarrow(Path(rest[0]))
    result["peak_rss_mb"] = peak_rss_mb()
    result["cpu_s"] = time.process_time()  # this process only; the PostgreSQL server is not counted
    print(json.dumps(result))


def _finite(value: float) -> float | None:
    """NaN (a phase that did not run) as null, so --json stays valid JSON."""
    return None if math.isnan(value) else value


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--phase":
        _child(sys.argv[2:])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rows-scale", type=int, default=30)
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    started = time.perf_counter()

    import psycopg

    from screening import synth

    with tempfile.TemporaryDirectory(prefix="tiersight-bench-") as tmp:
        out = Path(tmp)
        t0 = time.perf_counter()
        stats = synth.generate(out, scale=args.rows_scale)
        generate_s = time.perf_counter() - t0
        shipments, companies = out / "shipments.csv", out / "companies.csv"
        rows = stats.shipments
        size_mb = shipments.stat().st_size / 1024 / 1024

        sqlite = _run_phase(["tiersight", f"sqlite:///{out / 'bench.db'}", str(shipments), str(companies)])
        database = f"tiersight_bench_{secrets.token_hex(4)}"
        admin = _libpq(args.postgres)
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{database}"')
        try:
            pg_url = _libpq(args.postgres, database).replace("postgresql://", "postgresql+psycopg://", 1)
            postgres = _run_phase(["tiersight", pg_url, str(shipments), str(companies)])
            copy = _run_phase(["copy", pg_url, str(shipments)])
        finally:
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        arrow = _run_phase(["pyarrow", str(shipments)])

    def rate(phase: dict[str, Any]) -> float:
        return rows / phase["seconds"] if "seconds" in phase else float("nan")

    sqlite_rate, pg_rate, copy_rate, arrow_rate = rate(sqlite), rate(postgres), rate(copy), rate(arrow)
    sqlite_10m_min = TARGET_ROWS / sqlite_rate / 60
    pg_vs_copy = copy_rate / pg_rate  # how many times slower than COPY
    peak_gb = max(p.get("peak_rss_mb", 0.0) for p in (sqlite, postgres, copy, arrow)) / 1024
    floors = [
        Floor("SQLite load of 10M rows (extrapolated)", sqlite_10m_min, 10, at_most=True, unit=" min"),
        Floor("PostgreSQL load time / raw COPY time", pg_vs_copy, 3, at_most=True, unit="x"),
        Floor(f"peak memory of any phase at {rows:,} rows", peak_gb, 8, at_most=True, unit=" GB"),
    ]
    data: dict[str, object] = {
        "rows_scale": args.rows_scale,
        "rows": rows,
        "file_mb": round(size_mb, 1),
        "registry_companies": stats.companies,
        "network_companies": stats.network_companies,
        "generate_s": round(generate_s, 1),
        "phases": {"sqlite": sqlite, "postgres": postgres, "postgres_copy": copy, "pyarrow": arrow},
        "rows_per_s": {
            "sqlite": _finite(sqlite_rate),
            "postgres": _finite(pg_rate),
            "postgres_copy": _finite(copy_rate),
            "pyarrow": _finite(arrow_rate),
        },
        "extrapolated_10m_minutes": {
            name: _finite(TARGET_ROWS / r / 60)
            for name, r in (("sqlite", sqlite_rate), ("postgres", pg_rate), ("postgres_copy", copy_rate))
        },
        "postgres_vs_copy": _finite(pg_vs_copy),
        "sqlite_vs_pyarrow": _finite(arrow_rate / sqlite_rate),
        "runtime_s": round(time.perf_counter() - started, 1),
    }
    if not args.json:
        print(
            f"{rows:,} shipment rows ({size_mb:,.1f} MB), registry {stats.companies:,} companies, "
            f"{stats.network_companies:,} network companies; generated in {generate_s:.1f} s"
        )

        def cell(phase: dict[str, Any]) -> str:
            if "seconds" not in phase:
                return str(phase.get("missing") or phase.get("error"))
            return (
                f"{phase['seconds']:.1f} s (cpu {phase['cpu_s']:.0f} s) {rows / phase['seconds']:,.0f}/s "
                f"{phase['peak_rss_mb']:,.0f} MB"
            )

        def matcher(phase: dict[str, Any]) -> str:
            if "matcher_s" not in phase:
                return ""
            share = phase["matcher_s"] / phase["seconds"]
            return f"{phase['matcher_searches']:,} in {phase['matcher_s']:.1f} s ({share:.0%} of the load)"

        print_table(
            "Load (seconds, rows per second, peak RSS of the phase)",
            [
                ("SQLite", cell(sqlite), ""),
                ("PostgreSQL", cell(postgres), cell(copy)),
                ("pyarrow open_csv (streamed, text)", "", cell(arrow)),
                ("  of SQLite: matcher searches", matcher(sqlite), ""),
                ("  of PostgreSQL: matcher searches", matcher(postgres), ""),
                ("PostgreSQL / COPY time", f"{pg_vs_copy:.1f}x", ""),
                ("10M rows into SQLite (extrap.)", f"{sqlite_10m_min:.1f} min", ""),
                (
                    "10M rows into PostgreSQL (extrap.)",
                    f"{TARGET_ROWS / pg_rate / 60:.1f} min",
                    f"{TARGET_ROWS / copy_rate / 60:.1f} min",
                ),
            ],
            ("", "tiersight", "baseline (COPY / pyarrow)"),
        )
        print(f"\nruntime {data['runtime_s']} s")
    report(data, floors, args.json)


if __name__ == "__main__":
    main()
