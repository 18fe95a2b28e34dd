"""Company-name normalisation: the comparable form of a name as an importer or a bill of lading writes it.

`normalize_name` turns one written name into a `NormalizedName` with three views that the matcher
compares (screening/matching):

- `tokens`: Latin tokens. Other scripts are transliterated (Cyrillic, Greek, Hangul, Arabic, Kana, ...),
  text is casefolded, punctuation and `&` dropped, legal forms removed (recognised anywhere in the name,
  in many languages, from rigour's org-type table; kept apart as a class in `legal_form`), and trade
  abbreviations mapped to one canonical token each (`intl`/`international` -> `intl`, `imp & exp` ->
  `trade`, `mfg` -> `manufacturing`), pinyin trade words too (`keji` -> `tech`, `shimo` -> `graphite`).
- `han`: the Han characters (Chinese names), legal forms (有限公司, 股份有限公司, ...) removed, compared
  Han to Han; `han_tokens` segments them into known words (places, generic words) and runs of other
  characters.
- `tokens_pinyin`: the same segments in Latin: toneless pinyin for the distinctive part (syllables of
  one run joined: 国轩 -> `guoxuan`) and canonical tokens for known words (科技 -> `tech`, 深圳 ->
  `shenzhen`), so that a Latin spelling can be compared with a Chinese name.

Every token carries a kind (`word`, `number`, `place`, `generic`, `domain`, `qualifier`): places and
generic organisation words ("group", "trading", "technology") say little about which company is meant,
and the matcher weighs them accordingly. Bills of lading add to a name what is not part of it, and the
normaliser reads that as such:

- words after the legal form that ends the name ("... CO., LTD. JINGMEN"; not after one that leads it,
  "OOO ..."), after "Corp." when a place follows, a last comma-separated part that only names places
  ("..., SHENZHEN GUANGDONG"), bracketed places ("(HEFEI)") and an industrial city ending the name
  qualify it: they are `qualifier` tokens. A gazetteer (countries and their subdivisions from
  pycountry, Chinese and other industrial cities) tells what names places;
- a typing slip (a letter doubled, dropped, or swapped with its neighbour) in a legal-form word or a
  trade word is read as the word ("LIIMITED" -> limited, "COMPNAY" -> company, "TCEHNOLOGY" ->
  technology); short legal forms ("TD.", "CCO.") only next to another legal form, before a full stop
  or at the very end.

What was read so is listed in `readings`, for explanations. Other bracketed parts become extra names
("Foo Ltd (formerly Bar Co)" -> also "Bar Co"); plain brackets are listed in `bracketed` too, since they
often qualify the name rather than name the company ("FinDreams Battery (BYD)").

`name_key(name, country)` is a stable clustering key: two spellings that normalise to the same
significant tokens in the same country get the same key.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import pycountry
from pypinyin import lazy_pinyin
from rigour._core import name_split_phrases_list, stopwords_list
from rigour.names import NameTypeTag, analyze_names, extract_org_types
from rigour.text.translit import ascii_text

from screening.codes import normalize_country

TokenKind = Literal["word", "number", "place", "generic", "domain", "qualifier"]

NORMALIZER_VERSION = "names-3"


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
    bracketed: tuple[str, ...] = ()  # those of the extra names that were plain brackets
    readings: tuple[str, ...] = ()  # how unusual spellings were read ("'liimited' read as 'limited'")

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
# language lands on the same token.
_ABBREVIATION_TABLE: dict[str, str] = {
    "intl": "intl international internatl internation",
    "manufacturing": "mfg mfr mfrs mfy manuf manufacturer manufacturers manufacture manufacturing "
    "manufactory",
    "tech": "tech techn techno technology technologies technological teknoloji",
    "hitech": "hitech hightech hitek",
    "grp": "grp group groups",
    "corp": "corp corpn corporation corporations",
    "co": "co cos compan company companies",
    "industry": "ind inds indus industrial industries industry industrie",
    "electronic": "elec electr electronic electronics",
    "electric": "electric electrical electrics",
    "material": "mat matl matls mtl mtls material materials",
    "equipment": "eqpt eqp equip equipment equipments",
    "chemical": "chem chems chemical chemicals",
    "scientific": "sci science sciences scientific",
    "eng": "eng engg engr engineering",
    "service": "svc svcs serv service services",
    "mgmt": "mgmt mgt management",
    "dev": "dev devt development developments",
    "bros": "bro bros brothers",
    "natl": "natl national",
    "trade": "trdg trading trade trader traders impex impexp imex treiding treyding trejding",
    "holding": "hldg hldgs holding holdings",
    "investment": "inv invest investment investments",
    "machinery": "mach machinery machineries",
    "pharma": "pharm pharma pharmaceutical pharmaceuticals",
    "product": "prod prods product products",
    "system": "sys system systems",
    "enterprise": "entp enterprise enterprises",
    "center": "ctr cntr center centre centers centres",
    "power": "pwr power",
    "energy": "engy enrgy energy energies",
    "battery": "battery batteries",
    "semiconductor": "semi semicon semiconductor semiconductors",
    "logistics": "logistic logistics",
    "innovation": "innovation innovations",
    "smart": "smart intelligent",
    "resources": "resource resources",
    "mining": "mining",
    "steel": "steel",
    "metal": "metal metals",
    "auto": "auto automotive automobile automobiles",
    "precision": "prec precn precision",
    "graphite": "graphite graphites",
    "alloy": "alloy alloys",
    "magnetic": "magnetic magnetics",
    "magnet": "magnet magnets",
    "motor": "motor motors",
    "cathode": "cathode cathodes",
    "anode": "anode anodes",
    "fluorochemical": "fluorochemical fluorochemicals",
    "microelectronic": "microelectronic microelectronics",
    "optoelectronic": "optoelectronic optoelectronics",
    "aluminium": "aluminium aluminum",
    "garment": "garment garments",
    "toy": "toy toys",
    "fastener": "fastener fasteners",
    "membrane": "membrane membranes",
    "nonferrous": "nonferrous",
    "part": "part parts",
    "coop": "coop cooperative cooperatives cooperativa cooperativo",
}

# Pinyin trade words -> canonical tokens, read both ways like the abbreviations above: a bill that writes
# "Jixi Xingda Shimo" and a registry that writes "Jixi Xingda Graphite" (or 鸡西兴达石墨) agree.
_PINYIN_TABLE: dict[str, str] = {
    "co": "gongsi",
    "tech": "keji jishu",
    "hitech": "gaoke gaokeji gaoxin gaojishu",
    "grp": "jituan",
    "industry": "gongye shiye chanye",
    "electronic": "dianzi",
    "electric": "dianqi",
    "material": "cailiao",
    "new material": "xincailiao",
    "equipment": "shebei zhuangbei",
    "chemical": "huagong",
    "dev": "fazhan",
    "trade": "maoyi shangmao jinchukou",
    "holding": "konggu",
    "investment": "touzi",
    "machinery": "jixie",
    "manufacturing": "zhizao",
    "enterprise": "qiye",
    "power": "dongli dianli",
    "energy": "nengyuan",
    "new energy": "xinnengyuan",
    "battery": "dianchi",
    "lithium battery": "lidianchi",
    "logistics": "wuliu",
    "rare earth": "xitu",
    "energy storage": "chuneng",
    "innovation": "chuangxin",
    "smart": "zhineng",
    "permanent magnet": "yongci",
    "magnetic material": "cicai",
    "magnetic": "cixing",
    "magnet": "ciye",
    "motor": "dianji",
    "resources": "ziyuan",
    "mining": "kuangye",
    "steel": "gangtie",
    "metal": "jinshu",
    "nonferrous": "youse",
    "auto": "qiche",
    "graphite": "shimo",
    "alloy": "hejin",
    "cathode": "zhengji",
    "fluorochemical": "fuhuagong",
    "microelectronic": "weidianzi",
    "optoelectronic": "guangdian",
    "copper foil": "tongbo",
    "aluminium foil": "lvbo",
    "phosphate": "linsuan",
    "iron lithium": "tieli",
    "lithium industry": "liye",
    "membrane": "gemo",
    "precision": "jingmi",
    "furniture": "jiaju",
    "garment": "fuzhuang",
    "toy": "wanju",
    "lighting": "zhaoming",
    "fastener": "jingujian",
    "standard part": "biaozhunjian",
    "kiln": "yaolu",
    "times": "shidai",
    "cobalt industry": "guye",
    "nickel industry": "nieye",
    "copper industry": "tongye",
    "aluminium industry": "lvye",
}
# Organisation and trade words of other languages, as they are written in Latin letters (Russian and
# Ukrainian transliterated, Turkish, Persian and Arabic transliterated, Spanish, Portuguese, Italian,
# French, German), read as the canonical tokens above: "Torgovy Dom Agrotorg" and "Trading House
# Agrotorg", "Aforra Menedzhment" and "Aforra Management" agree word for word.
_TRANSLATED_TABLE: dict[str, str] = {
    "trade": "torgovy torgovyi torgovyy torgoviy torgovaya torgovoe torgovyj ticaret tejarat tejarat "
    "tijarat tijara bazargani bazargan comercial comercializadora commerciale handels handel",
    "mgmt": "menedzhment upravlenie upravleniya upravlyayushchaya yonetim gestion gestione verwaltung",
    "center": "tsentr tsentra centr merkezi markaz markazi centro zentrum",
    "grp": "gruppa gruppy grupo gruppo groupe grup gruppe",
    "dev": "razvitie razvitiya gelistirme desarrollo sviluppo",
    "investment": "investitsii investitsionnaya investitsionnyi investitsionny yatirim sarmayeh "
    "sarmaye inversiones inversion investimenti investimentos",
    "industry": "promyshlennost promyshlennaya promyshlennyi sanayi sanaye sanati sanaat sanaati "
    "industria industrias industriale industrie industriel",
    "eng": "inzhiniring muhendislik mohandesi ingenieria ingegneria",
    "service": "servis servisy hizmetleri hizmet servicios servizi servicos",
    "holding": "kholding",
    "intl": "mezhdunarodny mezhdunarodnyi mezhdunarodnaya beynelmilel uluslararasi internacional "
    "internazionale",
    "tech": "tekhnologii tekhnologiya tekhnologiy tecnologia tecnologias tecnologie technologie",
    "natl": "natsionalny natsionalnyi natsionalnaya nacional nazionale",
    "energy": "energiya energii enerji energia energie",
    "logistics": "logistika lojistik logistica logistique",
    "scientific": "nauchno nauchnyi nauchnaya nauchny ilmi elmi cientifica scientifique",
    "production": "proizvodstvennoe proizvodstvennaya proizvodstvennyi proizvodstvo",
    "co": "kompaniya kompaniia sherkat sherkate compania companhia compagnia",
    "automation": "avtomatizatsiya avtomatika otomasyon automatizacion",
    "exchange": "sarafi sarrafi",
}
ABBREVIATIONS: dict[str, tuple[str, ...]] = {
    variant: tuple(canonical.split())
    for table in (_ABBREVIATION_TABLE, _TRANSLATED_TABLE, _PINYIN_TABLE)
    for canonical, variants in table.items()
    for variant in variants.split()
}
PINYIN_WORDS: frozenset[str] = frozenset(v for variants in _PINYIN_TABLE.values() for v in variants.split())

# Phrases rewritten before tokenising, on casefolded ASCII text.
# Each phrase with the substrings without which it cannot match: it is only tried on text holding one
# of them (most names hold none, and a substring test costs a fraction of a regular-expression pass).
_PHRASES: tuple[tuple[re.Pattern[str], str, tuple[str, ...]], ...] = (
    (re.compile(r"\bint'?l\b"), " intl ", ("int",)),
    (
        re.compile(r"\bimp(?:orts?|orters?)?\.?\s*(?:&|and|/|-|\+)?\s*exp(?:orts?|orters?)?\.?(?=\W|$)"),
        " trade ",
        ("imp",),
    ),
    (re.compile(r"\bi\s*/\s*e\b"), " trade ", ("/",)),  # "Machinery I/E Corp."
    (
        re.compile(r"\bithalat\s*(?:ve\s*)?ihracat\b|\bimportadora\s+y\s+exportadora\b"),
        " trade ",
        ("ithalat", "importadora"),
    ),
    (
        re.compile(r"\bhi(?:gh|hg)?[\s\-]?(?:tech|tceh|tehc)(?:nolog(?:y|ies))?\b"),
        " hitech ",
        ("tech", "tceh", "tehc"),
    ),
    (re.compile(r"\bhigh[\s\-]technolog(?:y|ies)\b"), " hitech ", ("technolog",)),
    # 负极材料: "fuji" alone may be a name
    (re.compile(r"\bfuji\s*cailiao\b"), " anode material ", ("fuji",)),
    # single letters around & / and: "C&I", "C AND I" -> "ci"
    (
        re.compile(r"(?<![\w&])([a-z0-9])\s*(?:&|\+|\band\b)\s*([a-z0-9])(?![\w&])"),
        r" \1\2 ",
        ("&", "+", "and"),
    ),
    (re.compile(r"['`´’‘]"), "", ("'", "`", "´", "’", "‘")),
    (re.compile(r"&"), " and ", ("&",)),
)

# Legal forms in spellings rigour's table does not hold, by class: Chinese in pinyin (rigour knows the Han
# ones), Russian transliterated loosely, Spanish "S. de R.L.".
_SPELLED_LEGAL: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\bgufen\s*youxian\s*(?:zeren\s*)?gongsi\b"), "jsc"),
    (re.compile(r"\byouxian\s*(?:zeren\s*)?gongsi\b"), "llc"),
    (re.compile(r"\bob\w{0,4}estv\w{0,2}\s+s\s+ogranichenn\w*\s+otvet\w*"), "llc"),
    (re.compile(r"\btovaryst\w*\s+z\s+obmezhen\w*\s+vidpovidaln\w*"), "llc"),
    (re.compile(r"\b(?:anonim|anonym)\s+s[i]?rket\w*"), "jsc"),
    (re.compile(r"\blimited\s+s[i]?rket\w*"), "llc"),
    (re.compile(r"\bsherkat(?:e|-e)?\s+(?:sahami|sahamie)\s+(?:khas|am)\b"), "jsc"),
    (re.compile(r"\b(?:sociedad|societe|societa)\s+an[oó]nim[ao]\b"), "jsc"),
    (re.compile(r"\b(?:(?:zakryt|otkryt|publichn|nepublichn)\w*\s+)?aktsioner\w*\s+ob\w{0,4}estv\w*"), "jsc"),
    (re.compile(r"\bs\.?\s*de\s*r\.?\s*l\.?(?:\s*de\s*c\.?\s*v\.?)?(?=\W|$)"), "llc"),
    (re.compile(r"\bs\.?\s*a\.?\s*de\s*c\.?\s*v\b\.?"), "jsc"),
    (re.compile(r"\bsp(?:\.|olka)?\s*z\.?\s*o\.?\s*o\b\.?"), "llc"),
    (re.compile(r"\bsdn\.?\s*bhd\b\.?"), "llc"),
    (re.compile(r"\bs\.p\.a\b\.?"), "jsc"),
)
# Any of the spellings above, in one pass: most names hold none, and then none is tried one by one.
_ANY_SPELLED_LEGAL = re.compile("|".join(f"(?:{pattern.pattern})" for pattern, _ in _SPELLED_LEGAL))

# Short legal forms that are legal forms even inside a name ("CO. LTD JINGMEN"); others ("SA", "AG",
# "AS") are words there, unless a comma sets them off ("LITIO PUNA, SA SALTA").
_UNAMBIGUOUS_BARE: frozenset[str] = frozenset(
    _words("ltd inc llc plc pty pte bhd sdn kft jsc ltda sarl gmbh")
)

# Where a legal form that ends names ("Ltd.", "GmbH", "Youxian Gongsi") was taken out of the text: what
# follows it qualifies the name. Forms that lead names ("OOO", "Joint Stock Company") leave no mark.
_TAIL = "\x1f"
_ENDING_FORMS: frozenset[str] = frozenset(
    _words(
        "ltd limited inc incorporated llc plc gmbh bhd sa spa sas sarl srl kft jsc ag nv bv ab oy as sro doo "
        "ltda lda cv rl gongsi pty pte pvt lp llp kg se oo"
    )
)


# Typing slips of legal-form words, read as the word. Short forms only next to another legal-form word,
# before a full stop or at the very end ("CO., TD.", "CCO., LIMITED", "NINGDE TIMES, TLD"), since inside
# a name they may be words or initials.
_LEGAL_WORDS: tuple[str, ...] = (
    "limited", "company", "corporation", "incorporated", "incorporation", "youxian", "gongsi", "gufen",
    "zeren",
)  # fmt: skip
_SHORT_LEGAL_SLIPS: dict[str, str] = {
    slip: word
    for word, written in (
        ("ltd", "td tld ldt lltd lttd ltdd"),
        ("inc", "iinc innc incc icn"),
        ("co", "cco oc"),
        ("llc", "lllc llcc"),
        ("corp", "ccorp coorp corrp corpp copr"),
        ("bhd", "bd bbhd bhhd bhdd"),
    )
    for slip in written.split()
}
# "Corporation" is kept as a word ("corp"), but followed by a place it ends a name like a legal form.
_CORPORATION: frozenset[str] = frozenset({"corp", "corporation", "corpn"})
_LEGALISH: frozenset[str] = frozenset(
    _words("co company ltd limited inc incorporated corp corporation llc pty plc gmbh youxian gongsi sdn bhd")
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
        "石家庄 唐山 保定 廊坊 太原 兰州 乌鲁木齐 贵阳 海口 银川 西宁 拉萨 "
        "荆门 荆州 十堰 黄石 孝感 鸡西 大庆 郴州 湘潭 岳阳 衡阳 衢州 丽水 舟山 金昌 新余 萍乡 "
        "鹰潭 淮南 淮北 宿迁 济宁 德州 邯郸 邢台 沧州 大同 鞍山 抚顺 本溪 丹东 锦州 营口 盘锦 "
        "赤峰 鄂尔多斯 德阳 攀枝花 泸州 自贡 遵义 曲靖 玉溪 桂林 北海 钦州 梧州 湛江 茂名 清远 "
        "韶关 河源 梅州 阳江 三亚 咸阳 宝鸡 榆林 汉中 酒泉 白银 新乡 焦作 许昌 平顶山 南阳 "
        "周口 信阳 益阳 邵阳 怀化 永州 黄冈 随州 牡丹江 佳木斯 石河子 嘉峪关 天水 宣城 池州"
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
    "石墨": (("graphite",), "domain"),
    "合金": (("alloy",), "domain"),
    "新材料": (("new", "material"), "domain"),
    "磁性": (("magnetic",), "domain"),
    "磁业": (("magnet",), "domain"),
    "电机": (("motor",), "domain"),
    "正极": (("cathode",), "domain"),
    "负极": (("anode",), "domain"),
    "铜箔": (("copper", "foil"), "domain"),
    "铝箔": (("aluminium", "foil"), "domain"),
    "氟化工": (("fluorochemical",), "domain"),
    "微电子": (("microelectronic",), "domain"),
    "光电": (("optoelectronic",), "domain"),
    "磷酸": (("phosphate",), "domain"),
    "铁锂": (("iron", "lithium"), "domain"),
    "锂业": (("lithium", "industry"), "domain"),
    "隔膜": (("membrane",), "domain"),
    "精密": (("precision",), "domain"),
    "有色": (("nonferrous",), "domain"),
    "家具": (("furniture",), "domain"),
    "服装": (("garment",), "domain"),
    "玩具": (("toy",), "domain"),
    "照明": (("lighting",), "domain"),
    "紧固件": (("fastener",), "domain"),
    "标准件": (("standard", "part"), "domain"),
    "窑炉": (("kiln",), "domain"),
    "时代": (("times",), "word"),
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
# Chinese places in Latin: places anywhere in a name (a province or city before a Chinese company's name
# is as often left out as written).
LATIN_PLACES: frozenset[str] = frozenset(_pinyin(p) for p in _HAN_PLACES) | {"hongkong", "macau", "ningde"}

# Industrial and port cities that bills of lading append to names ("... CO., LTD. WUXI"), beside the
# Chinese ones above, countries and their subdivisions (pycountry). Only read as places where a name is
# qualified (after its legal form, after its last comma, in brackets, at its very end): inside a name
# "Reno" or "Phoenix" may be a word.
_WORLD_CITIES = """
hong kong|kowloon|macao|taipei|new taipei|taichung|tainan|kaohsiung|hsinchu|taoyuan|keelung|seoul|busan|
incheon|ulsan|pohang|gumi|changwon|cheongju|ochang|iksan|gwangju|daegu|daejeon|suwon|pyeongtaek|gimhae|
tokyo|osaka|nagoya|yokohama|kobe|kyoto|sendai|hamamatsu|kitakyushu|niihama|moriyama|fukuoka|sapporo|
hiroshima|kawasaki|chiba|sakai|hanoi|ha noi|haiphong|hai phong|ho chi minh|ho chi minh city|saigon|
da nang|bac ninh|thu dau mot|dong nai|bien hoa|binh duong|long an|bangkok|chonburi|rayong|ayutthaya|
laem chabang|kuala lumpur|penang|george town|johor bahru|klang|port klang|melaka|shah alam|singapore|
jakarta|surabaya|bekasi|batam|morowali|manila|cebu|dhaka|gazipur|chittagong|chattogram|narayanganj|
mumbai|delhi|new delhi|chennai|bengaluru|bangalore|pune|ahmedabad|hyderabad|kolkata|karachi|lahore|
colombo|yangon|myitkyina|mandalay|dubai|abu dhabi|sharjah|jebel ali|doha|riyadh|jeddah|istanbul|izmir|
new york|los angeles|long beach|chicago|houston|phoenix|philadelphia|san antonio|san diego|dallas|
austin|san jose|fremont|columbus|charlotte|seattle|denver|atlanta|toledo|nashville|newark|savannah|
reno|detroit|miami|boston|portland|memphis|louisville|baltimore|milwaukee|las vegas|oakland|tampa|
pittsburgh|cleveland|cincinnati|indianapolis|kansas city|st louis|salt lake city|barstow|
toronto|montreal|vancouver|monterrey|saltillo|queretaro|tijuana|juarez|ciudad juarez|guadalajara|
puebla|mexico city|sao paulo|rio de janeiro|santos|varginha|buenos aires|salta|jujuy|santiago|
antofagasta|lima|bogota|medellin|neiva|cartagena|perth|kwinana|kalgoorlie|port hedland|sydney|melbourne|
brisbane|adelaide|fremantle|auckland|hamburg|bremen|bremerhaven|munich|muenchen|stuttgart|frankfurt|
cologne|koeln|duesseldorf|duisburg|dortmund|essen|hanover|hannover|nuremberg|nuernberg|leipzig|dresden|
berlin|erfurt|freiburg|hanau|cottbus|schwarzheide|linz|vienna|wien|graz|steyr|wels|zurich|basel|geneva|
warsaw|warszawa|wroclaw|gdansk|gdynia|poznan|katowice|lodz|krakow|budapest|debrecen|gyor|miskolc|
szeged|prague|praha|brno|bratislava|paris|lyon|marseille|metz|le havre|lille|toulouse|milan|milano|
turin|torino|genoa|genova|la spezia|bologna|reggio emilia|naples|rome|roma|madrid|barcelona|valencia|
lisbon|porto|rotterdam|amsterdam|antwerp|antwerpen|brussels|london|manchester|birmingham|felixstowe|
southampton|dublin|stockholm|gothenburg|oslo|copenhagen|helsinki|tallinn|riga|vilnius|kaunas|
moscow|saint petersburg|kyiv|minsk|almaty|tashkent|tehran|cairo|alexandria|casablanca|tangier|lagos|
nairobi|mombasa|dar es salaam|johannesburg|durban|cape town|lubumbashi|kolwezi|likasi|pemba|nacala|
maputo|beira
"""
_WORLD_CITY_NAMES: tuple[str, ...] = tuple(
    c.strip() for c in _WORLD_CITIES.replace("\n", "").split("|") if c.strip()
)

# Subdivision names carry their type in some languages ("Anhui Sheng", "Gyeonggi-do"); bills write the
# bare name.
_SUBDIVISION_SUFFIX = re.compile(
    r"(?:\s+(?:sheng|shi|zizhiqu|zhuangzu|huizu|uygur|sar)|-(?:do|si|gwangyeoksi|teukbyeolsi|"
    r"teukbyeoljachido|teukbyeoljachisi))+$"
)
# Geographic words that are place names somewhere but ordinary words in company names.
_NOT_PLACES: frozenset[str] = frozenset(
    _words(
        "central north south east west northern southern eastern western capital coast coastal city upper "
        "lower greater delta lakes island islands valley river sea bay border plateau highland highlands "
        "interior metropolitan federal national special grand unity liberty union independence new saint "
        "golden sun star orange crown royal pacific atlantic mountain mountains plains prairie sierra "
        "victoria georgia jordan"
    )
)


def _place_tokens(name: str) -> tuple[str, ...]:
    """A place name as comparable tokens: ASCII, casefolded, stopwords left out."""
    words = re.findall(r"[a-z0-9]+", ascii_text(name).casefold())
    return tuple(w for w in words if w not in _STOPWORDS)


# Country names bills write that pycountry spells otherwise ("Korea, Republic of").
_COUNTRY_NAMES: tuple[str, ...] = (
    "korea", "south korea", "vietnam", "viet nam", "taiwan", "hong kong", "macau", "usa", "united states",
    "america", "uk", "england", "russia", "iran", "pr china", "prc",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class _Gazetteer:
    places: frozenset[tuple[str, ...]]
    countries: frozenset[tuple[str, ...]]
    longest: int


@lru_cache(maxsize=1)
def _gazetteer() -> _Gazetteer:
    """Place names as token tuples: countries, their subdivisions, Chinese and other industrial cities."""
    countries: set[tuple[str, ...]] = set()
    for country in pycountry.countries:
        for attribute in ("name", "common_name", "official_name"):
            value = getattr(country, attribute, None)
            if isinstance(value, str):
                countries.add(_place_tokens(value.split(",")[0]))
    countries.update(_place_tokens(name) for name in _COUNTRY_NAMES)
    places: set[tuple[str, ...]] = set(countries)
    for subdivision in pycountry.subdivisions:
        for part in re.split(r"[,\[\]()/]", subdivision.name):
            bare = _SUBDIVISION_SUFFIX.sub("", ascii_text(part).casefold().strip())
            places.add(_place_tokens(bare))
    places.update(_place_tokens(city) for city in _WORLD_CITY_NAMES)
    places.update((place,) for place in LATIN_PLACES)
    places = {p for p in places if p and not (len(p) == 1 and (p[0] in _NOT_PLACES or len(p[0]) < 3))}
    countries = {c for c in countries if c}
    return _Gazetteer(frozenset(places), frozenset(countries), max(len(p) for p in places))


def place_spans(tokens: Sequence[str]) -> list[tuple[int, int]]:
    """Spans (start, stop) of `tokens` that name places, longest first from the left."""
    gazetteer = _gazetteer()
    spans: list[tuple[int, int]] = []
    i = 0
    while i < len(tokens):
        for size in range(min(gazetteer.longest, len(tokens) - i), 0, -1):
            if tuple(tokens[i : i + size]) in gazetteer.places:
                spans.append((i, i + size))
                i += size
                break
        else:
            i += 1
    return spans


def is_place(tokens: Sequence[str]) -> bool:
    """Whether tokens, all together, name places the gazetteer knows ("hefei anhui", "bac ninh")."""
    return sum(stop - start for start, stop in place_spans(tokens)) == len(tokens) > 0


def is_country(tokens: Sequence[str]) -> bool:
    """Whether tokens, all together, name a country ("viet nam", "korea")."""
    return tuple(tokens) in _gazetteer().countries


def _only_places(text: str) -> bool:
    """Whether a short text only names places, or ends with a country ("NIEVA COLOMBIA")."""
    tokens = _place_tokens(text.replace(_TAIL, " "))
    if not tokens or len(tokens) > 6:
        return False
    spans = place_spans(tokens)
    if sum(stop - start for start, stop in spans) == len(tokens):
        return True
    gazetteer = _gazetteer()
    return any(tuple(tokens[-size:]) in gazetteer.countries for size in range(1, min(4, len(tokens)) + 1))


# --- typing slips ---------------------------------------------------------------------------------


def slips(word: str, *, swaps_from: int = 6) -> set[str]:
    """Typing slips of a word: a letter doubled (words of 4+ letters), two neighbours swapped (6+, or
    `swaps_from`), a letter dropped (7+). Shorter words have too many real words among their slips."""
    out: set[str] = set()
    n = len(word)
    if n >= 4:
        out.update(word[: i + 1] + word[i:] for i in range(n))
    if n >= swaps_from:
        out.update(word[:i] + word[i + 1] + word[i] + word[i + 2 :] for i in range(n - 1))
    if n >= 7:
        out.update(word[:i] + word[i + 1 :] for i in range(n))
    out.discard(word)
    return out


def _build_slips() -> dict[str, str]:
    """Slip -> the legal-form or trade word it misspells; slips that are words of these tables, places,
    stopwords, or slips of two different words are left alone."""
    targets = set(_LEGAL_WORDS) | {v for v in ABBREVIATIONS if v.isalpha()}
    known = targets | LATIN_PLACES | _STOPWORDS | set(_SHORT_LEGAL_SLIPS) | _LEGALISH
    found: dict[str, str] = {}
    ambiguous: set[str] = set()
    for target in sorted(targets):
        # pinyin trade words of five letters ("tieli", "shimo") have few real words among their swaps
        for slip in slips(target, swaps_from=5 if target in PINYIN_WORDS else 6):
            if slip in known:
                continue
            if slip in found and ABBREVIATIONS.get(found[slip]) != ABBREVIATIONS.get(target):
                ambiguous.add(slip)
            found.setdefault(slip, target)
    return {slip: target for slip, target in found.items() if slip not in ambiguous}


_SLIPS: dict[str, str] = _build_slips()
_LETTERS = re.compile(r"[^\W\d_]+")


def _read_slips(text: str) -> tuple[str, list[str]]:
    """Rewrite typing slips of legal-form and trade words in casefolded text; say what was read."""
    words = list(_LETTERS.finditer(text))
    readings: list[str] = []
    out: list[str] = []
    cursor = 0
    for n, match in enumerate(words):
        word = match.group(0)
        target = _SLIPS.get(word)
        if target is None and n > 0 and word in _SHORT_LEGAL_SLIPS:
            neighbours = {words[m].group(0) for m in (n - 1, n + 1) if m < len(words)}
            last = n == len(words) - 1
            if neighbours & _LEGALISH or last or text[match.end() : match.end() + 1] == ".":
                target = _SHORT_LEGAL_SLIPS[word]
        if target is None:
            continue
        out.append(text[cursor : match.start()])
        out.append(target)
        cursor = match.end()
        legal = target in _LEGAL_WORDS or target in _LEGALISH
        readings.append(f"'{word}' read as {'legal form ' if legal else ''}'{target}' (typo)")
    if not readings:
        return text, readings
    out.append(text[cursor:])
    return "".join(out), readings


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


def _ends_names(form: str) -> bool:
    """Whether a legal form as written is one that ends names ("Co., Ltd.", "S.A. de C.V.")."""
    words = re.findall(r"[a-z]+", form.replace(".", ""))
    return bool(words) and words[-1] in _ENDING_FORMS


def _remove_legal_forms(text: str) -> tuple[str, str | None, str | None]:
    """Remove every legal form rigour recognises, anywhere: (rest, class of the first, as written).

    Each removed form leaves a `_TAIL` mark, so that what follows the form can be told apart."""
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
        before = text[:at]
        if (
            bare
            and match not in _UNAMBIGUOUS_BARE
            and not before.rstrip().endswith(",")
            and _has_letters(before)
            and _has_letters(after := text[at + len(match) :].split(_TAIL)[0])
            and not _only_places(after)
        ):
            continue  # "SA", "AG", "IM" inside a name are words; "S.A." and "D.O.O." are legal forms
        out.append(text[cursor:at])
        out.append(f" {_TAIL} " if _ends_names(match) else " ")
        cursor = at + len(match)
        if legal_class is None:
            legal_class, legal_text = cls, match.strip()
    out.append(text[cursor:])
    rest = "".join(out)
    if not _has_letters(rest):  # a name that is only a legal form keeps it
        return text, None, None
    return rest, legal_class, legal_text


_ALNUM = re.compile(r"[^\W_]")  # a character for which str.isalnum() holds


def _has_letters(text: str) -> bool:
    return _ALNUM.search(text) is not None


def _split_tail(text: str) -> tuple[str, str]:
    """(the name, what qualifies it): the words after the first legal form that follows the name, or
    else a last comma-separated part that only names places."""
    at = text.find(_TAIL)
    while at >= 0 and not _has_letters(text[:at]):
        at = text.find(_TAIL, at + 1)
    if at >= 0 and _has_letters(text[at:]):
        return text[:at].replace(_TAIL, " "), text[at:].replace(_TAIL, " ")
    text = text.replace(_TAIL, " ")
    comma = text.rfind(",")
    if comma > 0 and _has_letters(text[:comma]) and _has_letters(text[comma:]) and _only_places(text[comma:]):
        return text[:comma], text[comma + 1 :]
    return text, ""


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


_Raw = tuple[str, TokenKind, str | None]  # token, kind, canonical symbol id


def _raw_tokens(text: str, *, edges: bool) -> tuple[list[_Raw], str | None, str | None]:
    """Tokens of one part of a name, with legal-form leftovers and stopwords dropped: (tokens, legal
    class, legal form as written). `edges`: the part's first and last tokens are the name's."""
    legal_class: str | None = None
    legal_text: str | None = None
    for pattern, replacement, needles in _PHRASES:
        if any(needle in text for needle in needles):
            text = pattern.sub(replacement, text)
    raw_tokens, raw_kinds, symbols = _rigour_kinds(text)

    # join runs of single letters ("a b c" from "A.B.C."), then drop stopwords and legal leftovers
    joined: list[_Raw] = []
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
    kept: list[_Raw] = []
    for n, (token, kind, symbol) in enumerate(joined):
        edge = edges and n in (0, len(joined) - 1)
        legal = _EXTRA_LEGAL.get(token) or (_EDGE_LEGAL.get(token) if edge and len(joined) > 1 else None)
        if legal is not None:
            legal_class = legal_class or legal
            legal_text = legal_text or token
            continue
        if token in _STOPWORDS and len(joined) > 1:
            continue
        kept.append((token, kind, symbol))
    return kept, legal_class, legal_text


def _trailing_city(tokens: list[_Raw]) -> tuple[list[_Raw], list[_Raw]]:
    """(name, city) for a name that ends in an industrial city ("DHAKA KNIT APPARELS GAZIPUR")."""
    for size in (3, 2, 1):
        if (
            len(tokens) > size
            and tuple(t for t, _, _ in tokens[-size:]) in _cities()
            and any(k in ("word", "number") for _, k, _ in tokens[:-size])
        ):
            return tokens[:-size], tokens[-size:]
    return tokens, []


@lru_cache(maxsize=1)
def _cities() -> frozenset[tuple[str, ...]]:
    return frozenset(_place_tokens(c) for c in _WORLD_CITY_NAMES) | {(p,) for p in LATIN_PLACES}


@dataclass(frozen=True, slots=True)
class _Latin:
    tokens: tuple[str, ...]
    kinds: tuple[TokenKind, ...]
    legal_class: str | None
    legal_text: str | None
    readings: tuple[str, ...]


def _latin_tokens(text: str) -> _Latin:
    """Casefolded text in any non-Han script -> tokens, kinds, legal form, readings."""
    text, slipped = _read_slips(text)
    readings = list(slipped)
    legal_class: str | None = None
    legal_text: str | None = None
    for pattern, cls in _SPELLED_LEGAL if _ANY_SPELLED_LEGAL.search(text) else ():
        spelled = pattern.search(text)
        if spelled and _has_letters(text[: spelled.start()] + text[spelled.end() :]):
            legal_class = legal_class or cls
            legal_text = legal_text or spelled.group(0)
            mark = _TAIL if _ends_names(spelled.group(0)) else ""
            text = text[: spelled.start()] + f" {mark} " + text[spelled.end() :]
    text, found_class, found_text = _remove_legal_forms(text)
    legal_class, legal_text = legal_class or found_class, legal_text or found_text
    head, tail = _split_tail(text)

    kept: list[_Raw] = []
    tail_kept: list[_Raw] = []
    if _has_letters(head):
        kept, head_class, head_text = _raw_tokens(head, edges=True)
        legal_class, legal_text = legal_class or head_class, legal_text or head_text
        ends = next(
            (
                n
                for n, (t, _, _) in enumerate(kept[:-1])
                if n > 0 and t in _CORPORATION and place_spans([kept[n + 1][0]])
            ),
            len(kept),
        )
        kept, tail_kept = kept[: ends + 1], kept[ends + 1 :]  # "... POWER TOOLS CORP, ATLANTA GA"
        if not tail_kept:
            kept, tail_kept = _trailing_city(kept)
    if _has_letters(tail):
        more, tail_class, tail_text = _raw_tokens(tail, edges=False)
        legal_class, legal_text = legal_class or tail_class, legal_text or tail_text
        tail_kept += more
    kept += [
        (token, "qualifier" if kind in ("word", "place") else kind, symbol)
        for token, kind, symbol in tail_kept
    ]

    tokens: list[str] = []
    kinds: list[TokenKind] = []
    for token, kind, symbol in kept:
        if len(token) == 1 and len(kept) > 1:
            kind = "generic"  # a lone letter ("Bank-e", "A-One") says little
        canonical = ABBREVIATIONS.get(token)
        if canonical is None and symbol is not None and kind in ("generic", "domain"):
            canonical = ABBREVIATIONS.get(symbol, (symbol,))
        elif canonical is not None and token in PINYIN_WORDS:
            readings.append(f"'{token}' read as pinyin for '{' '.join(canonical)}'")
        for part in canonical or (token,):
            tokens.append(sys.intern(part))  # a million names share a few hundred thousand words
            kinds.append(_kind_of(part, kind))
    return _Latin(tuple(tokens), tuple(kinds), legal_class, legal_text, tuple(readings))


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
        "pharma power energy battery semiconductor logistics storage graphite alloy magnetic magnet motor "
        "cathode anode fluorochemical microelectronic optoelectronic foil phosphate membrane precision "
        "nonferrous furniture garment toy lighting fastener kiln"
    )
)


def _kind_of(token: str, tagged: TokenKind) -> TokenKind:
    """Canonical tokens have one kind wherever they come from, except that a place qualifying a name stays
    a qualifier; other tokens keep rigour's tag."""
    if not token.isalpha() and any(ch.isdigit() for ch in token):
        return "number"
    if token in _CANONICAL_GENERIC:
        return "generic"
    if token in _CANONICAL_DOMAIN:
        return "domain"
    if token in LATIN_PLACES and tagged != "qualifier":
        return "place"
    return tagged


# --- names ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Split:
    main: str
    extras: list[str]
    bracketed: list[str]  # those of the extras that were plain brackets


def _split_names(text: str) -> _Split:
    """Main name and extra names: bracketed parts and parts after "formerly", "a.k.a.", "d/b/a".

    A bracketed place or generic word ("(Shanghai)", "(Group)") stays with the name: Han text where it
    was, Latin text at the end, where it qualifies the name."""
    extras: list[str] = []
    bracketed: list[str] = []
    main = text
    qualifiers: list[str] = []
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
            if not named:
                bracketed.append(inner)
            main = rest if _has_letters(rest) else inner
        elif _HAN.search(inner) or not _has_letters(rest):
            main = main[: match.start()] + " " + inner + " " + main[match.end() :]
        else:
            qualifiers.append(inner)
            main = rest
    pieces = _SPLIT_INLINE.split(main.casefold())
    if len(pieces) > 1 and all(_has_letters(p) for p in pieces):
        extras.extend(p.strip() for p in pieces[1:])
        main = pieces[0]
    if qualifiers:
        main = " ".join([main, *(f"{_TAIL} {q}" for q in qualifiers)])
    return _Split(main.strip(), [e for e in extras if _has_letters(e)], bracketed)


def _is_distinctive(text: str) -> bool:
    """Whether a bracketed part names something, rather than only a place, a legal form or a generic word."""
    core = _normalize_core(text)
    if "word" in core.pinyin_kinds or "number" in core.kinds:
        return True
    words = [t for t, k in zip(core.tokens, core.kinds, strict=True) if k in ("word", "qualifier")]
    return bool(words) and not is_place(words)


def _normalize_core(text: str) -> NormalizedName:
    """Normalise one name without looking for extra names."""
    folded = text.casefold()
    han_runs = _HAN.findall(folded)
    latin_text = _HAN.sub(" ", folded) if han_runs else folded
    latin = _Latin((), (), None, None, ())
    if _has_letters(latin_text.replace(_TAIL, " ")):
        latin = _latin_tokens(latin_text)
    legal_class, legal_text = latin.legal_class, latin.legal_text
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
        han = "".join(stripped) or (None if latin.tokens else "".join(han_runs))
        if han:
            han_tokens, pinyin, pinyin_kinds = _segment_han(han)
    return NormalizedName(
        original=text,
        tokens=latin.tokens,
        kinds=latin.kinds,
        legal_form=legal_class,
        legal_form_text=legal_text,
        han=han,
        han_tokens=han_tokens,
        tokens_pinyin=pinyin,
        pinyin_kinds=pinyin_kinds,
        readings=latin.readings,
    )


@lru_cache(maxsize=16384)
def normalize_name(name: str) -> NormalizedName:
    """Normalise a company name as written (any script) into its comparable views; never raises."""
    return normalize_uncached(name)


def normalize_uncached(name: str) -> NormalizedName:
    """`normalize_name` without the cache, for bulk work (building an index) that would only churn it."""
    text = unicodedata.normalize("NFKC", name).strip().replace(_TAIL, " ")
    split = _split_names(text)
    core = _normalize_core(split.main)
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
        extra_names=tuple(split.extras),
        bracketed=tuple(split.bracketed),
        readings=core.readings,
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
