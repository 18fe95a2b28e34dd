"""Match features: each is one small pure function whose docstring is the explanation a user reads.

A feature compares the query side (the name an importer wrote, with country and address when given)
with one name of a network company and returns `Evidence`: a value in [0, 1] and a short reason.

- *Name features* are alternative routes to "these names say the same": the name score is the best of
  `weight * value` over them (Latin tokens, Han characters, pinyin against Han, acronyms).
- *Qualifiers* then add `weight * value` (negative weights count against): country, address, numbers,
  legal form. A legal form never carries a match; at most it costs a little when the classes differ.

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
from rigour.text.phonetics import metaphone
from rigour.text.translit import ascii_text

from screening.matching.config import MatchConfig
from screening.names import COMPANY_WORDS, NormalizedName, TokenKind, normalize_name

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
    """One side of a comparison: a prepared name, its ISO country, its address words."""

    name: PreparedName
    country: str | None = None
    address: frozenset[str] = EMPTY


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
            t for t, k in zip(tokens, normalized.kinds, strict=True) if k not in ("generic", "place")
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
        t for t, k in zip(normalized.tokens, normalized.kinds, strict=True) if k not in ("generic", "place")
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
        acronyms=_acronyms(normalized),
        core_token=_core_token(normalized),
        numbers=numbers,
    )


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


@dataclass(frozen=True, slots=True)
class Alignment:
    """How two views line up, and the rarity-and-kind weighted share of both names that lines up."""

    query: View
    candidate: View
    pairs: tuple[Pair, ...]
    score: float
    query_weights: tuple[float, ...]
    candidate_weights: tuple[float, ...]


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
    """Runs of 2 to 4 unaligned tokens on side `a` that, written together, are one token on side `b`."""
    free = {t: j for j, t in enumerate(b) if not b_used[j] and len(t) >= 4}
    if not free:
        return []
    pairs: list[Pair] = []
    for start in range(len(a)):
        for size in (4, 3, 2):
            stop = start + size
            if stop > len(a) or any(a_used[start:stop]):
                continue
            j = free.get("".join(a[start:stop]))
            if j is None or b_used[j]:
                continue
            run = tuple(range(start, stop))
            pairs.append(Pair((j,), run, 1.0, "joined") if flip else Pair(run, (j,), 1.0, "joined"))
            for i in run:
                a_used[i] = True
            b_used[j] = True
            break
    return pairs


def _initial_runs(
    a: tuple[str, ...], a_used: list[bool], b: tuple[str, ...], b_used: list[bool], flip: bool
) -> list[Pair]:
    """A short unaligned word on side `b` that is the initials of 2 to 4 unaligned words on side `a`
    ("IC" for "International Company", "NPP" for "Nauchno Proizvodstvennoe Predpriyatie")."""
    free = {t: j for j, t in enumerate(b) if not b_used[j] and 2 <= len(t) <= 4 and t.isalpha()}
    if not free:
        return []
    pairs: list[Pair] = []
    for start in range(len(a)):
        for size in (4, 3, 2):
            stop = start + size
            if stop > len(a) or any(a_used[start:stop]):
                continue
            j = free.get("".join(t[0] for t in a[start:stop]))
            if j is None or b_used[j]:
                continue
            run = tuple(range(start, stop))
            pairs.append(Pair((j,), run, 1.0, "initials") if flip else Pair(run, (j,), 1.0, "initials"))
            for i in run:
                a_used[i] = True
            b_used[j] = True
            break
    return pairs


def align(query: View, candidate: View, ctx: Context) -> Alignment:
    """Align tokens one to one: equal tokens, then tokens written together or apart, then initials of
    several words next to words that agree, then typos and spellings that sound alike.

    The score is a weighted Dice coefficient: the weight of aligned tokens on both sides (initials count
    `initials_credit`, a typo its similarity to the power `typo_power`) over the weight of all tokens.
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
        typos: list[tuple[float, int, int, How]] = []
        for i, a in enumerate(qt):
            if q_used[i] or len(a) < 3 or query.kinds[i] == "number":
                continue
            for j, b in enumerate(ct):
                if c_used[j] or len(b) < 3 or max(len(a), len(b)) < cfg.fuzzy_min_length:
                    continue
                if candidate.kinds[j] == "number":
                    continue
                similarity = fuzz.ratio(a, b) / 100.0
                if similarity >= 0.5 and similarity < cfg.phonetic_similarity and sounds_alike(a, b):
                    typos.append((cfg.phonetic_similarity, i, j, "sound"))
                elif similarity >= cfg.fuzzy_min_similarity:
                    typos.append((similarity, i, j, "typo"))
        for similarity, i, j, how in sorted(typos, reverse=True):
            if not q_used[i] and not c_used[j]:
                pairs.append(Pair((i,), (j,), similarity, how))
                q_used[i] = c_used[j] = True

    wq = token_weights(query, ctx)
    wc = token_weights(candidate, ctx)
    total = sum(wq) + sum(wc)
    aligned = 0.0
    for pair in pairs:
        aligned += _credit(pair, cfg) * (sum(wq[i] for i in pair.q) + sum(wc[j] for j in pair.c))
    score = aligned / total if total > 0 else 0.0
    return Alignment(query, candidate, tuple(pairs), min(score, 1.0), wq, wc)


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
            "typo": f" (typo, {pair.similarity:.2f})",
            "sound": " (sounds alike)",
        }[pair.how]
        if kind in ("place", "generic", "domain") and pair.how == "equal":
            note = f" ({_kind_label(kind)}, weighs little)"
        sign = "=" if pair.how in ("equal", "joined") else "~"
        items.append(f"'{left}'{sign}'{right}'{note}")
    aligned_q = {i for p in alignment.pairs for i in p.q}
    aligned_c = {j for p in alignment.pairs for j in p.c}
    only_q = [_labelled(q, i) for i in range(len(q.tokens)) if i not in aligned_q]
    only_c = [_labelled(c, j) for j in range(len(c.tokens)) if j not in aligned_c]
    if len(items) > limit:
        items = [*items[:limit], f"{len(items) - limit} more"]
    text = ", ".join(items) if items else "no token in common"
    if only_q:
        text += "; only in the query: " + ", ".join(only_q[:limit])
    if only_c:
        text += "; only in this name: " + ", ".join(only_c[:limit])
    return text


def _kind_label(kind: TokenKind) -> str:
    return {"place": "place", "generic": "generic word", "domain": "industry word"}.get(kind, kind)


def _labelled(view: View, i: int) -> str:
    kind = view.kinds[i]
    suffix = f" ({_kind_label(kind)})" if kind in ("place", "generic", "domain", "number") else ""
    return f"'{view.tokens[i]}'{suffix}"


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
)
FEATURES: tuple[tuple[Feature, float], ...] = NAME_FEATURES + QUALIFIERS
