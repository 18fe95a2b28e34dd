"""Match features: each is one small pure function whose docstring is the explanation a user reads.

A feature compares the query side (the name an importer wrote, with country and address when given)
with one name of a network company and returns `Evidence`: a value in [0, 1] and a short reason.

- *Name features* are alternative routes to "these names say the same": the name score is the best of
  `weight * value` over them (Latin tokens, Han characters, pinyin against Han, acronyms).
- *Qualifiers* then add `weight * value` (negative weights count against): country, address, numbers,
  legal form, a place or an industry that the company's names and address do not know. A legal form
  never carries a match; at most it costs a little when the classes differ. `spelling_readings` only
  explains (weight 0): how misspelt legal forms, trade words and pinyin were read.

Token alignment (`align`) reads bills of lading as written: places and words qualifying a name ("...
CO., LTD. JINGMEN", "HUNAN ANKER ...") that only one side names are ignored when the names otherwise
agree; a misspelt word weighs what the word it misspells weighs; two neighbouring letters swapped are a
typo however short the word.

`FEATURES` declares every feature with its default weight; `MatchConfig.weights` overrides by name.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from pypinyin import Style, lazy_pinyin
from rapidfuzz import fuzz
from rapidfuzz.distance import OSA, Hamming
from rigour.text.phonetics import metaphone
from rigour.text.translit import ascii_text

from screening.matching.config import MatchConfig
from screening.names import (
    ABBREVIATIONS,
    COMPANY_WORDS,
    LATIN_PLACES,
    NormalizedName,
    TokenKind,
    is_country,
    is_place,
    normalize_name,
)

Script = Literal["latin", "pinyin", "han"]

EMPTY: frozenset[str] = frozenset()  # shared, so that a million names without numbers hold one set


@dataclass(frozen=True, slots=True)
class View:
    """One script view of a name: tokens, their kinds, and the keys their rarity is looked up by."""

    script: Script
    tokens: tuple[str, ...]
    kinds: tuple[TokenKind, ...]
    keys: tuple[str, ...]  # = tokens, except Han tokens, whose rarity is that of their pinyin


@dataclass(frozen=True, slots=True)
class PreparedName:
    """A name ready to compare: its views, its acronyms, its numbers."""

    text: str
    normalized: NormalizedName
    latin: View | None
    pinyin: View | None
    han: View | None
    acronyms: tuple[str, ...]  # initials of the name, with and without generic words and legal form
    core_token: str | None  # the single distinctive token of a short name ("catl" in "CATL Co., Ltd.")
    numbers: frozenset[str]
    combined: tuple[frozenset[str], ...] = ()  # for all of a company's names together: each name's words

    @property
    def views(self) -> tuple[View, ...]:
        return tuple(v for v in (self.latin, self.pinyin, self.han) if v is not None)


@dataclass(frozen=True, slots=True)
class Side:
    """One side of a comparison: a prepared name, its ISO country, its address words, and (for a
    company) the words of all its names."""

    name: PreparedName
    country: str | None = None
    address: frozenset[str] = EMPTY
    company_words: frozenset[str] = EMPTY  # every token of every name of the company


@dataclass(frozen=True, slots=True)
class Evidence:
    """A feature's value in [0, 1] and the reason a person reads (empty when there is nothing to say)."""

    value: float
    why: str = ""


def _one(_key: str) -> int:
    return 1


@dataclass(frozen=True, slots=True)
class Context:
    """What features may consult besides the two sides: the configuration, token rarity (IDF) and how
    many indexed names hold a key (1 when there is no index)."""

    config: MatchConfig
    idf: Callable[[str], float]
    frequency: Callable[[str], int] = _one


Feature = Callable[[Side, Side, Context], Evidence]

NONE = Evidence(0.0)


# --- preparing names ----------------------------------------------------------------------------


def _initials(tokens: tuple[str, ...]) -> str:
    return "".join(t[0] for t in tokens if t and t[0].isalpha())


def _legal_initials(normalized: NormalizedName) -> str:
    if not normalized.legal_form_text:
        return ""
    words = ascii_text(normalized.legal_form_text).casefold().replace(".", " ").replace(",", " ").split()
    return "".join(w[0] for w in words if w[0].isalpha())


def _acronyms(normalized: NormalizedName) -> tuple[str, ...]:
    """Initials of the Latin tokens (all, and without generic words and places), each also followed by
    the initials of the legal form ("Contemporary Amperex Technology Co., Limited" -> cat, catc, catl,
    catcl), and the initials of the pinyin syllables of the distinctive Han part (比亚迪 -> byd)."""
    out: set[str] = set()
    legal = _legal_initials(normalized)
    tokens = normalized.tokens
    if len(tokens) >= 2:
        core = tuple(
            t
            for t, k in zip(tokens, normalized.kinds, strict=True)
            if k not in ("generic", "place", "qualifier")
        )
        for base in {_initials(tokens), _initials(core)}:
            if base:
                out.add(base)
                if legal:
                    out.add(base + legal)
    if normalized.han_tokens:
        distinctive = "".join(
            h for h, k in zip(normalized.han_tokens, normalized.pinyin_kinds, strict=True) if k == "word"
        )
        if 2 <= len(distinctive) <= 6:
            out.add(
                ascii_text(
                    "".join(lazy_pinyin(distinctive, style=Style.FIRST_LETTER, v_to_u=True))
                ).casefold()
            )
    return tuple(sorted(a for a in out if 2 <= len(a) <= 10))


def _core_token(normalized: NormalizedName) -> str | None:
    core = [
        t
        for t, k in zip(normalized.tokens, normalized.kinds, strict=True)
        if k not in ("generic", "place", "qualifier")
    ]
    if len(core) == 1 and 2 <= len(core[0]) <= 8 and core[0].isalpha():
        return core[0]
    return None


def _han_view(normalized: NormalizedName) -> View:
    """Han segments, once each: a known word that reads as several Latin tokens (新能源 -> new energy)
    is one Han token."""
    tokens: list[str] = []
    kinds: list[TokenKind] = []
    keys: list[str] = []
    previous = ""
    for han, key, kind in zip(
        normalized.han_tokens, normalized.tokens_pinyin, normalized.pinyin_kinds, strict=True
    ):
        if han == previous and kind != "word":
            continue
        previous = han
        tokens.append(han)
        kinds.append(kind)
        keys.append(key)
    return View("han", tuple(tokens), tuple(kinds), tuple(keys))


def prepare_normalized(text: str, normalized: NormalizedName) -> PreparedName:
    """Build the comparison views of an already normalised name."""
    return restore_prepared(text, normalized, _acronyms(normalized), _core_token(normalized))


def restore_prepared(
    text: str, normalized: NormalizedName, acronyms: tuple[str, ...], core_token: str | None
) -> PreparedName:
    """`prepare_normalized` given the acronyms and core token it computed before (an index read back
    from disk keeps those; the views are quicker to rebuild than to store)."""
    latin = (
        View("latin", normalized.tokens, normalized.kinds, normalized.tokens) if normalized.tokens else None
    )
    pinyin = han = None
    if normalized.han_tokens:
        pinyin = View("pinyin", normalized.tokens_pinyin, normalized.pinyin_kinds, normalized.tokens_pinyin)
        han = _han_view(normalized)
    numbers = frozenset(t for t, k in zip(normalized.tokens, normalized.kinds, strict=True) if k == "number")
    numbers = numbers or EMPTY
    return PreparedName(
        text=text,
        normalized=normalized,
        latin=latin,
        pinyin=pinyin,
        han=han,
        acronyms=acronyms,
        core_token=core_token,
        numbers=numbers,
    )


# What a company makes or does, in canonical tokens; broad words ("technology", "materials", "energy")
# describe too many trades to tell two apart.
INDUSTRIES: frozenset[str] = frozenset(
    {
        "battery", "semiconductor", "pharma", "chemical", "fluorochemical", "graphite", "alloy", "magnetic",
        "magnet", "motor", "cathode", "anode", "microelectronic", "optoelectronic", "electronic", "electric",
        "foil", "phosphate", "membrane", "furniture", "garment", "toy", "lighting", "fastener", "kiln",
        "machinery", "auto", "steel", "metal", "mining", "logistics", "power", "trade",
    }
)  # fmt: skip


def company_words(names: list[PreparedName]) -> frozenset[str]:
    """Every token of a company's names (Latin and pinyin)."""
    words: set[str] = set()
    for name in names:
        for view in (name.latin, name.pinyin):
            if view is not None:
                words.update(view.keys)
    return frozenset(words) or EMPTY


def combine_names(names: list[PreparedName]) -> PreparedName | None:
    """The Latin words of all of a company's names together, each once (None for fewer than two names)."""
    if len(names) < 2:
        return None
    tokens: dict[str, TokenKind] = {}
    parts: list[frozenset[str]] = []
    for name in names:
        if name.latin is not None:
            parts.append(frozenset(name.latin.tokens))
            for token, kind in zip(name.latin.tokens, name.latin.kinds, strict=True):
                tokens.setdefault(token, kind)
    if len(parts) < 2:
        return None
    words = tuple(tokens)
    latin = View("latin", words, tuple(tokens.values()), words)
    normalized = NormalizedName(original="all names together", tokens=words, kinds=latin.kinds)
    return PreparedName(
        text="all names together",
        normalized=normalized,
        latin=latin,
        pinyin=None,
        han=None,
        acronyms=(),
        core_token=None,
        numbers=EMPTY,
        combined=tuple(parts),
    )


@lru_cache(maxsize=16384)
def prepare_name(text: str) -> PreparedName:
    """Normalise and prepare a name as written (cached: the same supplier names come back)."""
    return prepare_normalized(text, normalize_name(text))


# --- token alignment ------------------------------------------------------------------------------

How = Literal["equal", "joined", "initials", "typo", "sound"]


@lru_cache(maxsize=65536)
def phonetic_key(token: str) -> str | None:
    """Metaphone code of a word of four letters or more, when it is specific enough (three sounds)."""
    if len(token) < 4 or not token.isalpha():
        return None
    code = metaphone(token)
    return code if len(code) >= 3 else None


def sounds_alike(a: str, b: str) -> bool:
    """Spellings of the same sounds ("Sovkomkard" and "Sovcomcard", "Luciano" and "Luchano")."""
    key = phonetic_key(a)
    return key is not None and key == phonetic_key(b)


@dataclass(frozen=True, slots=True)
class Pair:
    """Query tokens `q` aligned with candidate tokens `c` (one side may be several joined tokens)."""

    q: tuple[int, ...]
    c: tuple[int, ...]
    similarity: float
    how: How
    spelling: str = ""  # for a typo of another spelling of a word ('ianqi' of 'dianqi', for 'electric')


@dataclass(frozen=True, slots=True)
class Alignment:
    """How two views line up, and the rarity-and-kind weighted share of both names that lines up."""

    query: View
    candidate: View
    pairs: tuple[Pair, ...]
    score: float
    query_weights: tuple[float, ...]
    candidate_weights: tuple[float, ...]
    omitted: tuple[frozenset[int], frozenset[int]] = (frozenset(), frozenset())  # places one side omits
    # leftover tokens weighed apart (query side, candidate side): position -> why, for the explanation
    reweighed: tuple[dict[int, str], dict[int, str]] = ({}, {})


def token_weights(view: View, ctx: Context) -> tuple[float, ...]:
    """Kind weight times rarity; "co" and "corp" weigh nothing (they stand in for a legal form)."""
    kinds = ctx.config.kind_weights
    return tuple(
        0.0 if key in COMPANY_WORDS else kinds.get(k, 1.0) * ctx.idf(key)
        for k, key in zip(view.kinds, view.keys, strict=True)
    )


def _join_runs(
    a: tuple[str, ...], a_used: list[bool], b: tuple[str, ...], b_used: list[bool], flip: bool
) -> list[Pair]:
    """Runs of 2 to 4 unaligned tokens on side `a` that, written together, are one token on side `b`, or
    a word that stands for it ("shi dai" for "times", written "shidai")."""
    free = {t: j for j, t in enumerate(b) if not b_used[j] and len(t) >= 4}

    def find(run: tuple[str, ...]) -> int | None:
        joined = "".join(run)
        j = free.get(joined)
        if j is None and (canonical := ABBREVIATIONS.get(joined)) is not None and len(canonical) == 1:
            j = free.get(canonical[0])
        return j

    return _runs(a, a_used, b_used, bool(free), find, "joined", flip)


def _initial_runs(
    a: tuple[str, ...], a_used: list[bool], b: tuple[str, ...], b_used: list[bool], flip: bool
) -> list[Pair]:
    """A short unaligned word on side `b` that is the initials of 2 to 4 unaligned words on side `a`
    ("IC" for "International Company", "NPP" for "Nauchno Proizvodstvennoe Predpriyatie")."""
    free = {t: j for j, t in enumerate(b) if not b_used[j] and 2 <= len(t) <= 4 and t.isalpha()}
    return _runs(
        a, a_used, b_used, bool(free), lambda run: free.get("".join(t[0] for t in run)), "initials", flip
    )


def _runs(
    a: tuple[str, ...],
    a_used: list[bool],
    b_used: list[bool],
    any_free: bool,
    find: Callable[[tuple[str, ...]], int | None],
    how: How,
    flip: bool,
) -> list[Pair]:
    """Pair runs of 4, 3 or 2 unaligned tokens of `a` (longest first) with the free token `find` names."""
    if not any_free:
        return []
    pairs: list[Pair] = []
    for start in range(len(a)):
        for size in (4, 3, 2):
            stop = start + size
            if stop > len(a) or any(a_used[start:stop]):
                continue
            j = find(a[start:stop])
            if j is None or b_used[j]:
                continue
            run = tuple(range(start, stop))
            pairs.append(Pair((j,), run, 1.0, how) if flip else Pair(run, (j,), 1.0, how))
            for i in run:
                a_used[i] = True
            b_used[j] = True
            break
    return pairs


SOFT_KINDS: frozenset[TokenKind] = frozenset({"place", "qualifier"})

# the trade-word table's canonical tokens, and for each the other ways it is written, for typos of those
# ("tcehnology", "jiixe")
# Lines of business that tell sister companies apart when only one of them names it.
LINE_WORDS: frozenset[str] = frozenset(
    [
        "investment",
        "mgmt",
        "service",
        "trade",
        "holding",
        "dev",
        "bank",
        "financial",
        "finance",
        "insurance",
        "leasing",
        "capital",
        "eng",
        "comms",
        "shipping",
        "logistics",
        "security",
        "research",
        "intl",
        "center",
        "fdn",
        "offshore",
        "energy",
        "oil",
        "construction",
        "consulting",
        "transport",
        "media",
    ]
)
CANONICAL_WORDS: frozenset[str] = frozenset(t for canonical in ABBREVIATIONS.values() for t in canonical)
SPELLINGS: dict[str, tuple[str, ...]] = {}
for _variant, _canonical in ABBREVIATIONS.items():
    if len(_canonical) == 1 and _variant != _canonical[0] and len(_variant) >= 4:
        SPELLINGS[_canonical[0]] = (*SPELLINGS.get(_canonical[0], ()), _variant)


def _typo_similarity(a: str, b: str, ratio: float, cfg: MatchConfig) -> float:
    """How alike two different words are as spellings of one word: their rapidfuzz `ratio`, at least
    `slip_similarity` for two neighbouring letters swapped; 0 when their lengths differ too much for a
    typo."""
    if abs(len(a) - len(b)) > cfg.typo_max_length_difference and not _contains(a, b):
        return 0.0
    if ratio < cfg.slip_similarity and len(a) == len(b) >= 4 and is_swap(a, b):
        return cfg.slip_similarity
    return ratio


def _contains(a: str, b: str) -> bool:
    """One word begins or ends the other ("petrochem", "gunpowder")."""
    return a.startswith(b) or b.startswith(a) or a.endswith(b) or b.endswith(a)


@dataclass(frozen=True, slots=True)
class Spelling:
    """Two different words as spellings of one word: how alike, how, and which spelling of it."""

    similarity: float
    how: How
    spelling: str = ""


def _spelling_match(a: str, b: str, cfg: MatchConfig) -> Spelling | None:
    """Two different words as spellings of one word: a typo (with its similarity), words that sound
    alike, or a typo of another spelling of one of them ('ianqi' for 'electric', which is also written
    'dianqi'); None when none."""
    a_canonical, b_canonical = a in CANONICAL_WORDS, b in CANONICAL_WORDS
    if a_canonical and b_canonical:
        return None  # "electronic" and "electric" are two words, not one misspelt
    ratio = fuzz.ratio(a, b, score_cutoff=50.0) / 100.0
    if not ratio and not (a_canonical or b_canonical):
        return None  # less than half alike: no typo, no swap, no sound
    if ratio and _is_town(a) and _is_town(b):
        return None  # Krasnodar and Krasnoyarsk are two places, not one misspelt
    similarity = _typo_similarity(a, b, ratio, cfg) if ratio else 0.0
    if ratio and similarity < cfg.phonetic_similarity and sounds_alike(a, b):
        return Spelling(cfg.phonetic_similarity, "sound")
    spelling = ""
    if a_canonical or b_canonical:
        word, canonical = (b, a) if a_canonical else (a, b)
        for variant in SPELLINGS.get(canonical, ()):
            variant_ratio = fuzz.ratio(word, variant, score_cutoff=50.0) / 100.0
            if variant_ratio or len(word) == len(variant):
                found = _typo_similarity(word, variant, variant_ratio, cfg)
                if found > similarity:
                    similarity, spelling = found, variant
    if similarity >= cfg.fuzzy_min_similarity:
        return Spelling(similarity, "typo", spelling)
    return None


def is_swap(a: str, b: str) -> bool:
    """Whether two words differ by two neighbouring letters swapped ("wnid", "ecolfow")."""
    return len(a) == len(b) and OSA.distance(a, b, score_cutoff=1) == 1 and Hamming.distance(a, b) == 2


def align(query: View, candidate: View, ctx: Context) -> Alignment:
    """Align tokens one to one: equal tokens, then tokens written together or apart, then initials of
    several words next to words that agree, then typos and spellings that sound alike.

    The score is a weighted Dice coefficient: the weight of aligned tokens on both sides (initials count
    `initials_credit`, a typo its similarity to the power `typo_power`) over the weight of all tokens. A
    misspelt word weighs what the word it misspells weighs (the lesser of the two weights); places and
    qualifying words that only one side names weigh `omitted_place_factor` of their weight.
    """
    cfg = ctx.config
    qt, ct = query.tokens, candidate.tokens
    q_used = [False] * len(qt)
    c_used = [False] * len(ct)
    pairs: list[Pair] = []

    positions: dict[str, list[int]] = {}
    for j, token in enumerate(ct):
        positions.setdefault(token, []).append(j)
    for i, token in enumerate(qt):
        free = positions.get(token)
        if free:
            j = free.pop(0)
            pairs.append(Pair((i,), (j,), 1.0, "equal"))
            q_used[i] = c_used[j] = True

    if not all(q_used) and not all(c_used):
        pairs += _join_runs(qt, q_used, ct, c_used, flip=False)
        pairs += _join_runs(ct, c_used, qt, q_used, flip=True)
    # initials of some words, next to words that agree (a name that is only initials is an acronym)
    if pairs and not all(q_used) and not all(c_used) and query.script != "han":
        pairs += _initial_runs(qt, q_used, ct, c_used, flip=False)
        pairs += _initial_runs(ct, c_used, qt, q_used, flip=True)

    if not all(q_used) and not all(c_used):
        typos: list[tuple[float, int, int, Spelling]] = []
        for i, a in enumerate(qt):
            if q_used[i] or len(a) < 3 or query.kinds[i] == "number":
                continue
            a_canonical = a in CANONICAL_WORDS
            for j, b in enumerate(ct):
                if c_used[j] or len(b) < 3 or max(len(a), len(b)) < cfg.fuzzy_min_length:
                    continue
                if candidate.kinds[j] == "number":
                    continue
                if not (a_canonical or b in CANONICAL_WORDS or fuzz.ratio(a, b, score_cutoff=50.0)):
                    continue  # less than half alike (the common case, decided without a call)
                found = _spelling_match(a, b, cfg)
                if found is not None:
                    typos.append((found.similarity, i, j, found))
        for _, i, j, found in sorted(typos, key=lambda t: (t[0], t[1], t[2], t[3].how), reverse=True):
            if not q_used[i] and not c_used[j]:
                pairs.append(Pair((i,), (j,), found.similarity, found.how, found.spelling))
                q_used[i] = c_used[j] = True
    if not all(q_used) or not all(c_used):
        _give_up_places(query, q_used, candidate, c_used, pairs, cfg)

    wq = list(token_weights(query, ctx))
    wc = list(token_weights(candidate, ctx))
    for pair in pairs:
        if pair.how in ("typo", "sound"):
            i, j = pair.q[0], pair.c[0]
            wq[i] = wc[j] = min(wq[i], wc[j])
    omitted = _omitted_places(query, q_used, candidate, c_used, pairs)
    for i in omitted[0]:
        wq[i] *= cfg.omitted_place_factor
    for j in omitted[1]:
        wc[j] *= cfg.omitted_place_factor
    reweighed = _weigh_leftovers(query, q_used, wq, candidate, c_used, wc, ctx)
    total = sum(wq) + sum(wc)
    aligned = 0.0
    for pair in pairs:
        aligned += _credit(pair, cfg) * (sum(wq[i] for i in pair.q) + sum(wc[j] for j in pair.c))
    score = aligned / total if total > 0 else 0.0
    return Alignment(
        query, candidate, tuple(pairs), min(score, 1.0), tuple(wq), tuple(wc), omitted, reweighed
    )


def _weigh_leftovers(
    query: View,
    q_used: list[bool],
    wq: list[float],
    candidate: View,
    c_used: list[bool],
    wc: list[float],
    ctx: Context,
) -> tuple[dict[int, str], dict[int, str]]:
    """Words that only one side names, weighed for what they say about the two companies:

    - a line of business that only one side names ("Gazprom" and "Gazprom *Invest*", "Cham *Bank*" and
      "Cham *Holding*") is how sister companies are told apart: it counts `line_word_weight` of a
      distinctive word however generic it is when it agrees;
    - when every distinctive word of one side is found in the other, the other side's remaining
      distinctive words before or after the words found are a description the shorter name leaves out
      ("Kontroles" for "Kontroles Electronicos de Baja California"): they count `tail_factor` of their
      weight. A word between words found ("Dhaka *Sun* Knit Apparels") names another company, and so
      does a short name with a line of business of its own ("Envision *Energy*", "Envision AESC")."""
    cfg = ctx.config
    notes: tuple[dict[int, str], dict[int, str]] = ({}, {})
    for view, used, weights, note in ((query, q_used, wq, notes[0]), (candidate, c_used, wc, notes[1])):
        for i, key in enumerate(view.keys):
            if not used[i] and key in LINE_WORDS:
                weights[i] = max(weights[i], cfg.line_word_weight * ctx.idf(key))
                note[i] = "line of business, counts"
    if cfg.tail_factor >= 1.0:
        return notes
    for short, s_used, other, o_used, weights, note in (
        (query, q_used, candidate, c_used, wc, notes[1]),
        (candidate, c_used, query, q_used, wq, notes[0]),
    ):
        distinctive = [i for i, kind in enumerate(short.kinds) if kind in ("word", "number")]
        if not distinctive or not all(s_used[i] for i in distinctive):
            continue
        if any(not s_used[i] and key in LINE_WORDS for i, key in enumerate(short.keys)):
            continue  # "Envision Energy" is no short form of "Envision AESC": it names a line of its own
        aligned = [j for j, used in enumerate(o_used) if used]
        first, last = aligned[0], aligned[-1]
        for j, kind in enumerate(other.kinds):
            if not o_used[j] and kind == "word" and not first < j < last:
                weights[j] *= cfg.tail_factor
                note[j] = "description the shorter name leaves out, weighs less"
    return notes


def _give_up_places(
    query: View, q_used: list[bool], candidate: View, c_used: list[bool], pairs: list[Pair], cfg: MatchConfig
) -> None:
    """A place or qualifying word that took an equal partner which a misspelt word of the name also
    spells gives the partner up to it ("HUEI YIWEI POWER ..., JINGMEN HUBEI" for "Hubei Yiwei Power":
    'huei' is the name's 'hubei'; the trailing 'hubei' only qualifies it)."""
    for k, pair in enumerate(pairs):
        if pair.how != "equal":
            continue
        i, j = pair.q[0], pair.c[0]
        if query.kinds[i] in SOFT_KINDS:  # the query's place gives the candidate's word to a query typo
            for n, token in enumerate(query.tokens):
                if q_used[n] or query.kinds[n] in SOFT_KINDS or query.kinds[n] == "number":
                    continue
                found = _spelling_match(token, candidate.tokens[j], cfg)
                if found is not None and found.how == "typo":
                    pairs[k] = Pair((n,), (j,), found.similarity, "typo", found.spelling)
                    q_used[n], q_used[i] = True, False
                    break
        elif candidate.kinds[j] in SOFT_KINDS:
            for n, token in enumerate(candidate.tokens):
                if c_used[n] or candidate.kinds[n] in SOFT_KINDS or candidate.kinds[n] == "number":
                    continue
                found = _spelling_match(query.tokens[i], token, cfg)
                if found is not None and found.how == "typo":
                    pairs[k] = Pair((i,), (n,), found.similarity, "typo", found.spelling)
                    c_used[n], c_used[j] = True, False
                    break


def omissible(view: View, i: int) -> bool:
    """Whether a token may be left out without saying another company: a word qualifying the name (after
    its legal form, after its last comma, in brackets), or a Chinese province or city. Countries and other
    places inside a name often tell companies apart ("Sberbank of Russia", "Novatek-Perm")."""
    kind = view.kinds[i]
    return kind == "qualifier" or (kind == "place" and view.keys[i] in LATIN_PLACES)


def _omitted_places(
    query: View, q_used: list[bool], candidate: View, c_used: list[bool], pairs: list[Pair]
) -> tuple[frozenset[int], frozenset[int]]:
    """Unaligned places and qualifying words that only one side names, when the names otherwise agree:
    on every distinctive word (on one as written or with a typo, not only by sound), without each naming
    an industry of its own. Two sides that each name another place disagree, and nothing is omitted."""
    nothing: tuple[frozenset[int], frozenset[int]] = (frozenset(), frozenset())
    left_q = {k for used, k in zip(q_used, query.kinds, strict=True) if not used}
    left_c = {k for used, k in zip(c_used, candidate.kinds, strict=True) if not used}
    if not (left_q | left_c) & SOFT_KINDS:
        return nothing
    if left_q & SOFT_KINDS and left_c & SOFT_KINDS:
        return nothing  # two places, say Krasnodar and Saint Petersburg
    if (left_q | left_c) & {"word", "number"} or ("domain" in left_q and "domain" in left_c):
        return nothing
    agreed = ("equal", "joined", "typo")
    if not any(p.how in agreed and query.kinds[i] in ("word", "number") for p in pairs for i in p.q):
        return nothing
    q_soft = frozenset(i for i, used in enumerate(q_used) if not used and omissible(query, i))
    c_soft = frozenset(j for j, used in enumerate(c_used) if not used and omissible(candidate, j))
    return q_soft, c_soft


def _credit(pair: Pair, cfg: MatchConfig) -> float:
    """How much an aligned pair counts: equal or joined words fully, initials and typos less."""
    if pair.how in ("equal", "joined"):
        return 1.0
    if pair.how == "initials":
        return cfg.initials_credit
    return float(pair.similarity**cfg.typo_power)


def describe(alignment: Alignment, limit: int = 8) -> str:
    """Token by token: `'abc'='abc'`, `'zhong ke'='zhongke' (written together)`, `'shazamd'~'shazand'
    (typo)`, then the tokens left over on either side with their kind when it weighs little."""
    q, c = alignment.query, alignment.candidate
    items: list[str] = []
    for pair in sorted(alignment.pairs, key=lambda p: p.q[0]):
        left = " ".join(q.tokens[i] for i in pair.q)
        right = " ".join(c.tokens[j] for j in pair.c)
        kind = q.kinds[pair.q[0]] if len(pair.q) == 1 else "word"
        note = {
            "equal": "",
            "joined": " (written together)",
            "initials": " (initials)",
            "typo": f" (typo{f' of {pair.spelling!r}' if pair.spelling else ''}, {pair.similarity:.2f})",
            "sound": " (sounds alike)",
        }[pair.how]
        if kind in ("place", "generic", "domain", "qualifier") and pair.how == "equal":
            note = f" ({_kind_label(kind)}, weighs little)"
        sign = "=" if pair.how in ("equal", "joined") else "~"
        items.append(f"'{left}'{sign}'{right}'{note}")
    aligned_q = {i for p in alignment.pairs for i in p.q}
    aligned_c = {j for p in alignment.pairs for j in p.c}
    omitted_q, omitted_c = alignment.omitted
    notes_q, notes_c = alignment.reweighed
    only_q = [
        _labelled(q, i, notes_q.get(i))
        for i in range(len(q.tokens))
        if i not in aligned_q and i not in omitted_q
    ]
    only_c = [
        _labelled(c, j, notes_c.get(j))
        for j in range(len(c.tokens))
        if j not in aligned_c and j not in omitted_c
    ]
    if len(items) > limit:
        items = [*items[:limit], f"{len(items) - limit} more"]
    text = ", ".join(items) if items else "no token in common"
    if only_q:
        text += "; only in the query: " + ", ".join(only_q[:limit])
    if only_c:
        text += "; only in this name: " + ", ".join(only_c[:limit])
    for view, omitted in ((q, omitted_q), (c, omitted_c)):
        if omitted:
            side = "query" if view is q else "name"
            words = ", ".join(f"'{view.tokens[i]}'" for i in sorted(omitted))
            trailing = all(view.kinds[i] == "qualifier" for i in omitted)
            place = is_place([view.keys[i] for i in sorted(omitted)]) or not trailing
            what = ("trailing " if trailing else "") + ("place" if place else "word")
            plural = "s" if len(omitted) > 1 else ""
            weights = alignment.query_weights if view is q else alignment.candidate_weights
            how = "ignored" if all(weights[i] == 0 for i in omitted) else "weighs less"
            text += f"; {what}{plural} {words} only in the {side}, {how}"
    return text


_KIND_LABELS: dict[str, str] = {
    "place": "place",
    "generic": "generic word",
    "domain": "industry word",
    "qualifier": "qualifier",
    "number": "number",
}


def _kind_label(kind: TokenKind) -> str:
    return _KIND_LABELS.get(kind, kind)


def _labelled(view: View, i: int, note: str | None = None) -> str:
    kind = view.kinds[i]
    labels = [_KIND_LABELS[kind]] if kind in _KIND_LABELS else []
    labels += [note] if note else []
    return f"'{view.tokens[i]}'" + (f" ({', '.join(labels)})" if labels else "")


def best_alignment(pairs: list[tuple[View | None, View | None]], ctx: Context) -> Alignment | None:
    best: Alignment | None = None
    for a, b in pairs:
        if a is None or b is None:
            continue
        alignment = align(a, b, ctx)
        if best is None or alignment.score > best.score:
            best = alignment
    return best


# --- name features --------------------------------------------------------------------------------


def latin_tokens(q: Side, c: Side, ctx: Context) -> Evidence:
    """The words of both names line up: equal, written together or apart, or with a typo; rare words
    count more than common ones, places and generic words ("group", "trading") count little."""
    if c.name.combined:
        return NONE
    alignment = best_alignment([(q.name.latin, c.name.latin)], ctx)
    if alignment is None or alignment.score <= 0:
        return NONE
    return Evidence(alignment.score, describe(alignment))


def han_characters(q: Side, c: Side, ctx: Context) -> Evidence:
    """The Chinese characters of both names agree once legal forms (有限公司 ...) are set aside; places
    and words such as 科技 (technology) count little."""
    alignment = best_alignment([(q.name.han, c.name.han)], ctx)
    if alignment is None or alignment.score <= 0:
        return NONE
    return Evidence(alignment.score, "Chinese characters: " + describe(alignment))


def pinyin_transliteration(q: Side, c: Side, ctx: Context) -> Evidence:
    """A Latin spelling agrees with the pinyin reading of a Chinese name (国轩高科 read as Guoxuan
    High-Tech)."""
    if c.name.combined:
        return NONE
    alignment = best_alignment([(q.name.latin, c.name.pinyin), (q.name.pinyin, c.name.latin)], ctx)
    if alignment is None or alignment.score <= 0:
        return NONE
    han_side = c.name if alignment.candidate.script == "pinyin" else q.name
    han = han_side.normalized.han or ""
    return Evidence(alignment.score, f"pinyin of '{han}': " + describe(alignment))


def words_across_names(q: Side, c: Side, ctx: Context) -> Evidence:
    """Each distinctive word of the query appears in one or another of the company's names (the query
    mixes words of several aliases); counts the rarity-weighted share of the query so explained, when at
    least two distinctive words are."""
    if not c.name.combined or q.name.latin is None or c.name.latin is None:
        return NONE
    alignment = align(q.name.latin, c.name.latin, ctx)
    weights = alignment.query_weights
    explained = 0.0
    distinctive = 0
    for pair in alignment.pairs:
        explained += _credit(pair, ctx.config) * sum(weights[i] for i in pair.q)
        distinctive += sum(1 for i in pair.q if q.name.latin.kinds[i] in ("word", "number"))
    total = sum(weights)
    if distinctive < 2 or total <= 0:
        return NONE
    found = {c.name.latin.tokens[j] for pair in alignment.pairs for j in pair.c}
    if any(found <= part for part in c.name.combined):
        return NONE  # one name holds them all: compared as a whole by latin_tokens
    return Evidence(explained / total, "words found across the company's names: " + describe(alignment))


def acronym(q: Side, c: Side, ctx: Context) -> Evidence:
    """One name is written as the initials of the other ("CATL" for Contemporary Amperex Technology
    Limited); short acronyms, and acronyms that several indexed names share, count less."""
    cfg = ctx.config
    for short, long_ in ((q.name, c.name), (c.name, q.name)):
        token = short.core_token
        if token is not None and token in long_.acronyms:
            value = {2: cfg.short_acronym_factor, 3: cfg.three_letter_acronym_factor}.get(len(token), 1.0)
            shared = max(ctx.frequency("#" + token), 1)
            value /= 1.0 + cfg.shared_acronym_penalty * math.log(shared)
            words = " ".join(long_.normalized.tokens) or long_.normalized.han or long_.text
            others = f" (shared by {shared} indexed names)" if shared > 1 else ""
            return Evidence(value, f"'{token}' is the acronym of '{words}'{others}")
    return NONE


# --- qualifiers -----------------------------------------------------------------------------------


def country_agrees(q: Side, c: Side, ctx: Context) -> Evidence:
    """Both sides are in the same country."""
    if q.country and c.country and q.country == c.country:
        return Evidence(1.0, f"country {c.country} agrees")
    return NONE


def country_differs(q: Side, c: Side, ctx: Context) -> Evidence:
    """The query gives another country than the company's: a clear sign of another company."""
    if q.country and c.country and q.country != c.country:
        return Evidence(1.0, f"country {q.country} differs from {c.country}")
    return NONE


def address_overlap(q: Side, c: Side, ctx: Context) -> Evidence:
    """The addresses share words (street, district, city)."""
    if not q.address or not c.address:
        return NONE
    shared = q.address & c.address
    if not shared:
        return NONE
    value = len(shared) / min(len(q.address), len(c.address))
    return Evidence(value, f"address shares {len(shared)} word{'s' if len(shared) > 1 else ''}")


def numbers_differ(q: Side, c: Side, ctx: Context) -> Evidence:
    """Both names carry numbers and the numbers differ ("Plant No. 2" is not "Plant No. 3")."""
    a, b = q.name.numbers, c.name.numbers
    if not a or not b or a == b:
        return NONE
    value = 1.0 if not a & b else 0.5
    return Evidence(value, f"numbers differ: {', '.join(sorted(a))} vs {', '.join(sorted(b))}")


def legal_form_differs(q: Side, c: Side, ctx: Context) -> Evidence:
    """Legal forms are compared as a class and never carry a match; different classes (a limited
    company and a joint-stock company) cost a little."""
    a, b = q.name.normalized, c.name.normalized
    written = a.legal_form_text or b.legal_form_text
    if not a.legal_form or not b.legal_form:
        return Evidence(0.0, f"legal form '{written}' ignored") if written else NONE
    if a.legal_form == b.legal_form:
        return Evidence(0.0, f"legal form '{written}' ({a.legal_form}) ignored")
    cross_script = (a.han is None) != (b.han is None)
    if cross_script:  # 股份有限公司 is often rendered "Co., Ltd." in English
        return Evidence(0.0, f"legal forms {a.legal_form} and {b.legal_form} not compared across scripts")
    return Evidence(1.0, f"legal forms differ: {a.legal_form} vs {b.legal_form}")


def _is_town(word: str) -> bool:
    """A city, province or region (not a country: the country features see those)."""
    return (word in LATIN_PLACES or is_place([word])) and not is_country([word])


@lru_cache(maxsize=16384)
def _places(name: PreparedName) -> frozenset[str]:
    """Cities, provinces and regions a name says."""
    found: set[str] = set()
    for view in (name.latin, name.pinyin):
        if view is not None:
            found.update(
                key
                for key, kind in zip(view.keys, view.kinds, strict=True)
                if kind in SOFT_KINDS and _is_town(key)
            )
    return frozenset(found)


def place_elsewhere(q: Side, c: Side, ctx: Context) -> Evidence:
    """The query names a city or province that neither the company's names nor its address name, and
    the address names another ('Jingmen' for a company in Shantou): another company of the same name."""
    if not c.address:
        return NONE
    said = _places(q.name)
    if not said or said & (c.company_words | c.address):
        return NONE
    there = sorted(w for w in c.address if _is_town(w))
    if not there:
        return NONE
    return Evidence(1.0, f"'{sorted(said)[0]}' is not where the company is ({', '.join(there[:3])})")


def industry_differs(q: Side, c: Side, ctx: Context) -> Evidence:
    """The query names an industry that none of the company's names name, and they name only others
    ('graphite' for a maker of electric motors): another company of the same name."""
    if q.name.latin is None:
        return NONE
    said = INDUSTRIES.intersection(q.name.latin.tokens)
    theirs = INDUSTRIES & c.company_words
    if not said or not theirs or said & theirs:
        return NONE
    return Evidence(1.0, f"industry '{' '.join(sorted(said))}' vs the company's '{' '.join(sorted(theirs))}'")


def spelling_readings(q: Side, c: Side, ctx: Context) -> Evidence:
    """How unusual spellings were read: a typing slip in a legal form or trade word ("'liimited' read as
    legal form 'limited'"), a pinyin trade word ("'shimo' read as pinyin for 'graphite'"); explains, never
    scores."""
    readings = list(dict.fromkeys((*q.name.normalized.readings, *c.name.normalized.readings)))
    if not readings:
        return NONE
    shown = readings[:4] + ([f"{len(readings) - 4} more"] if len(readings) > 4 else [])
    return Evidence(0.0, "; ".join(shown))


NAME_FEATURES: tuple[tuple[Feature, float], ...] = (
    (latin_tokens, 1.0),
    (han_characters, 1.0),
    (pinyin_transliteration, 0.95),
    (acronym, 0.9),
    (words_across_names, 0.9),
)
QUALIFIERS: tuple[tuple[Feature, float], ...] = (
    (country_agrees, 0.04),
    (country_differs, -0.15),
    (address_overlap, 0.05),
    (numbers_differ, -0.25),
    (legal_form_differs, -0.02),
    (place_elsewhere, -0.2),
    (industry_differs, -0.2),
    (spelling_readings, 0.0),
)
FEATURES: tuple[tuple[Feature, float], ...] = NAME_FEATURES + QUALIFIERS
