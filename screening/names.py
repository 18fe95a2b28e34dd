"""Company-name normalisation: the comparable form of a name as an importer or a bill of lading writes it.

`normalize_name` turns one written name into a `NormalizedName` with three views that the matcher
compares (screening/matching):

- `tokens`: Latin tokens. Other scripts are transliterated (Cyrillic, Greek, Hangul, Arabic, Kana, ...),
  text is casefolded, punctuation and `&` dropped, legal forms removed (recognised anywhere in the name,
  in many languages, from rigour's org-type table; kept apart as a class in `legal_form`), and trade
  abbreviations mapped to one canonical token each (`intl`/`international` -> `intl`, `imp & exp` ->
  `trade`, `mfg` -> `manufacturing`, pinyin `keji` -> `tech`, ...).
- `han`: the Han characters (Chinese names), legal forms (有限公司, 股份有限公司, ...) removed, compared
  Han to Han; `han_tokens` segments them into known words (places, generic words) and runs of other
  characters.
- `tokens_pinyin`: the same segments in Latin: toneless pinyin for the distinctive part (syllables of
  one run joined: 国轩 -> `guoxuan`) and canonical tokens for known words (科技 -> `tech`, 深圳 ->
  `shenzhen`), so that a Latin spelling can be compared with a Chinese name.

Every token carries a kind (`word`, `number`, `place`, `generic`, `domain`): places and generic
organisation words ("group", "trading", "technology") say little about which company is meant, and the
matcher weighs them accordingly. Bracketed parts become extra names ("Foo Ltd (formerly Bar Co)" ->
also "Bar Co"), unless they only hold a place or a generic word ("(Shanghai)", "(Group)").

`name_key(name, country)` is a stable clustering key: two spellings that normalise to the same
significant tokens in the same country get the same key.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from pypinyin import lazy_pinyin
from rigour._core import name_split_phrases_list, stopwords_list
from rigour.names import NameTypeTag, analyze_names, extract_org_types
from rigour.text.translit import ascii_text

from screening.codes import normalize_country

TokenKind = Literal["word", "number", "place", "generic", "domain"]

NORMALIZER_VERSION = "names-1"


@dataclass(frozen=True, slots=True)
class NormalizedName:
    """One written name in comparable form; `kinds` run parallel to `tokens` (and the Han views)."""

    original: str
    tokens: tuple[str, ...] = ()
    kinds: tuple[TokenKind, ...] = ()
    legal_form: str | None = None  # class of the legal form, e.g. "llc", "jsc", "lp"
    legal_form_text: str | None = None  # the legal form as written, e.g. "co., ltd."
    han: str | None = None  # Han characters without legal forms
    han_tokens: tuple[str, ...] = ()
    tokens_pinyin: tuple[str, ...] = ()
    pinyin_kinds: tuple[TokenKind, ...] = ()  # parallel to han_tokens and tokens_pinyin
    extra_names: tuple[str, ...] = ()  # names found in brackets or after "formerly", "a.k.a."

    @property
    def is_empty(self) -> bool:
        return not self.tokens and not self.han_tokens

    @property
    def display(self) -> str:
        """The comparable form for people: Latin tokens, then the Han text."""
        parts = [" ".join(self.tokens)] if self.tokens else []
        if self.han:
            parts.append(self.han)
        return " ".join(parts)


# --- tables -------------------------------------------------------------------------------------


def _words(text: str) -> list[str]:
    return text.split()


# canonical token(s) -> the ways people write it. Targets are fixed points and agree with rigour's symbol
# ids where rigour has one (TECH, GRP, INTL, TRADE, ...), so that a word rigour canonicalises from another
# language lands on the same token. Pinyin spellings of generic words are included (keji, jituan, ...).
_ABBREVIATION_TABLE: dict[str, str] = {
    "intl": "intl international internatl internation",
    "manufacturing": "mfg mfr mfrs mfy manuf manufacturer manufacturers manufacture manufacturing "
    "manufactory",
    "tech": "tech techn techno technology technologies technological teknoloji keji jishu",
    "hitech": "hitech hightech hitek gaoke gaokeji gaoxin gaojishu",
    "grp": "grp group groups jituan",
    "corp": "corp corpn corporation corporations",
    "co": "co cos compan company gongsi",
    "industry": "ind inds indus industrial industries industry industrie gongye shiye chanye",
    "electronic": "elec electr electronic electronics dianzi",
    "electric": "electric electrical electrics dianqi",
    "material": "mat matl matls mtl mtls material materials cailiao",
    "equipment": "eqpt eqp equip equipment equipments shebei",
    "chemical": "chem chems chemical chemicals huagong",
    "scientific": "sci science sciences scientific",
    "eng": "eng engg engr engineering",
    "service": "svc svcs serv service services",
    "mgmt": "mgmt mgt management",
    "dev": "dev devt development developments fazhan",
    "bros": "bro bros brothers",
    "natl": "natl national",
    "trade": "trdg trading trade trader traders impex impexp maoyi shangmao jinchukou treiding treyding "
    "trejding",
    "holding": "hldg hldgs holding holdings konggu",
    "investment": "inv invest investment investments touzi",
    "machinery": "mach machinery machineries",
    "pharma": "pharm pharma pharmaceutical pharmaceuticals",
    "product": "prod prods product products",
    "system": "sys system systems",
    "enterprise": "entp enterprise enterprises qiye",
    "center": "ctr cntr center centre centers centres",
    "power": "pwr power dongli dianli",
    "energy": "energy energies nengyuan",
    "battery": "battery batteries dianchi",
    "semiconductor": "semicon semiconductor semiconductors",
    "logistics": "logistic logistics wuliu",
    "new energy": "xinnengyuan",
    "rare earth": "xitu",
    "energy storage": "chuneng",
    "innovation": "innovation innovations chuangxin",
    "smart": "smart zhineng",
    "permanent magnet": "yongci",
    "magnetic material": "cicai",
    "resources": "resource resources ziyuan",
    "mining": "mining kuangye",
    "steel": "steel gangtie",
    "metal": "metal metals jinshu",
    "auto": "auto automotive automobile automobiles qiche",
}
ABBREVIATIONS: dict[str, tuple[str, ...]] = {
    variant: tuple(canonical.split())
    for canonical, variants in _ABBREVIATION_TABLE.items()
    for variant in variants.split()
}

# Phrases rewritten before tokenising, on casefolded ASCII text.
_PHRASES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\bint'?l\b"), " intl "),
    (
        re.compile(r"\bimp(?:orts?|orters?)?\.?\s*(?:&|and|/|-|\+)?\s*exp(?:orts?|orters?)?\.?(?=\W|$)"),
        " trade ",
    ),
    (re.compile(r"\bhi(?:gh)?[\s\-]?tech(?:nolog(?:y|ies))?\b"), " hitech "),
    (re.compile(r"\bhigh[\s\-]technolog(?:y|ies)\b"), " hitech "),
    # single letters around & / and: "C&I", "C AND I" -> "ci"
    (re.compile(r"(?<![\w&])([a-z0-9])\s*(?:&|\+|\band\b)\s*([a-z0-9])(?![\w&])"), r" \1\2 "),
    (re.compile(r"['`´’‘]"), ""),
    (re.compile(r"&"), " and "),
)

# Legal forms in spellings rigour's table does not hold, by class: Chinese in pinyin (rigour knows the Han
# ones), Russian transliterated loosely, Spanish "S. de R.L.".
_SPELLED_LEGAL: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\bgufen\s*youxian\s*(?:zeren\s*)?gongsi\b"), "jsc"),
    (re.compile(r"\byouxian\s*(?:zeren\s*)?gongsi\b"), "llc"),
    (re.compile(r"\bob\w{0,3}estv\w{0,2}\s+s\s+ogranichenn\w*\s+otvetstvenn\w*"), "llc"),
    (re.compile(r"\b(?:(?:zakryt|otkryt|publichn|nepublichn)\w*\s+)?aktsioner\w*\s+ob\w{0,3}estv\w*"), "jsc"),
    (re.compile(r"\bs\.?\s*de\s*r\.?\s*l\.?(?:\s*de\s*c\.?\s*v\.?)?(?=\W|$)"), "llc"),
)

# Legal-form tokens rigour does not list (or lists only inside longer forms), by class.
_EXTRA_LEGAL: dict[str, str] = {
    token: cls
    for cls, tokens in (
        ("llc", "pvt pte pty fzc fze fzco fzllc ltda lda sarlu eood ood ooo tov"),
        ("jsc", "tbk ead"),
        ("soe", "fgup fsue gup mup"),
    )
    for token in tokens.split()
}
# Only at the start or end of a name (they are also ordinary syllables or words).
_EDGE_LEGAL: dict[str, str] = {
    "pt": "llc",
    "cv": "lp",
    "ud": "sp",
    "private": "llc",
    "sal": "jsc",
    "pe": "sp",
}

_ROMAN = re.compile(r"^(?=[ivxlc]{2,})c{0,3}(xc|xl|l?x{0,3})(ix|iv|v?i{0,3})$")

_SPLIT_PHRASES: tuple[str, ...] = tuple(
    sorted(
        {p.casefold() for p in name_split_phrases_list()} | {"aka", "fka", "nka", "also", "formerly"},
        key=len,
        reverse=True,
    )
)
_SPLIT_AT_START = re.compile(
    r"^\s*(?:" + "|".join(re.escape(p) for p in _SPLIT_PHRASES) + r")(?=\W|$)[\s:.,]*"
)
_SPLIT_INLINE = re.compile(
    r"\s+(?:"
    + "|".join(re.escape(p) for p in _SPLIT_PHRASES if len(p) > 3 or "/" in p or "." in p)
    + r")(?=\W|$)[\s:.,]*"
)
_BRACKETS = re.compile(r"[(\[{]([^()\[\]{}]*)[)\]}]")

_STOPWORDS: frozenset[str] = frozenset(w.casefold() for w in stopwords_list()) - {"a"}

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ebef]+")

# Chinese provinces, regions and the cities most seen in trade data. Bare forms; 市/省/区/县 suffixes
# are absorbed by the segmenter.
_HAN_PLACES: tuple[str, ...] = tuple(
    _words(
        "中国 中华 北京 天津 上海 重庆 河北 山西 内蒙古 辽宁 吉林 黑龙江 江苏 "
        "浙江 安徽 福建 江西 山东 河南 湖北 湖南 广东 广西 海南 四川 贵州 云南 "
        "西藏 陕西 甘肃 青海 宁夏 新疆 香港 澳门 台湾 深圳 广州 东莞 佛山 惠州 "
        "珠海 中山 汕头 江门 肇庆 揭阳 潮州 厦门 福州 泉州 宁德 漳州 莆田 龙岩 "
        "三明 宁波 杭州 温州 绍兴 嘉兴 湖州 台州 金华 义乌 苏州 无锡 常州 南京 "
        "南通 扬州 徐州 镇江 泰州 盐城 淮安 连云港 昆山 江阴 合肥 芜湖 滁州 "
        "马鞍山 安庆 蚌埠 铜陵 阜阳 青岛 济南 烟台 潍坊 威海 淄博 临沂 东营 日照 "
        "大连 沈阳 长春 哈尔滨 武汉 宜昌 襄阳 长沙 株洲 郑州 洛阳 成都 宜宾 遂宁 "
        "绵阳 西安 昆明 南宁 柳州 南昌 赣州 九江 宜春 上饶 景德镇 包头 呼和浩特 "
        "石家庄 唐山 保定 廊坊 太原 兰州 乌鲁木齐 贵阳 海口 银川 西宁 拉萨"
    )
)
_HAN_PLACE_SUFFIXES = ("自治区", "特别行政区", "市", "省", "区", "县")

# Han words that say what kind of company it is, with their canonical Latin tokens.
_HAN_WORDS: dict[str, tuple[tuple[str, ...], TokenKind]] = {
    "高新技术": (("hitech",), "domain"),
    "高科技": (("hitech",), "domain"),
    "高技术": (("hitech",), "domain"),
    "高科": (("hitech",), "domain"),
    "科技": (("tech",), "domain"),
    "技术": (("tech",), "domain"),
    "新能源": (("new", "energy"), "domain"),
    "能源": (("energy",), "domain"),
    "电子": (("electronic",), "domain"),
    "电器": (("electric",), "domain"),
    "电气": (("electric",), "domain"),
    "材料": (("material",), "domain"),
    "化工": (("chemical",), "domain"),
    "化学": (("chemical",), "domain"),
    "设备": (("equipment",), "domain"),
    "装备": (("equipment",), "domain"),
    "制造": (("manufacturing",), "domain"),
    "工业": (("industry",), "generic"),
    "实业": (("industry",), "generic"),
    "产业": (("industry",), "generic"),
    "集团": (("grp",), "generic"),
    "总公司": (("co",), "generic"),
    "分公司": (("branch",), "generic"),
    "公司": (("co",), "generic"),
    "企业": (("enterprise",), "generic"),
    "进出口": (("trade",), "generic"),
    "贸易": (("trade",), "generic"),
    "商贸": (("trade",), "generic"),
    "商行": (("trade",), "generic"),
    "国际": (("intl",), "generic"),
    "控股": (("holding",), "generic"),
    "投资": (("investment",), "generic"),
    "发展": (("dev",), "generic"),
    "锂电池": (("lithium", "battery"), "domain"),
    "锂电": (("lithium", "battery"), "domain"),
    "电池": (("battery",), "domain"),
    "储能": (("energy", "storage"), "domain"),
    "动力": (("power",), "domain"),
    "电力": (("power",), "domain"),
    "稀土": (("rare", "earth"), "domain"),
    "磁性材料": (("magnetic", "material"), "domain"),
    "磁材": (("magnetic", "material"), "domain"),
    "永磁": (("permanent", "magnet"), "domain"),
    "半导体": (("semiconductor",), "domain"),
    "机械": (("machinery",), "domain"),
    "汽车": (("auto",), "domain"),
    "物流": (("logistics",), "domain"),
    "资源": (("resources",), "domain"),
    "矿业": (("mining",), "domain"),
    "钢铁": (("steel",), "domain"),
    "金属": (("metal",), "domain"),
    "创新": (("innovation",), "domain"),
    "智能": (("smart",), "domain"),
    "工厂": (("factory",), "domain"),
    "研究院": (("institute",), "generic"),
    "研究所": (("institute",), "generic"),
    "中心": (("center",), "generic"),
    "办事处": (("office",), "generic"),
}


# --- Han ------------------------------------------------------------------------------------------


@lru_cache(maxsize=4096)
def _pinyin(text: str) -> str:
    """Toneless pinyin of Han text, syllables joined (`国轩` -> `guoxuan`), ü written u."""
    return ascii_text("".join(lazy_pinyin(text, v_to_u=True))).casefold()


def _build_han_lexicon() -> dict[str, tuple[str, tuple[str, ...], TokenKind]]:
    """Han word -> (bare Han form, Latin tokens, kind), places with their administrative suffixes."""
    lexicon: dict[str, tuple[str, tuple[str, ...], TokenKind]] = {}
    for word, (latin, kind) in _HAN_WORDS.items():
        lexicon[word] = (word, latin, kind)
    for place in _HAN_PLACES:
        latin_place = (_pinyin(place),)
        lexicon[place] = (place, latin_place, "place")
        for suffix in _HAN_PLACE_SUFFIXES:
            lexicon.setdefault(place + suffix, (place, latin_place, "place"))
    return lexicon


_HAN_LEXICON = _build_han_lexicon()
_HAN_LEXICON_MAX = max(len(w) for w in _HAN_LEXICON)
_LATIN_PLACES: frozenset[str] = frozenset(_pinyin(p) for p in _HAN_PLACES) | {"hongkong", "macau", "ningde"}

# Legal forms inside Han text: rigour only recognises them between word boundaries, which Han text
# lacks, so the longest Han legal form is also removed wherever it occurs.
_HAN_LEGAL_ANYWHERE: tuple[str, ...] = (
    "股份有限公司",
    "有限责任公司",
    "有限責任公司",
    "有限公司",
    "株式会社",
)


def _han_legal(run: str) -> tuple[str, str | None, str | None]:
    """Strip legal forms from a run of Han text: (rest, class, as written)."""
    legal_class: str | None = None
    legal_text: str | None = None
    for form in _HAN_LEGAL_ANYWHERE:
        if form in run:
            found = extract_org_types(form, generic=True)
            legal_class = legal_class or (found[0][1] if found else "llc")
            legal_text = legal_text or form
            run = run.replace(form, " ")
    run = run.replace(" ", "")
    # Legal forms at the end of the run, as rigour's table knows them (有限, 合同会社, 주식회사, ...).
    for start in range(len(run)):
        suffix = run[start:]
        found = extract_org_types(suffix, generic=True)
        if found and found[0][0] == suffix:
            return run[:start], legal_class or found[0][1], legal_text or suffix
    return run, legal_class, legal_text


def _segment_han(han: str) -> tuple[tuple[str, ...], tuple[str, ...], tuple[TokenKind, ...]]:
    """Han text -> (Han tokens, pinyin tokens, kinds): known words whole, other characters in runs.

    A run of up to four unknown characters is one token (a trade name such as 国轩 or 中科三环); longer
    runs are cut in pairs, the usual length of a Chinese word.
    """
    han_tokens: list[str] = []
    pinyin_tokens: list[str] = []
    kinds: list[TokenKind] = []
    run: list[str] = []

    def flush() -> None:
        text = "".join(run)
        run.clear()
        chunks = [text] if len(text) <= 4 else [text[i : i + 2] for i in range(0, len(text), 2)]
        for chunk in chunks:
            if chunk:
                han_tokens.append(chunk)
                pinyin_tokens.append(_pinyin(chunk))
                kinds.append("word")

    i = 0
    while i < len(han):
        for size in range(min(_HAN_LEXICON_MAX, len(han) - i), 1, -1):
            entry = _HAN_LEXICON.get(han[i : i + size])
            if entry is not None:
                flush()
                bare, latin, kind = entry
                for token in latin:
                    han_tokens.append(bare)
                    pinyin_tokens.append(token)
                    kinds.append(kind)
                i += size
                break
        else:
            run.append(han[i])
            i += 1
    flush()
    return tuple(han_tokens), tuple(pinyin_tokens), tuple(kinds)


# --- Latin ----------------------------------------------------------------------------------------


def _remove_legal_forms(text: str) -> tuple[str, str | None, str | None]:
    """Remove every legal form rigour recognises, anywhere: (rest, class of the first, as written)."""
    found = [(match, cls) for match, cls in extract_org_types(text, generic=True) if not _ROMAN.match(match)]
    legal_class: str | None = None
    legal_text: str | None = None
    cursor = 0
    out: list[str] = []
    for match, cls in found:
        at = text.find(match, cursor)
        if at < 0:
            continue
        bare = match.isalpha() and len(match) <= 3
        if bare and _has_letters(text[:at]) and _has_letters(text[at + len(match) :]):
            continue  # "SA", "AG", "IM" inside a name are words; "S.A." and "D.O.O." are legal forms
        out.append(text[cursor:at])
        out.append(" ")
        cursor = at + len(match)
        if legal_class is None:
            legal_class, legal_text = cls, match.strip()
    out.append(text[cursor:])
    rest = "".join(out)
    if not _has_letters(rest):  # a name that is only a legal form keeps it
        return text, None, None
    return rest, legal_class, legal_text


def _has_letters(text: str) -> bool:
    return any(ch.isalnum() for ch in text)


def _rigour_kinds(text: str) -> tuple[list[str], list[TokenKind], list[str | None]]:
    """Tokenise with rigour and read its tags: (tokens, kinds, canonical symbol id of one-token spans)."""
    names = analyze_names(NameTypeTag.ORG, [text], consolidate=False, phonetics=False, rewrite=False)
    if not names:
        return [], [], []
    name = next(iter(names))
    parts = list(name.parts)
    tokens = [p.form for p in parts]
    kinds: list[TokenKind] = ["number" if p.numeric else "word" for p in parts]
    symbols: list[str | None] = [None] * len(parts)
    for span in name.spans:
        category = span.symbol.category.value
        idx = [p.index for p in span.parts]
        if category == "LOC":
            for i in idx:
                kinds[i] = "place"
        elif category in ("SYMBOL", "DOMAIN"):
            for i in idx:
                if kinds[i] == "word":
                    kinds[i] = "generic" if category == "SYMBOL" else "domain"
            if len(idx) == 1:
                current = symbols[idx[0]]
                symbol = span.symbol.id.casefold()
                symbols[idx[0]] = symbol if current is None else min(current, symbol)
        elif category == "NUM" and len(idx) == 1 and _ROMAN.match(tokens[idx[0]]):
            kinds[idx[0]] = "number"
    return tokens, kinds, symbols


def _latin_tokens(text: str) -> tuple[tuple[str, ...], tuple[TokenKind, ...], str | None, str | None]:
    """Casefolded text in any non-Han script -> (tokens, kinds, legal class, legal form as written)."""
    legal_class: str | None = None
    legal_text: str | None = None
    for pattern, cls in _SPELLED_LEGAL:
        spelled = pattern.search(text)
        if spelled and _has_letters(text[: spelled.start()] + text[spelled.end() :]):
            legal_class = legal_class or cls
            legal_text = legal_text or spelled.group(0)
            text = text[: spelled.start()] + " " + text[spelled.end() :]
    text, found_class, found_text = _remove_legal_forms(text)
    legal_class, legal_text = legal_class or found_class, legal_text or found_text
    for pattern, replacement in _PHRASES:
        text = pattern.sub(replacement, text)
    raw_tokens, raw_kinds, symbols = _rigour_kinds(text)

    # join runs of single letters ("a b c" from "A.B.C."), then drop stopwords and legal leftovers
    joined: list[tuple[str, TokenKind, str | None]] = []
    letters_run = False  # whether joined[-1] is made of single letters
    for token, kind, symbol in zip(raw_tokens, raw_kinds, symbols, strict=True):
        token = ascii_text(token).casefold().replace(" ", "")
        if not token:
            continue
        letter = len(token) == 1 and token.isalpha()
        if letter and letters_run:
            joined[-1] = (joined[-1][0] + token, "word", None)
            continue
        joined.append((token, kind, None if letter else symbol))
        letters_run = letter
    kept: list[tuple[str, TokenKind, str | None]] = []
    for n, (token, kind, symbol) in enumerate(joined):
        edge = n in (0, len(joined) - 1)
        legal = _EXTRA_LEGAL.get(token) or (_EDGE_LEGAL.get(token) if edge and len(joined) > 1 else None)
        if legal is not None:
            legal_class = legal_class or legal
            legal_text = legal_text or token
            continue
        if token in _STOPWORDS and len(joined) > 1:
            continue
        kept.append((token, kind, symbol))

    tokens: list[str] = []
    kinds: list[TokenKind] = []
    for token, kind, symbol in kept:
        if len(token) == 1 and len(kept) > 1:
            kind = "generic"  # a lone letter ("Bank-e", "A-One") says little
        canonical = ABBREVIATIONS.get(token)
        if canonical is None and symbol is not None and kind in ("generic", "domain"):
            canonical = ABBREVIATIONS.get(symbol, (symbol,))
        for part in canonical or (token,):
            tokens.append(sys.intern(part))  # a million names share a few hundred thousand words
            kinds.append(_kind_of(part, kind))
    return tuple(tokens), tuple(kinds), legal_class, legal_text


# Kinds of canonical tokens, whichever spelling or language they came from.
_CANONICAL_GENERIC: frozenset[str] = frozenset(
    _words(
        "co corp grp intl trade industry holding investment dev enterprise center natl mgmt service "
        "bros product system branch new asia pacific global world general office"
    )
)
_CANONICAL_DOMAIN: frozenset[str] = frozenset(
    _words(
        "manufacturing tech hitech electronic electric material equipment chemical scientific eng machinery "
        "pharma power energy battery semiconductor logistics storage"
    )
)


def _kind_of(token: str, tagged: TokenKind) -> TokenKind:
    """Canonical tokens have one kind wherever they come from; other tokens keep rigour's tag."""
    if not token.isalpha() and any(ch.isdigit() for ch in token):
        return "number"
    if token in _LATIN_PLACES:
        return "place"
    if token in _CANONICAL_GENERIC:
        return "generic"
    if token in _CANONICAL_DOMAIN:
        return "domain"
    return tagged


# --- names ----------------------------------------------------------------------------------------


def _split_names(text: str) -> tuple[str, list[str]]:
    """Main name and extra names: bracketed parts and parts after "formerly", "a.k.a.", "d/b/a"."""
    extras: list[str] = []
    main = text
    while True:
        match = _BRACKETS.search(main)
        if match is None:
            break
        inner = match.group(1).strip()
        rest = (main[: match.start()] + " " + main[match.end() :]).strip()
        without_phrase = _SPLIT_AT_START.sub("", inner.casefold()) if inner else ""
        named = bool(inner) and without_phrase != inner.casefold()
        if not inner:
            main = rest
        elif named or (_is_distinctive(inner) and _has_letters(rest)):
            extras.append(without_phrase if named else inner)
            main = rest if _has_letters(rest) else inner
        else:
            main = main[: match.start()] + " " + inner + " " + main[match.end() :]
    pieces = _SPLIT_INLINE.split(main.casefold())
    if len(pieces) > 1 and all(_has_letters(p) for p in pieces):
        extras.extend(p.strip() for p in pieces[1:])
        main = pieces[0]
    return main.strip(), [e for e in extras if _has_letters(e)]


def _is_distinctive(text: str) -> bool:
    """Whether a bracketed part names something, rather than only a place, a legal form or a generic word."""
    core = _normalize_core(text)
    return "word" in core.kinds or "number" in core.kinds or "word" in core.pinyin_kinds


def _normalize_core(text: str) -> NormalizedName:
    """Normalise one name without looking for extra names."""
    folded = text.casefold()
    han_runs = _HAN.findall(folded)
    latin_text = _HAN.sub(" ", folded) if han_runs else folded
    tokens: tuple[str, ...] = ()
    kinds: tuple[TokenKind, ...] = ()
    legal_class: str | None = None
    legal_text: str | None = None
    if _has_letters(latin_text):
        tokens, kinds, legal_class, legal_text = _latin_tokens(latin_text)
    han: str | None = None
    han_tokens: tuple[str, ...] = ()
    pinyin: tuple[str, ...] = ()
    pinyin_kinds: tuple[TokenKind, ...] = ()
    if han_runs:
        stripped: list[str] = []
        for run in han_runs:
            rest, cls, written = _han_legal(run)
            stripped.append(rest)
            legal_class = legal_class or cls
            legal_text = legal_text or written
        han = "".join(stripped) or (None if tokens else "".join(han_runs))
        if han:
            han_tokens, pinyin, pinyin_kinds = _segment_han(han)
    return NormalizedName(
        original=text,
        tokens=tokens,
        kinds=kinds,
        legal_form=legal_class,
        legal_form_text=legal_text,
        han=han,
        han_tokens=han_tokens,
        tokens_pinyin=pinyin,
        pinyin_kinds=pinyin_kinds,
    )


@lru_cache(maxsize=16384)
def normalize_name(name: str) -> NormalizedName:
    """Normalise a company name as written (any script) into its comparable views; never raises."""
    return normalize_uncached(name)


def normalize_uncached(name: str) -> NormalizedName:
    """`normalize_name` without the cache, for bulk work (building an index) that would only churn it."""
    text = unicodedata.normalize("NFKC", name).strip()
    main, extras = _split_names(text)
    core = _normalize_core(main)
    return NormalizedName(
        original=name,
        tokens=core.tokens,
        kinds=core.kinds,
        legal_form=core.legal_form,
        legal_form_text=sys.intern(core.legal_form_text) if core.legal_form_text else None,
        han=core.han,
        han_tokens=core.han_tokens,
        tokens_pinyin=core.tokens_pinyin,
        pinyin_kinds=core.pinyin_kinds,
        extra_names=tuple(extras),
    )


# Canonical words that only say "a company", like a legal form: left out of clustering keys, and weigh
# nothing in matching ("Acme Co., Ltd." is "Acme Company Limited").
COMPANY_WORDS: frozenset[str] = frozenset({"co", "corp"})


def name_key(name: str, country: str | None) -> str:
    """Stable key for "same company": sorted distinct tokens (Han text as is) and the ISO country.

    Two spellings get the same key when they differ only in case, punctuation, word order, legal form,
    "Co."/"Corp." and abbreviations: `name_key("ACME Intl Co., Ltd.", "China")` ==
    `name_key("Acme International Limited", "CN")` == `"acme intl|CN"`.
    """
    normalized = normalize_name(name)
    tokens = sorted({t for t in normalized.tokens if t not in COMPANY_WORDS})
    if not tokens and normalized.tokens:
        tokens = sorted(set(normalized.tokens))
    parts = [" ".join(tokens)] if tokens else []
    if normalized.han:
        parts.append(normalized.han)
    body = " ".join(parts) if parts else unicodedata.normalize("NFKC", name).strip().casefold()
    return f"{body}|{_country_code(country)}"


def _country_code(country: str | None) -> str:
    if not country or not country.strip():
        return ""
    try:
        return normalize_country(country)
    except ValueError:
        return country.strip().upper()
