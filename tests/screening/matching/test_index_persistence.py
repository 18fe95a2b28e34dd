"""The matching index on disk: read back, it answers exactly as the index that was saved; a file saved
under anything else (stamp, matcher, settings, layout) or damaged is refused, never served."""

from __future__ import annotations

import hashlib
import io
import pickle
from pathlib import Path

import pytest

import screening.matching.index as index_module
from screening.matching import MatchConfig, MatchIndex
from screening.model import Candidate, Company
from tests.screening.matching.test_index import NETWORK

QUERIES = (
    ("CATL", "CN"),
    ("宁德时代新能源科技有限公司", "CN"),
    ("BYD CO LTD", None),
    ("Gotion Hi-Tech", "CN"),
    ("JL MAG RARE EARTH", "CN"),
    ("Tesla Inc", "US"),
    ("EVE ENERGY (HUIZHOU)", None),
    ("Totally Unknown Widgets GmbH", "DE"),
)


def answers(index: MatchIndex) -> list[list[Candidate]]:
    return [index.search(name, country=country, limit=5) for name, country in QUERIES]


@pytest.fixture(scope="module")
def built() -> MatchIndex:
    return MatchIndex(NETWORK)


@pytest.fixture
def saved(built: MatchIndex, tmp_path: Path) -> Path:
    path = tmp_path / "index.bin"
    built.save(path, "v1")
    return path


def test_read_back_answers_as_the_saved_index(built: MatchIndex, saved: Path) -> None:
    loaded = MatchIndex.load(saved, "v1")

    assert loaded is not None
    assert len(loaded) == len(built) and loaded.name_count == built.name_count
    assert answers(loaded) == answers(built)
    assert loaded.get("tesla") == built.get("tesla")
    assert "catl" in loaded and "nobody" not in loaded


def test_save_leaves_no_temporary_file_and_replaces_the_old_one(built: MatchIndex, saved: Path) -> None:
    built.save(saved, "v2")

    assert [p.name for p in saved.parent.iterdir()] == ["index.bin"]
    assert MatchIndex.load(saved, "v1") is None
    assert MatchIndex.load(saved, "v2") is not None


def test_a_read_back_index_takes_new_companies_and_names(saved: Path) -> None:
    loaded = MatchIndex.load(saved, "v1")
    assert loaded is not None

    loaded.add(Company("kontrol", "Kontroles Electronicos de Baja California", "MX"))
    loaded.add(Company("catl", "CATL", "CN"))

    assert loaded.search("Kontroles Electronicos", country="MX")[0].company_id == "kontrol"
    assert loaded.get("catl") is not None and "CATL" in loaded.get("catl").aliases  # type: ignore[union-attr]
    assert loaded.search("CATL", country="CN")[0].matched_name == "CATL"


def test_another_stamp_or_settings_is_refused(saved: Path) -> None:
    assert MatchIndex.load(saved, "v0") is None
    assert MatchIndex.load(saved, "v1", MatchConfig(max_candidates=10)) is None
    assert MatchIndex.load(saved, "v1", MatchConfig()) is not None


def test_another_matcher_or_normaliser_version_is_refused(
    saved: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(index_module, "MATCHER_VERSION", "tiersight-match-next")
    assert MatchIndex.load(saved, "v1") is None
    monkeypatch.undo()
    monkeypatch.setattr(index_module, "NORMALIZER_VERSION", "names-next")
    assert MatchIndex.load(saved, "v1") is None


@pytest.mark.parametrize("where", ["magic", "header", "payload", "trailer"])
def test_a_damaged_file_is_refused(saved: Path, where: str) -> None:
    data = bytearray(saved.read_bytes())
    at = {"magic": 0, "header": len(index_module._MAGIC) + 10, "payload": len(data) // 2, "trailer": -1}[
        where
    ]
    data[at] ^= 0x01
    saved.write_bytes(bytes(data))

    assert MatchIndex.load(saved, "v1") is None


def test_a_truncated_empty_or_missing_file_is_refused(saved: Path) -> None:
    data = saved.read_bytes()
    saved.write_bytes(data[: len(data) // 3])
    assert MatchIndex.load(saved, "v1") is None
    saved.write_bytes(b"")
    assert MatchIndex.load(saved, "v1") is None
    assert MatchIndex.load(saved.parent / "missing.bin", "v1") is None


def test_a_file_that_would_run_code_is_refused(saved: Path, built: MatchIndex) -> None:
    """Only plain values are read back: a payload naming any other class is refused, digest or not."""
    data = saved.read_bytes()
    start = len(index_module._MAGIC) + 4
    end = start + int.from_bytes(data[len(index_module._MAGIC) : start], "big")
    payload = pickle.dumps({"companies": [Path("x")]}, protocol=5)
    digest = hashlib.blake2b(payload, digest_size=16).digest()
    saved.write_bytes(data[:end] + payload + len(payload).to_bytes(8, "big") + digest)

    assert MatchIndex.load(saved, "v1") is None
    with pytest.raises(pickle.UnpicklingError, match="not part of a saved index"):
        index_module._PlainUnpickler(io.BytesIO(payload)).load()


def test_a_build_shared_with_a_worker_process_is_the_same_index(
    built: MatchIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Large builds prepare most names in a second process; the index (and every answer) is the one a
    single process builds."""
    monkeypatch.setattr(index_module, "_PARALLEL_MIN", 2)
    monkeypatch.setattr(index_module, "_CHUNK", 3)
    shared = MatchIndex(NETWORK)

    assert shared._postings == built._postings
    assert shared._by_prefix == built._by_prefix and shared._by_suffix == built._by_suffix
    assert [shared._entry(n) for n in range(shared.name_count)] == [
        built._entry(n) for n in range(built.name_count)
    ]
    assert answers(shared) == answers(built)


def test_the_worker_process_prepares_names_as_this_process_does() -> None:
    chunks = [list(NETWORK[:10]), list(NETWORK[10:])]
    with index_module._Worker(chunks) as worker:
        results = [worker.next() for _ in chunks]
        after = worker.next()

    def comparable(result: object) -> object:  # a name's keys are a set, in any order
        return [[(shown, flat, set(keys)) for shown, flat, keys in names] for names in result]  # type: ignore[attr-defined]

    expected = [index_module._prepare_chunk(chunk) for chunk in chunks]
    assert [comparable(r) for r in results] == [comparable(r) for r in expected]
    assert after is None
