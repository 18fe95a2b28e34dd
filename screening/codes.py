"""Normalising the codes every input carries: HS/HTS codes, countries, dates and money.

Each function returns the normal form or raises ValueError with a plain message that the caller
turns into a RowError (ingest) or a RuleError (rule files).
"""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache

import pycountry
from rigour import territories

_HS_NOISE = re.compile(r"[\s.\-]")
_HS_DIGITS = re.compile(r"\d+")


def normalize_hs(value: str, *, min_digits: int = 6, max_digits: int = 10) -> str:
    """`8507.60.0020` -> `8507600020`: dots, spaces and dashes ignored; 6 to 10 digits by default."""
    code = _HS_NOISE.sub("", value.strip())
    if not code:
        raise ValueError("HS code is empty")
    if not _HS_DIGITS.fullmatch(code):
        raise ValueError(f"HS code {value.strip()!r} must contain only digits, dots and spaces")
    if not min_digits <= len(code) <= max_digits:
        raise ValueError(
            f"HS code {value.strip()!r} has {len(code)} digits; expected {min_digits} to {max_digits}"
        )
    return code


def normalize_hs_prefix(value: str) -> str:
    """An HS prefix in a rule file: 2 to 10 digits (chapter, heading, subheading or national line)."""
    return normalize_hs(value, min_digits=2, max_digits=10)


# Names people write that pycountry does not resolve by itself.
_COUNTRY_ALIASES = {
    "USA": "US",
    "U.S.A.": "US",
    "U.S.": "US",
    "UNITED STATES OF AMERICA": "US",
    "AMERICA": "US",
    "UK": "GB",
    "U.K.": "GB",
    "GREAT BRITAIN": "GB",
    "ENGLAND": "GB",
    "SCOTLAND": "GB",
    "WALES": "GB",
    "PRC": "CN",
    "P.R.C.": "CN",
    "P.R. CHINA": "CN",
    "PR CHINA": "CN",
    "MAINLAND CHINA": "CN",
    "CHINA MAINLAND": "CN",
    "PEOPLE'S REPUBLIC OF CHINA": "CN",
    "PEOPLES REPUBLIC OF CHINA": "CN",
    "中国": "CN",
    "HONG KONG SAR": "HK",
    "HONGKONG": "HK",
    "MACAO": "MO",
    "TAIWAN": "TW",
    "TAIWAN, PROVINCE OF CHINA": "TW",
    "REPUBLIC OF CHINA": "TW",
    "SOUTH KOREA": "KR",
    "KOREA": "KR",
    "REPUBLIC OF KOREA": "KR",
    "KOREA, REPUBLIC OF": "KR",
    "NORTH KOREA": "KP",
    "VIETNAM": "VN",
    "VIET NAM": "VN",
    "RUSSIA": "RU",
    "IRAN": "IR",
    "SYRIA": "SY",
    "LAOS": "LA",
    "BOLIVIA": "BO",
    "VENEZUELA": "VE",
    "TANZANIA": "TZ",
    "MOLDOVA": "MD",
    "CZECH REPUBLIC": "CZ",
    "CZECHIA": "CZ",
    "TURKEY": "TR",
    "TURKIYE": "TR",
    "HOLLAND": "NL",
    "THE NETHERLANDS": "NL",
    "UAE": "AE",
    "U.A.E.": "AE",
    "BURMA": "MM",
    "IVORY COAST": "CI",
    "CAPE VERDE": "CV",
    "SWAZILAND": "SZ",
    "MACEDONIA": "MK",
    "KOSOVO": "XK",
    "PALESTINE": "PS",
    "PALESTINIAN": "PS",
}


@lru_cache(maxsize=4096)
def normalize_country(value: str) -> str:
    """ISO 3166-1 alpha-2 from alpha-2, alpha-3 or an English name (`China`, `CHN`, `cn` -> `CN`)."""
    text = " ".join(value.strip().split())
    if not text:
        raise ValueError("country is empty")
    upper = text.upper()
    if upper in _COUNTRY_ALIASES:
        return _COUNTRY_ALIASES[upper]
    if len(upper) == 2 and upper.isalpha():
        if upper == "XK" or pycountry.countries.get(alpha_2=upper) is not None:
            return upper
        raise ValueError(f"unknown country code {text!r}")
    if len(upper) == 3 and upper.isalpha():
        found = pycountry.countries.get(alpha_3=upper)
        if found is not None:
            return str(found.alpha_2)
    try:
        return str(pycountry.countries.lookup(text).alpha_2)
    except LookupError:
        pass
    try:
        matches = pycountry.countries.search_fuzzy(text)
    except LookupError:
        matches = []
    if len(matches) == 1:
        return str(matches[0].alpha_2)
    raise ValueError(f"unknown country {text!r}")


def parse_date(value: str) -> dt.date:
    """An ISO `YYYY-MM-DD` date."""
    text = value.strip()
    try:
        return dt.date.fromisoformat(text[:10]) if len(text) >= 10 else dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"date {text!r} is not an ISO date (YYYY-MM-DD)") from None


_MONEY_NOISE = re.compile(r"[\s$,_]|USD|US\$", re.IGNORECASE)


def parse_money(value: str) -> float:
    """A plain decimal amount in US dollars; `$1,200.50` and `1200.5 USD` are accepted too."""
    text = _MONEY_NOISE.sub("", value.strip())
    try:
        amount = float(text)
    except ValueError:
        raise ValueError(f"{value.strip()!r} is not a number") from None
    if amount != amount or amount in (float("inf"), float("-inf")):
        raise ValueError(f"{value.strip()!r} is not a finite number")
    if amount < 0:
        raise ValueError(f"{value.strip()!r} is negative")
    return amount


# The 27 member states of the European Union (source: european-union.europa.eu, "EU countries",
# unchanged since the United Kingdom left on 2020-01-31).
EU_MEMBERS = frozenset(
    {
        "AT",
        "BE",
        "BG",
        "CY",
        "CZ",
        "DE",
        "DK",
        "EE",
        "ES",
        "FI",
        "FR",
        "GR",
        "HR",
        "HU",
        "IE",
        "IT",
        "LT",
        "LU",
        "LV",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SE",
        "SI",
        "SK",
    }
)

CHINA_REGION = "China"
ASIA_REGION = "elsewhere in Asia"
EU_REGION = "EU"
OTHER_REGION = "elsewhere"
UNKNOWN_REGION = "unknown"


@lru_cache(maxsize=1024)
def region_of(country: str | None, home: str | None = None) -> str:
    """The seed report's origin regions: China, elsewhere in Asia, the EU, `home` itself, elsewhere.

    `home` (the destination of the analysis, e.g. "US") is its own region, named by its code, as in the
    seed's "$31.9 million in the U.S."; China means the People's Republic as a customs origin (CN) —
    Hong Kong and Macao, separate origins in trade records, fall under elsewhere in Asia. Continents
    come from rigour's territory table (UN M49 regions). Unknown or unparseable origins are `unknown`.
    """
    if not country or len(country) != 2:
        return UNKNOWN_REGION
    if country == "CN":
        return CHINA_REGION
    if country == home:
        return country
    if country in EU_MEMBERS:
        return EU_REGION
    territory = territories.get_territory(country.lower())
    if territory is None:
        return UNKNOWN_REGION
    return ASIA_REGION if territory.region == "Asia" else OTHER_REGION
