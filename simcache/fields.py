"""How scenario fields are declared, checked and explained.

Sections of a scenario, and the options of each protection and fault, are pydantic
models. Each field's type and bounds are declared once, with
pydantic's ``Field``; from that declaration come the JSON Schema (``simcache schema``),
the widgets' ranges (:func:`FieldRule.of`) and the checks below, which turn any bad value
into one :class:`~simcache.errors.ScenarioError` naming the dotted path, the value and what
is allowed, as a person would write it ("must be a whole number >= 1"), with "did you
mean" for misspelt names.
"""

from __future__ import annotations

import math
import numbers
import types
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, Union, get_args, get_origin

import annotated_types as at
import numpy as np
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator
from pydantic_core import core_schema

from .errors import ScenarioError, did_you_mean


class OneOf:
    """Field metadata: the value must be a name in a registry (eviction policy, strategy…).

    The registry is read when a value is checked or the schema is printed, so classes
    registered later (a test's own) are accepted too.
    """

    def __init__(self, names: Mapping[str, Any]):
        self.names = names

    def choices(self) -> tuple[str, ...]:
        return tuple(self.names)

    def __get_pydantic_json_schema__(self, schema: core_schema.CoreSchema, handler: Any) -> Any:
        out = handler(schema)
        out["enum"] = list(self.choices())
        return out


@dataclass(frozen=True)
class FieldRule:
    """What one field accepts: its kind, bounds or choices, and whether it may be omitted."""

    name: str
    kind: type
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    choices: tuple[str, ...] | None = None
    optional: bool = False
    help: str = ""

    @classmethod
    def of(cls, model: type[BaseModel], name: str) -> FieldRule:
        """The rule of ``model``'s field ``name``, read from its pydantic declaration."""
        info = model.model_fields[name]
        annotation, optional = _unwrap_optional(info.annotation)
        choices: tuple[str, ...] | None = None
        if get_origin(annotation) is Literal:
            choices, kind = tuple(get_args(annotation)), str
        else:
            kind = annotation if annotation in (int, float, str, bool) else object
        low = high = None
        low_open = False
        for meta in info.metadata:
            if isinstance(meta, at.Ge):
                low = meta.ge
            elif isinstance(meta, at.Gt):
                low, low_open = meta.gt, True
            elif isinstance(meta, at.Le):
                high = meta.le
            elif isinstance(meta, OneOf):
                choices = meta.choices()
        return cls(name, kind, low, high, low_open, choices, optional, info.description or "")

    def check(self, value: Any) -> Any:
        """``value`` converted to this field's kind; a ScenarioError if it is not allowed."""
        name = self.name
        if value is None:
            if self.optional:
                return None
            raise ScenarioError(name, value, f"required: {self.describe()}")
        if self.kind is object:
            return value
        if self.kind is str:
            if not isinstance(value, str):
                raise ScenarioError(name, value, f"must be a string: {self.describe()}")
            if self.choices is not None and value not in self.choices:
                hint = did_you_mean(value, self.choices).rstrip()
                more = f" ({hint})" if hint else ""
                raise ScenarioError(name, value, f"must be one of {', '.join(self.choices)}{more}")
            return value
        if self.kind is bool:
            if not isinstance(value, bool | np.bool_):
                raise ScenarioError(name, value, "must be true or false")
            return bool(value)
        if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
            raise ScenarioError(name, value, f"must be a number: {self.describe()}")
        if self.kind is int:
            if not isinstance(value, numbers.Integral) and not float(value).is_integer():
                raise ScenarioError(name, value, f"must be a whole number: {self.describe()}")
            value = int(value)
        else:
            value = float(value)
            if not math.isfinite(value):
                raise ScenarioError(name, value, f"must be finite: {self.describe()}")
        too_low = self.low is not None and (
            value <= self.low if self.low_open else value < self.low)
        too_high = self.high is not None and value > self.high
        if too_low or too_high:
            raise ScenarioError(name, value, f"must be {self.describe()}")
        return value

    def describe(self) -> str:
        """What the field accepts, in words: "a whole number >= 1 (or omitted)"."""
        if self.choices is not None:
            text = "one of " + ", ".join(self.choices)
        elif self.kind is str:
            text = "a string"
        elif self.kind is bool:
            text = "true or false"
        else:
            noun = "a whole number" if self.kind is int else "a number"
            parts = []
            if self.low is not None:
                parts.append(f"{'>' if self.low_open else '>='} {_num(self.low)}")
            if self.high is not None:
                parts.append(f"<= {_num(self.high)}")
            text = noun + (" " + " and ".join(parts) if parts else "")
        return text + (" (or omitted)" if self.optional else "")


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def _unwrap_optional(annotation: Any) -> tuple[Any, bool]:
    if get_origin(annotation) in (Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0], len(args) < len(get_args(annotation))
    return annotation, False


class Section(BaseModel):
    """A frozen scenario section whose every bad value raises one ScenarioError."""

    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=False)
    #: Fields whose values are whole sections or lists: checked by their own models.
    nested: ClassVar[tuple[str, ...]] = ()

    def __init__(self, **data: Any):
        try:
            super().__init__(**data)
        except ValidationError as err:
            raise scenario_error(err) from None

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is frozen: make a changed copy with "
                             "Scenario.with_values({...})")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> Any:
        """Build and validate from plain data; missing fields take their defaults."""
        try:
            return cls.model_validate({} if data is None else data)
        except ValidationError as err:
            raise scenario_error(err) from None

    def to_dict(self) -> dict[str, Any]:
        """Plain data (dicts, lists, numbers, strings, None) that ``from_dict`` reads back."""
        return self.model_dump(mode="json")

    @classmethod
    def rule(cls, name: str) -> FieldRule:
        return FieldRule.of(cls, name)

    @model_validator(mode="before")
    @classmethod
    def _check_fields(cls, data: Any) -> Any:
        if not isinstance(data, Mapping):
            return data  # pydantic reports "must be a table of fields"
        names = list(cls.model_fields)
        out = {}
        for key, value in data.items():
            if key not in cls.model_fields:
                raise ScenarioError(str(key), value, f"unknown field; {did_you_mean(key, names)}"
                                                     f"allowed: {', '.join(names)}")
            out[key] = value if key in cls.nested else cls.check_field(key, value)
        return out

    @classmethod
    def check_field(cls, name: str, value: Any) -> Any:
        """``value`` checked and converted for field ``name`` (sections add their own rules)."""
        return FieldRule.of(cls, name).check(value)


def scenario_error(err: ValidationError) -> ScenarioError:
    """The first problem pydantic found, as one ScenarioError with the dotted path."""
    first = err.errors()[0]
    path = ".".join(str(part) for part in first["loc"])
    cause = (first.get("ctx") or {}).get("error")
    if isinstance(cause, ScenarioError):
        return cause.under(path) if path else cause
    kind = first["type"]
    if kind == "missing":
        return ScenarioError(path, None, "required: this field has no default")
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        allowed = "must be a table of fields"
    elif kind in ("tuple_type", "list_type"):
        allowed = "must be a list"
    else:
        allowed = first["msg"]
    return ScenarioError(path or "scenario", first["input"], allowed)


def check_items(value: Any, field: str, noun: str) -> tuple[Any, ...]:
    """A list or tuple as a tuple; anything else is an error naming ``field``."""
    if isinstance(value, list | tuple):
        return tuple(value)
    raise ScenarioError(field, value, f"must be a list of {noun}")


def items_checked(data: Any, field: str, noun: str) -> Any:
    """A section's raw ``data`` with its list ``field`` (if given) checked by
    :func:`check_items`, for a ``mode="before"`` validator."""
    if isinstance(data, Mapping) and field in data:
        data = {**data, field: check_items(data[field], field, noun)}
    return data


class ByKind:
    """Field metadata: a list of option models, each chosen by its ``kind`` from a registry.

    Used for ``protections`` and ``faults``: every registered class carries an ``Options``
    model whose ``kind`` is its name. The registry is read when a value is checked and when
    the schema is printed, so classes registered later (a test's own) work too.
    """

    def __init__(self, registry: Mapping[str, Any], noun: str):
        self.registry = registry
        self.noun = noun

    def validate(self, value: Any) -> tuple[Any, ...]:
        if not isinstance(value, list | tuple):
            raise ScenarioError("", value, f"must be a list of {self.noun}, each a table with "
                                           f"a kind ({', '.join(self.registry)})")
        out = []
        for i, item in enumerate(value):
            if isinstance(item, BaseModel):
                item = item.model_dump()
            if not isinstance(item, Mapping):
                raise ScenarioError(str(i), item, f"must be a table with a kind "
                                                  f"({', '.join(self.registry)})")
            cls = self.registry.lookup(item.get("kind"), f"{i}.kind")  # type: ignore[attr-defined]
            try:
                out.append(cls.Options.model_validate(item))
            except ValidationError as err:
                raise scenario_error(err).under(str(i)) from None
        return tuple(out)

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> core_schema.CoreSchema:
        return core_schema.no_info_plain_validator_function(
            self.validate, serialization=core_schema.plain_serializer_function_ser_schema(
                lambda items: [item.to_dict() for item in items]))

    def __get_pydantic_json_schema__(self, schema: core_schema.CoreSchema, handler: Any) -> Any:
        options = [handler(cls.Options.__pydantic_core_schema__) for cls in self.registry.values()]
        return {"type": "array", "items": {"oneOf": options} if options else {"type": "object"}}
