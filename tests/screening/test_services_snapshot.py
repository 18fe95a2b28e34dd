"""The snapshot's matching index on disk: written once per network version (and matcher version), read
back by a new snapshot or a new process instead of built, and rebuilt (never served) when anything it
was built from or with has changed or the file is damaged. On a real SQLite database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

import screening.matching.index as index_module
from screening import services
from screening.model import Candidate
from screening.storage.db import make_engine, migrate, session_scope
from screening.storage.repository import SqlNetworkStore

ROOT = Path(__file__).resolve().parents[2]

COMPANIES = """\
company_id,name,aliases,address,country
C-VOLTA,"Shenzhen Volta Cells Co., Ltd.",Volta Cells|深圳伏特电池有限公司,"Bao'an District, Shenzhen",CN
C-PACK,Hanoi Pack Assembly JSC,,Long Bien,VN
C-ACME,Acme Power Tools Inc,,Milwaukee WI,US
C-QING,Qinghai Lithium Salt Works Co.,,,CN
"""
MORE = """\
company_id,name,country
C-NORD,Nordic Cathode Materials AB,SE
"""
QUERIES = (("SHENZHEN VOLTA CELLS CO LTD", "CN"), ("Hanoi Pack Assembly", "VN"), ("Nordic Cathode", "SE"))


def database(folder: Path, *registries: str) -> Engine:
    """A SQLite database in `folder` with the registries loaded one after the other."""
    folder.mkdir(parents=True, exist_ok=True)
    engine = make_engine(f"sqlite:///{folder / 'network.db'}")
    migrate(engine)
    for n, text in enumerate(registries):
        path = folder / f"companies-{n}.csv"
        path.write_text(text, encoding="utf-8")
        with session_scope(engine) as session:
            services.load_network(SqlNetworkStore(session), companies=path)
    return engine


def fresh_snapshot(engine: Engine, index_dir: Path | None) -> services.Snapshot:
    """A new snapshot, as a new process (or the next network version) makes one: nothing cached."""
    with session_scope(engine) as session:
        store = SqlNetworkStore(session)
        snap = services.Snapshot(store, store.network_version(), index_dir)
        snap.index  # noqa: B018 - reading the index is the point
    return snap


def answers(snap: services.Snapshot) -> list[list[Candidate]]:
    return [snap.index.search(name, country=country) for name, country in QUERIES]


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = database(tmp_path / "db", COMPANIES)
    yield engine
    engine.dispose()


def test_a_new_snapshot_reads_the_index_the_first_one_wrote(engine: Engine, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = fresh_snapshot(engine, cache)
    second = fresh_snapshot(engine, cache)

    assert first.index_origin == "built"
    assert first.index_path() is not None and first.index_path() == second.index_path()
    assert [p.name for p in cache.iterdir()] == [first.index_path().name]  # type: ignore[union-attr]
    assert second.index_origin == "read"
    assert answers(second) == answers(first)
    assert answers(second)[0][0].company_id == "C-VOLTA"


def test_a_new_process_reads_the_index_instead_of_building_it(engine: Engine, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    built = fresh_snapshot(engine, cache)
    script = """
import json, sys
from pathlib import Path
from screening import services
from screening.storage.db import make_engine, session_scope
from screening.storage.repository import SqlNetworkStore
engine = make_engine(sys.argv[1])
services.set_index_dir(Path(sys.argv[2]))
with session_scope(engine) as session:
    snap = services.snapshot(SqlNetworkStore(session))
top = [(c.company_id, c.score, c.explanation) for c in snap.index.search("SHENZHEN VOLTA CELLS CO LTD", "CN")]
print(json.dumps({"origin": snap.index_origin, "top": top}))
"""
    out = subprocess.run(
        [sys.executable, "-c", script, str(engine.url), str(cache)],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    result = json.loads(out.stdout)

    assert result["origin"] == "read"
    expected = built.index.search("SHENZHEN VOLTA CELLS CO LTD", country="CN")
    assert result["top"] == [[c.company_id, c.score, c.explanation] for c in expected]


def test_snapshot_keeps_its_index_where_set_index_dir_says(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(services, "_snapshots", {})
    monkeypatch.setattr(services, "_index_dir", None)
    services.set_index_dir(tmp_path / "cache")
    with session_scope(engine) as session:
        snap = services.snapshot(SqlNetworkStore(session))
    snap.index  # noqa: B018

    assert snap.index_origin == "built"
    assert snap.index_path() is not None and snap.index_path().exists()  # type: ignore[union-attr]


def test_without_an_index_dir_the_index_stays_in_memory(engine: Engine, tmp_path: Path) -> None:
    snap = fresh_snapshot(engine, None)

    assert snap.index_origin == "built"
    assert snap.index_path() is None
    assert fresh_snapshot(engine, None).index_origin == "built"


def test_a_new_network_version_builds_and_keeps_a_new_index(engine: Engine, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    before = fresh_snapshot(engine, cache)
    more = tmp_path / "more.csv"
    more.write_text(MORE, encoding="utf-8")
    with session_scope(engine) as session:
        services.load_network(SqlNetworkStore(session), companies=more)
    after = fresh_snapshot(engine, cache)

    assert after.version != before.version
    assert after.index_origin == "built"
    assert after.index_path() != before.index_path()
    assert answers(after)[2][0].company_id == "C-NORD"
    assert not any(c.company_id == "C-NORD" for c in answers(before)[2])
    assert fresh_snapshot(engine, cache).index_origin == "read"


def test_the_same_version_over_other_companies_gets_its_own_index(tmp_path: Path) -> None:
    """A network version reused for other data (a restored or edited database) is told apart by the
    companies themselves."""
    cache = tmp_path / "cache"
    engines = [database(tmp_path / "a", COMPANIES), database(tmp_path / "b", MORE)]
    for engine in engines:
        with session_scope(engine) as session:
            SqlNetworkStore(session).set_network_version("reused")
    a, b = (fresh_snapshot(engine, cache) for engine in engines)

    assert a.version == b.version == "reused"
    assert b.index_origin == "built" and a.index_path() != b.index_path()
    assert answers(b)[2][0].company_id == "C-NORD"
    assert answers(b)[0] == []
    for engine in engines:
        engine.dispose()


def test_a_damaged_index_file_is_rebuilt_and_rewritten(engine: Engine, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = fresh_snapshot(engine, cache)
    path = first.index_path()
    assert path is not None
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))

    rebuilt = fresh_snapshot(engine, cache)

    assert rebuilt.index_origin == "built"
    assert answers(rebuilt) == answers(first)
    assert fresh_snapshot(engine, cache).index_origin == "read"


def test_an_index_saved_by_another_matcher_version_is_rebuilt(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    monkeypatch.setattr(index_module, "MATCHER_VERSION", "tiersight-match-previous")
    fresh_snapshot(engine, cache)  # written under the previous matcher version
    monkeypatch.undo()

    now = fresh_snapshot(engine, cache)

    assert now.index_origin == "built"
    assert fresh_snapshot(engine, cache).index_origin == "read"


def test_only_the_most_recently_used_index_files_are_kept(engine: Engine, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    old = [cache / f"index-old{n}.bin" for n in range(4)]
    for n, path in enumerate(old):
        path.write_bytes(b"old")
        os.utime(path, (1_000_000 + n, 1_000_000 + n))
    stale = cache / ".index-crashed.bin.x.tmp"
    stale.write_bytes(b"half")
    os.utime(stale, (1_000_000, 1_000_000))

    snap = fresh_snapshot(engine, cache)

    kept = sorted(p.name for p in cache.iterdir())
    assert len(kept) == services.INDEX_FILES_KEPT
    assert snap.index_path().name in kept  # type: ignore[union-attr]
    assert {"index-old3.bin", "index-old2.bin"} <= set(kept)
