"""Strict models of the rule folder's YAML files (CONTRACT.md section 3).

Every model refuses unknown keys and is frozen, so a loaded rule cannot drift from its file.
Codes are normalised on the way in: countries to ISO 3166-1 alpha-2, HS prefixes to digits.
Checks that span several fields raise FieldProblem(field, reason), so the loader can report them
as `field.path: reason` like any other validation error.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, model_validator

from screening.codes import normalize_country, normalize_hs_prefix

_STRICT = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_RULE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


class FieldProblem(ValueError):
    """A check across fields failed; `field` is the path below the model that raised it."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


def _iso_date(value: object) -> dt.date:
    """A calendar date written `YYYY-MM-DD`; timestamps and numbers are refused."""
    if isinstance(value, dt.datetime):
        raise ValueError(f"{value.isoformat()!r} has a time; write a date as YYYY-MM-DD")
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and _ISO_DATE.fullmatch(value.strip()):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(f"{value.strip()!r} is not a valid calendar date") from None
    raise ValueError(f"{value!r} is not a date; write YYYY-MM-DD")


def _optional_iso_date(value: object) -> dt.date | None:
    return None if value is None else _iso_date(value)


def _country(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not a country code")
    return normalize_country(value)


def _hs_prefix(value: object) -> str:
    """Digits as text; a YAML integer is taken as its digits, a YAML float is refused (it loses zeros)."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError(f'HS prefix {value!r} must be written as text, e.g. "850511"')
    return normalize_hs_prefix(str(value))


def _rule_id(value: object) -> str:
    if not isinstance(value, str) or not _RULE_ID.fullmatch(value.strip()):
        raise ValueError(f"{value!r} is not a rule id (letters, digits, '.', '_' and '-', no spaces)")
    return value.strip()


def _url(value: object) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"https?://\S+", value.strip()):
        raise ValueError(f"{value!r} is not an http(s) URL")
    return value.strip()


IsoDate = Annotated[dt.date, BeforeValidator(_iso_date)]
OptionalIsoDate = Annotated[dt.date | None, BeforeValidator(_optional_iso_date)]
Country = Annotated[str, BeforeValidator(_country)]
HsPrefix = Annotated[str, BeforeValidator(_hs_prefix)]
RuleId = Annotated[str, BeforeValidator(_rule_id)]
Url = Annotated[str, BeforeValidator(_url)]
Text = Annotated[str, StringConstraints(min_length=1)]


class Window(BaseModel):
    """A suspension: the rule does not apply from `from` to `to`, both days included."""

    model_config = _STRICT

    start: IsoDate = Field(alias="from")
    end: IsoDate = Field(alias="to")

    @model_validator(mode="after")
    def _ordered(self) -> Window:
        if self.end < self.start:
            raise FieldProblem("to", f"{self.end} is before from {self.start}")
        return self

    def covers(self, day: dt.date) -> bool:
        return self.start <= day <= self.end


class Tiers(BaseModel):
    """Tier bounds, both included; a missing `max` means no upper bound."""

    model_config = _STRICT

    min: int = Field(default=1, ge=1)
    max: int | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _ordered(self) -> Tiers:
        if self.max is not None and self.max < self.min:
            raise FieldProblem("max", f"{self.max} is below min {self.min}")
        return self


class When(BaseModel):
    """What a rule looks at. An omitted condition means any; an empty list is refused as ambiguous."""

    model_config = _STRICT

    origin: tuple[Country, ...] | None = Field(default=None, min_length=1)
    hs: tuple[HsPrefix, ...] | None = Field(default=None, min_length=1)
    tiers: Tiers = Tiers()
    parties: Text | None = None


class Tariff(BaseModel):
    """An additional duty: percent ad valorem on `basis` (free text, e.g. "full value", "steel content")."""

    model_config = _STRICT

    rate_pct: float = Field(ge=0, le=1000)
    importing_country: Country
    basis: Text | None = None


class Rule(BaseModel):
    """One measure for one period. A rate change is a new rule with its own dates, so history replays."""

    model_config = _STRICT

    id: RuleId
    title: Text
    kind: Literal["export_control", "tariff", "restricted_party"]
    authority: Text
    document: Text
    source: Url
    effective_from: IsoDate
    effective_to: OptionalIsoDate = None
    suspended: tuple[Window, ...] = ()
    severity: Literal["high", "medium", "low", "info"]
    when: When = When()
    tariff: Tariff | None = None
    note: str = ""
    review_by: OptionalIsoDate = None

    @model_validator(mode="after")
    def _consistent(self) -> Rule:
        if self.effective_to is not None and self.effective_to < self.effective_from:
            raise FieldProblem(
                "effective_to", f"{self.effective_to} is before effective_from {self.effective_from}"
            )
        if self.kind == "tariff" and self.tariff is None:
            raise FieldProblem("tariff", "missing; a tariff rule needs tariff: {rate_pct, importing_country}")
        if self.kind != "tariff" and self.tariff is not None:
            raise FieldProblem("tariff", f"only tariff rules take a tariff block (kind is {self.kind})")
        if self.kind == "restricted_party" and self.when.parties is None:
            raise FieldProblem("when.parties", "missing; a restricted_party rule needs a party list file")
        if self.kind != "restricted_party" and self.when.parties is not None:
            raise FieldProblem(
                "when.parties", f"only restricted_party rules take a party list (kind is {self.kind})"
            )
        return self

    def in_force(self, as_of: dt.date) -> bool:
        """effective_from <= as_of <= effective_to (open when null), and in no suspension window."""
        if as_of < self.effective_from:
            return False
        if self.effective_to is not None and as_of > self.effective_to:
            return False
        return not any(window.covers(as_of) for window in self.suspended)

    def matches_goods(self, origin: str | None, hs_code: str | None, tier: int) -> bool:
        """Origin, HS and tier conditions; unknown origin or HS meets only rules without that condition."""
        when = self.when
        if tier < when.tiers.min or (when.tiers.max is not None and tier > when.tiers.max):
            return False
        if when.origin is not None and (origin is None or origin not in when.origin):
            return False
        return when.hs is None or (hs_code is not None and hs_code.startswith(when.hs))

    def review_due(self, as_of: dt.date) -> bool:
        """The rule carries a re-check date that has arrived: its current state is unconfirmed."""
        return self.review_by is not None and self.review_by <= as_of


class ProductInput(BaseModel):
    """An input prefix of a product: `direct` material or `capital` equipment used to make it."""

    model_config = _STRICT

    hs: HsPrefix
    kind: Literal["direct", "capital"]
    materials: tuple[Text, ...] = ()
    note: str = ""


class Product(BaseModel):
    model_config = _STRICT

    hs: HsPrefix
    name: str = ""
    inputs: tuple[ProductInput, ...]

    @model_validator(mode="after")
    def _unique_inputs(self) -> Product:
        seen: set[str] = set()
        for index, item in enumerate(self.inputs):
            if item.hs in seen:
                raise FieldProblem(
                    f"inputs[{index}].hs", f"input {item.hs!r} is listed twice for product {self.hs!r}"
                )
            seen.add(item.hs)
        return self


class HsInputsFile(BaseModel):
    """`hs_inputs.yaml`: which HS prefixes are inputs to which product prefixes."""

    model_config = _STRICT

    products: tuple[Product, ...]

    @model_validator(mode="after")
    def _unique_products(self) -> HsInputsFile:
        seen: set[str] = set()
        for index, product in enumerate(self.products):
            if product.hs in seen:
                raise FieldProblem(f"products[{index}].hs", f"product {product.hs!r} is listed twice")
            seen.add(product.hs)
        return self


class Industry(BaseModel):
    """An HS prefix labelled with the downstream industry that makes or buys it."""

    model_config = _STRICT

    hs: HsPrefix
    industry: Text
    description: str = ""
    note: str = ""


class IndustriesFile(BaseModel):
    """`industries.yaml` (optional): the goods the listed industries rely on, and the industries."""

    model_config = _STRICT

    inputs: tuple[HsPrefix, ...] = ()  # what the industries rely on, e.g. permanent magnets 850511
    industries: tuple[Industry, ...]

    @model_validator(mode="after")
    def _unique(self) -> IndustriesFile:
        seen: set[str] = set()
        for index, item in enumerate(self.industries):
            if item.hs in seen:
                raise FieldProblem(f"industries[{index}].hs", f"prefix {item.hs!r} is listed twice")
            seen.add(item.hs)
        return self


def allowed_keys(model: type[BaseModel], loc: tuple[int | str, ...]) -> tuple[str, ...]:
    """The keys a mapping at `loc` inside `model` accepts, to name them when an unknown key is met."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        fields = {(info.alias or name): info for name, info in current.model_fields.items()}
        info = fields.get(part)
        if info is None:
            return ()
        current = _model_in(info.annotation)
        if current is None:
            return ()
    return tuple((info.alias or name) for name, info in current.model_fields.items())


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The model class inside an annotation such as `When`, `Tariff | None` or `tuple[Window, ...]`."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _model_in(arg)
        if found is not None:
            return found
    return None
