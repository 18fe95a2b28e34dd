"""The blocking index: from a written name to the few hundred network names worth scoring.

Every name of every company (primary name, each alias, names found in brackets) is an entry. An
inverted index maps keys to entry ids (compact `array` posting lists):

- each token of the Latin and pinyin views, and each pair of neighbouring tokens written together
  (so "zhong ke" finds "zhongke" and the other way round);
- `#` + each acronym of the name (so "CATL" finds "Contemporary Amperex Technology Limited");
- `~` + the metaphone code of each word (so "Sovkomkard" finds "Sovcomcard").

A query looks up its own tokens, runs of two to four of its tokens written together, its acronyms and,
for words the index has never seen, the closest known words of the same beginning or ending (typos).
Entries collect the rarity (IDF) of the keys they share with the query; keys held by very many names are
skipped once rarer keys have proposed candidates. Only the best `max_candidates` entries are scored with
the features, so a query never compares against every company.

Not safe to `add` while other threads `search`; build, then share read-only.
"""

from __future__ import annotations

import gc
import hashlib
import heapq
import io
import json
import math
import os
import pickle
import queue
import subprocess
import sys
import tempfile
import threading
from array import array
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields, replace
from operator import itemgetter
from pathlib import Path
from typing import IO, Any

from rapidfuzz import fuzz, process

from screening.matching.config import MatchConfig
from screening.matching.features import (
    EMPTY,
    Context,
    PreparedName,
    Side,
    combine_names,
    company_words,
    phonetic_key,
    prepare_normalized,
    restore_prepared,
)
from screening.matching.scoring import (
    DEFAULT_CONFIG,
    MATCHER_VERSION,
    address_words,
    company_names,
    country_code,
    extra_factor,
    query_side,
    score_sides,
)
from screening.model import Candidate, Company
from screening.names import NORMALIZER_VERSION, NormalizedName, normalize_uncached


@dataclass(frozen=True, slots=True)
class _Entry:
    prepared: PreparedName
    company: int  # position in MatchIndex._companies
    label: str  # "name 'X'", "alias 'Y'", "part of alias 'Z'"


# --- the index on disk ------------------------------------------------------------------------------
#
# A saved index is one file: a magic line, a JSON header (what the index was built from and with), a
# pickle (protocol 5) of plain values only (tuples, lists, dicts, sets, strings, numbers, arrays), and a
# trailer with the pickle's size and BLAKE2b digest. Names are stored as tuples and become `_Entry`
# objects when a search first touches them, so that reading a million names back costs little more than
# reading the file. Only the classes below are accepted when reading, so the file can hold no code.

_MAGIC = b"tiersight match index\n"
_FORMAT = 1  # bump when the layout of the pickled state changes
_LAYOUT = ",".join(f.name for cls in (Company, NormalizedName) for f in fields(cls))
_TRAILER = 24  # 8 bytes size + 16 bytes digest
_ALLOWED = frozenset(
    {("array", "array"), ("array", "_array_reconstructor"), ("builtins", "set"), ("builtins", "frozenset")}
)
_Flat = tuple[Any, ...]  # a company or an entry as stored


class _PlainUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in _ALLOWED:
            raise pickle.UnpicklingError(f"{module}.{name} is not part of a saved index")
        return super().find_class(module, name)


class _DigestWriter:
    """Writes through to a file and hashes what passes."""

    def __init__(self, handle: io.BufferedWriter) -> None:
        self.handle = handle
        self.digest = hashlib.blake2b(digest_size=16)
        self.size = 0

    def write(self, data: bytes | memoryview) -> int:
        self.digest.update(data)
        self.size += len(data)
        return self.handle.write(data)


@contextmanager
def _bulk(size: Callable[[], int]) -> Iterator[None]:
    """Create millions of long-lived objects without the cyclic garbage collector walking them again and
    again as they accumulate (a sixth of a build) to free nothing. When `size()` (names indexed) ends up
    large, one full pass at the end leaves them in the oldest generation, where later collections leave
    them alone (else the first collections after the build would walk them all, during searches)."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if size() >= 20_000:
            gc.collect()
        if collecting:
            gc.enable()


def _flat_company(company: Company) -> _Flat:
    return tuple(getattr(company, f.name) for f in fields(Company))


def _flat_prepared(prepared: PreparedName) -> _Flat:
    normalized = tuple(getattr(prepared.normalized, f.name) for f in fields(NormalizedName))
    return (prepared.text, prepared.acronyms, prepared.core_token, normalized)


def _prepared_from(flat: _Flat) -> PreparedName:
    text, acronyms, core_token, normalized = flat
    return restore_prepared(text, NormalizedName(*normalized), acronyms, core_token)


def _flat_entry(entry: _Entry) -> _Flat:
    return (entry.company, entry.label, _flat_prepared(entry.prepared))


def _entry_from(flat: _Flat) -> _Entry:
    company, label, prepared = flat
    return _Entry(_prepared_from(prepared), company, label)


def _prepared_names(company: Company, seen: set[str]) -> list[tuple[str, PreparedName]]:
    """The names a company is indexed by, prepared, each with the label explanations show. `seen` holds
    the (casefolded) names the company is already indexed by, and gains these."""
    out: list[tuple[str, PreparedName]] = []
    for text, label, normalized in company_names(company, normalize_uncached, known=seen):
        seen.add(text.strip().casefold())
        prepared = prepare_normalized(text, normalized)
        if prepared.views:
            out.append((f"{label} '{text}'" if label in ("name", "alias") else label, prepared))
    return out


def _prepare_chunk(companies: list[Company]) -> list[list[tuple[str, _Flat, tuple[str, ...]]]]:
    """In a worker process: each company's names prepared (stored flat) with their index keys."""
    sounds: dict[str, str | None] = {}
    return [
        [(shown, _flat_prepared(p), tuple(_index_keys(p, sounds))) for shown, p in _prepared_names(c, set())]
        for c in companies
    ]


# A build of this many companies or more prepares part of the names in a second process (the build is
# mostly normalising names, which one process does one name at a time). The main process prepares the
# first `_MAIN_SHARE` of the companies itself, then indexes what the worker prepared, in order, so the
# index is the same as one built in one process.
_PARALLEL_MIN = 100_000

_MAIN_SHARE = 0.45
_CHUNK = 5_000


class _Worker:
    """A second interpreter (running `_worker_main`) that prepares chunks of companies
    (`_prepare_chunk`): chunks go down its stdin, results come back on its stdout, in order, as
    length-prefixed pickles between this process and its own child. A plain subprocess rather than
    multiprocessing: nothing of the caller's main module is imported again (a script without a
    `__main__` guard would run twice), and no thread's lock is copied as fork would."""

    def __init__(self, chunks: list[list[Company]]) -> None:
        self.chunks = chunks
        self.process: subprocess.Popen[bytes] | None = None
        self.threads: list[threading.Thread] = []
        # results as they arrive (read by a thread, so that the worker never waits for this process to
        # be ready for them); None marks the end
        self.arrived: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()

    def __enter__(self) -> _Worker:
        root = str(Path(__file__).resolve().parents[2])
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([root, *sys.path])}
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-c", "from screening.matching.index import _worker_main; _worker_main()"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                env=env,
            )
        except OSError:
            return self
        for target in (self._feed, self._drain):
            thread = threading.Thread(target=target, name=f"index-worker{target.__name__}", daemon=True)
            thread.start()
            self.threads.append(thread)
        return self

    def _feed(self) -> None:
        assert self.process is not None and self.process.stdin is not None
        try:
            for chunk in self.chunks:
                _write_frame(self.process.stdin, chunk)
            self.process.stdin.close()
        except (OSError, ValueError):
            pass  # the worker is gone; `next` reports it

    def _drain(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        try:
            while (data := _read_frame(self.process.stdout)) is not None:
                self.arrived.put(data)
        except (OSError, ValueError):
            pass
        self.arrived.put(None)

    def next(self) -> list[list[tuple[str, _Flat, tuple[str, ...]]]] | None:
        """The next chunk's results, or None when the worker failed."""
        if self.process is None:
            return None
        data = self.arrived.get()
        if data is None:
            self.arrived.put(None)
            return None
        result: list[list[tuple[str, _Flat, tuple[str, ...]]]] = pickle.loads(data)  # our own worker's
        return result

    def __exit__(self, *_exc: object) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        for thread in self.threads:
            thread.join()
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                stream.close()


def _write_frame(stream: IO[bytes], value: object) -> None:
    data = pickle.dumps(value, protocol=5)
    stream.write(len(data).to_bytes(8, "big") + data)
    stream.flush()


def _read_frame(stream: IO[bytes]) -> bytes | None:
    """The next pickle written by `_write_frame`; None at the end of the stream."""
    head = stream.read(8)
    if len(head) < 8:
        return None
    size = int.from_bytes(head, "big")
    data = stream.read(size)
    return data if len(data) == size else None


def _worker_main() -> None:
    """The worker's loop: chunks of companies in, their prepared names out, until stdin closes."""
    gc.disable()  # short-lived objects without cycles; collecting them is wasted time
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    while (data := _read_frame(stdin)) is not None:
        _write_frame(stdout, _prepare_chunk(pickle.loads(data)))  # chunks from the parent process


def _cpus() -> int:
    affinity = getattr(os, "sched_getaffinity", None)
    return len(affinity(0)) if affinity is not None else (os.cpu_count() or 1)


def _index_keys(prepared: PreparedName, sounds: dict[str, str | None]) -> set[str]:
    """The keys a name is found by; `sounds` memoises each token's phonetic key (`~` + metaphone)."""
    keys: set[str] = set()
    for view in (prepared.latin, prepared.pinyin):
        if view is None:
            continue
        tokens = view.tokens
        keys.update(tokens)
        keys.update(map(str.__add__, tokens, tokens[1:]))
        for token in tokens:
            sound = sounds.get(token, "")
            if sound == "":
                code = phonetic_key(token)
                sound = sounds[token] = None if code is None else "~" + code
            if sound is not None:
                keys.add(sound)
    keys.update("#" + a for a in prepared.acronyms)
    return keys


class MatchIndex:
    """Companies indexed by every name they go by; `search` returns the best candidates for a name."""

    def __init__(self, companies: Iterable[Company] = (), config: MatchConfig = DEFAULT_CONFIG) -> None:
        self.config = config
        # companies and entries read back from disk stay tuples until first used (`_company`, `_entry`)
        self._companies: list[Company | _Flat] = []
        self._countries: list[str | None] = []
        self._addresses: list[frozenset[str]] = []
        self._position: dict[str, int] = {}
        self._company_entries: list[list[int]] = []
        self._combined: dict[int, PreparedName | None] = {}  # cache, dropped when a company gains names
        self._words: dict[int, frozenset[str]] = {}  # cache, likewise
        self._entries: list[_Entry | _Flat] = []
        self._postings: dict[str, int | array[int]] = {}
        self._vocabulary: set[str] = set()
        self._by_prefix: dict[str, list[str]] = {}
        self._by_suffix: dict[str, list[str]] = {}
        self._sounds: dict[str, str | None] = {}  # token -> "~" + its phonetic key, or None
        with _bulk(self.__len__):
            self._add_all(companies if isinstance(companies, list) else list(companies))

    def __len__(self) -> int:
        return len(self._companies)

    def __contains__(self, company_id: object) -> bool:
        return company_id in self._position

    @property
    def name_count(self) -> int:
        return len(self._entries)

    def get(self, company_id: str) -> Company | None:
        position = self._position.get(company_id)
        return None if position is None else self._company(position)

    def _company(self, position: int) -> Company:
        company = self._companies[position]
        if isinstance(company, tuple):  # read back from disk and not used since
            company = self._companies[position] = Company(*company)
        return company

    def _entry(self, entry_id: int) -> _Entry:
        entry = self._entries[entry_id]
        if isinstance(entry, tuple):  # likewise
            entry = self._entries[entry_id] = _entry_from(entry)
        return entry

    # --- on disk ----------------------------------------------------------------------------------

    def _header(self, stamp: str) -> dict[str, object]:
        return {
            "format": _FORMAT,
            "layout": _LAYOUT,
            "matcher": MATCHER_VERSION,
            "normalizer": NORMALIZER_VERSION,
            "config": self.config.fingerprint(),
            "stamp": stamp,
        }

    def save(self, path: Path, stamp: str) -> None:
        """Write the index to `path` under `stamp` (what it was built from, e.g. the network version), with
        the matcher and normaliser versions and the settings' fingerprint. Atomic: a temporary file in the
        same folder is renamed over `path`, so a reader sees the old file or the new one, never half."""
        state = {
            "companies": [c if isinstance(c, tuple) else _flat_company(c) for c in self._companies],
            "countries": self._countries,
            "addresses": self._addresses,
            "company_entries": self._company_entries,
            "entries": [e if isinstance(e, tuple) else _flat_entry(e) for e in self._entries],
            "postings": self._postings,
            "vocabulary": self._vocabulary,
            "by_prefix": self._by_prefix,
            "by_suffix": self._by_suffix,
            "sounds": self._sounds,
        }
        header = json.dumps(self._header(stamp), sort_keys=True).encode()
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(_MAGIC + len(header).to_bytes(4, "big") + header)
                writer = _DigestWriter(handle)
                pickle.dump(state, writer, protocol=5)
                handle.write(writer.size.to_bytes(8, "big") + writer.digest.digest())
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    @classmethod
    def load(cls, path: Path, stamp: str, config: MatchConfig = DEFAULT_CONFIG) -> MatchIndex | None:
        """The index saved at `path` under `stamp` with today's matcher, normaliser and these settings;
        None when there is no such file, it was saved under anything else, or it is damaged."""
        index = cls(config=config)
        try:
            with path.open("rb") as handle:
                data = handle.read()
        except OSError:
            return None
        try:
            start = len(_MAGIC) + 4
            if not data.startswith(_MAGIC) or len(data) < start + _TRAILER:
                return None
            end = start + int.from_bytes(data[len(_MAGIC) : start], "big")
            if json.loads(data[start:end]) != index._header(stamp):
                return None
            payload = memoryview(data)[end:-_TRAILER]
            size, digest = int.from_bytes(data[-_TRAILER:-16], "big"), data[-16:]
            if size != len(payload) or hashlib.blake2b(payload, digest_size=16).digest() != digest:
                return None
            with _bulk(lambda: len(data) >> 8):
                state = _PlainUnpickler(io.BytesIO(payload)).load()
            companies: list[_Flat] = state["companies"]
            index._companies = list(companies)
            index._position = {flat[0]: n for n, flat in enumerate(companies)}
            index._countries = state["countries"]
            index._addresses = state["addresses"]
            index._company_entries = state["company_entries"]
            index._entries = state["entries"]
            index._postings = state["postings"]
            index._vocabulary = state["vocabulary"]
            index._by_prefix = state["by_prefix"]
            index._by_suffix = state["by_suffix"]
            index._sounds = state["sounds"]
        except Exception:  # a damaged or foreign file, however it fails: the caller builds anew
            return None
        return index

    # --- building ---------------------------------------------------------------------------------

    def add(self, company: Company) -> None:
        """Index a company; a known company_id gains the new names (its country and address are
        updated when the new record has them)."""
        position = self._register(company)
        company = self._company(position)
        seen = {self._entry(e).prepared.text.strip().casefold() for e in self._company_entries[position]}
        for shown, prepared in _prepared_names(company, seen):
            self._add_entry(_Entry(prepared, position, shown))

    def _register(self, company: Company) -> int:
        """The position of a company, new or merged into the known one of the same id."""
        position = self._position.get(company.company_id)
        if position is None:
            position = len(self._companies)
            self._position[company.company_id] = position
            self._companies.append(company)
            self._countries.append(None)
            self._addresses.append(EMPTY)
            self._company_entries.append([])
        else:
            company = self._merge(self._company(position), company)
            self._companies[position] = company
        self._countries[position] = country_code(company.country)
        self._addresses[position] = address_words(company.address)
        return position

    def _add_all(self, companies: list[Company]) -> None:
        """`add` each company, part of them prepared in a worker process when there are many (see
        `_PARALLEL_MIN`); the same index either way. Falls back to one process if the worker fails."""
        if (
            len(companies) < _PARALLEL_MIN
            or _cpus() < 2
            or len({c.company_id for c in companies}) < len(companies)  # merges: one process
        ):
            for company in companies:
                self.add(company)
            return
        cut = int(len(companies) * _MAIN_SHARE)
        chunks = [companies[i : i + _CHUNK] for i in range(cut, len(companies), _CHUNK)]
        done = cut
        with _Worker(chunks) as results:
            for company in companies[:cut]:
                self.add(company)
            for chunk in chunks:
                prepared = results.next()
                if prepared is None:  # the worker could not start or died: prepare the rest here
                    break
                for company, names in zip(chunk, prepared, strict=True):
                    position = self._register(company)
                    for shown, flat, keys in names:
                        self._add_entry(_Entry(_prepared_from(flat), position, shown), keys)
                done += len(chunk)
        for company in companies[done:]:
            self.add(company)

    @staticmethod
    def _merge(old: Company, new: Company) -> Company:
        known = {old.name.casefold(), *(a.casefold() for a in old.aliases)}
        extra = [n for n in (new.name, *new.aliases) if n.casefold() not in known]
        return replace(
            old,
            aliases=old.aliases + tuple(dict.fromkeys(extra)),
            country=new.country or old.country,
            address=new.address or old.address,
            lei=new.lei or old.lei,
        )

    def _add_entry(self, entry: _Entry, keys: Iterable[str] | None = None) -> None:
        """Index one name; `keys` are its `_index_keys` when they were worked out elsewhere."""
        entry_id = len(self._entries)
        self._entries.append(entry)
        self._company_entries[entry.company].append(entry_id)
        self._combined.pop(entry.company, None)
        self._words.pop(entry.company, None)
        postings = self._postings
        for key in _index_keys(entry.prepared, self._sounds) if keys is None else keys:
            held = postings.get(key)
            if held is None:
                postings[key] = entry_id  # most keys belong to one name: an int, not an array
            elif isinstance(held, int):
                postings[key] = array("I", (held, entry_id))
            else:
                held.append(entry_id)
        for view in (entry.prepared.latin, entry.prepared.pinyin):
            if view is None:
                continue
            for token, kind in zip(view.tokens, view.kinds, strict=True):
                if token in self._vocabulary or kind == "number" or len(token) < self.config.fuzzy_min_length:
                    continue
                self._vocabulary.add(token)
                self._by_prefix.setdefault(token[:3], []).append(token)
                self._by_suffix.setdefault(token[-3:], []).append(token)

    def _combined_name(self, position: int) -> PreparedName | None:
        if position not in self._combined:
            if len(self._combined) >= 100_000:  # a cache, not a second copy of the network
                self._combined.clear()
            names = [self._entry(e).prepared for e in self._company_entries[position]]
            self._combined[position] = combine_names(names)
        return self._combined[position]

    def _side(self, prepared: PreparedName, position: int) -> Side:
        """A name of the company at `position` as a comparison side, with what all its names say."""
        words = self._words.get(position)
        if words is None:
            if len(self._words) >= 100_000:  # a cache, not a second copy of the network
                self._words.clear()
            names = [self._entry(e).prepared for e in self._company_entries[position]]
            words = self._words[position] = company_words(names)
        return Side(prepared, self._countries[position], self._addresses[position], words)

    # --- searching --------------------------------------------------------------------------------

    def idf(self, key: str) -> float:
        """Rarity of a key among all indexed names: log(1 + N / (df + 1)); unseen keys are rarest."""
        return math.log(1.0 + len(self._entries) / (self.frequency(key) + 1.0))

    def frequency(self, key: str) -> int:
        """How many indexed names hold a key (a token, or `#` + an acronym)."""
        held = self._postings.get(key)
        if held is None:
            return 0
        return 1 if isinstance(held, int) else len(held)

    def _entries_of(self, key: str) -> Iterable[int]:
        held = self._postings.get(key)
        if held is None:
            return ()
        return (held,) if isinstance(held, int) else held

    def similar_tokens(self, token: str) -> list[tuple[str, float]]:
        """Known tokens that share the first or last three letters and are within the typo tolerance."""
        cutoff = self.config.fuzzy_min_similarity * 100.0
        limit = self.config.fuzzy_vocabulary_limit
        found: dict[str, float] = {}
        for pool in (self._by_prefix.get(token[:3]), self._by_suffix.get(token[-3:])):
            if not pool:
                continue
            for choice, score, _ in process.extract(
                token, pool, scorer=fuzz.ratio, score_cutoff=cutoff, limit=limit
            ):
                found[choice] = max(found.get(choice, 0.0), score / 100.0)
        return sorted(found.items(), key=itemgetter(1), reverse=True)[:limit]

    def _query_keys(self, prepared: PreparedName) -> dict[str, float]:
        cfg = self.config
        keys: dict[str, float] = {}
        for view in (prepared.latin, prepared.pinyin):
            if view is None:
                continue
            tokens = view.tokens
            for size in (1, 2, 3, 4):
                for start in range(len(tokens) - size + 1):
                    keys["".join(tokens[start : start + size])] = 1.0
            for token, kind in zip(tokens, view.kinds, strict=True):
                code = phonetic_key(token)
                if code is not None and kind == "word":
                    keys.setdefault("~" + code, cfg.phonetic_similarity)
                if token in self._vocabulary or kind == "number" or len(token) < cfg.fuzzy_min_length:
                    continue
                for similar, similarity in self.similar_tokens(token):
                    keys[similar] = max(keys.get(similar, 0.0), similarity)
        if prepared.core_token is not None:
            keys["#" + prepared.core_token] = 1.0
        for initials in prepared.acronyms:
            keys.setdefault(initials, 1.0)
        return keys

    def candidate_entries(self, prepared: PreparedName) -> list[int]:
        """Entry ids worth scoring for a query, best blocking score first, at most `max_candidates`."""
        cfg = self.config
        hits = [
            (df, key, weight)
            for key, weight in self._query_keys(prepared).items()
            if (df := self.frequency(key)) > 0
        ]
        hits.sort()
        scores: dict[int, float] = {}
        get = scores.get
        for df, key, weight in hits:
            if df > cfg.common_key_postings and scores:
                continue
            gain = weight * self.idf(key)
            for entry_id in self._entries_of(key):
                scores[entry_id] = get(entry_id, 0.0) + gain
        best = heapq.nlargest(cfg.max_candidates, scores.items(), key=itemgetter(1))
        return [entry_id for entry_id, _ in best]

    def search(
        self, name: str, country: str | None = None, address: str | None = None, limit: int = 5
    ) -> list[Candidate]:
        """The best `limit` companies for a written name, best first, one candidate per company, each
        with its score in [0, 1], the name that scored best and a sentence saying why."""
        first = query_side(name, country, address)
        queries = [first] + [
            query_side(extra, country, address) for extra in first.name.normalized.extra_names
        ]
        ctx = Context(self.config, self.idf, self.frequency)
        best: dict[int, tuple[float, str, str]] = {}
        for number, query in enumerate(queries):
            factor = 1.0 if number == 0 else extra_factor(first.name.normalized, query.name.text, self.config)
            for entry_id in self.candidate_entries(query.name):
                entry = self._entry(entry_id)
                side = self._side(entry.prepared, entry.company)
                scored = score_sides(query, side, ctx, entry.label, factor)
                current = best.get(entry.company)
                if current is None or scored.score > current[0]:
                    best[entry.company] = (scored.score, scored.explanation, entry.prepared.text)
        shortlist = heapq.nlargest(self.config.combined_candidates, best.items(), key=lambda item: item[1][0])
        for position, _ in shortlist:
            combined = self._combined_name(position)
            if combined is None:
                continue
            side = self._side(combined, position)
            scored = score_sides(queries[0], side, ctx, "all names together")
            if scored.score > best[position][0]:
                best[position] = (scored.score, scored.explanation, self._company(position).name)
        ranked = sorted(best.items(), key=lambda item: (-item[1][0], self._company(item[0]).company_id))
        out: list[Candidate] = []
        for position, (score, explanation, matched) in ranked[:limit]:
            company = self._company(position)
            out.append(
                Candidate(
                    company_id=company.company_id,
                    name=company.name,
                    country=company.country,
                    score=round(score, 4),
                    explanation=explanation,
                    matched_name=matched,
                )
            )
        return out
