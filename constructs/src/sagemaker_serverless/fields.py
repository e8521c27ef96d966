"""Field checks for configuration dataclasses: unknown keywords, missing fields and types.

A misspelt keyword in a configuration dataclass (the app's ``ENVIRONMENTS`` table, its
``PIPELINE``, or this library's ``ProvisionedConcurrencyScaling``) is otherwise a ``TypeError``
raised while Python imports the module that builds it: one at a time, with a traceback, before
any error handler runs. ``@checked_fields`` makes the dataclass accept any keywords instead:
unknown and missing ones are recorded, and ``field_problems`` reports them, with every field whose
value is not of its annotated type, next to the class's other problems, so that one run names
every mistake. Standard library only.

Adding a field to a checked dataclass is adding the annotated field: its type check is derived
from the annotation (an annotation this module cannot check fails when the class is defined).
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import os
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")


class _Missing:
    """The value of a required field that was not given (reported by ``field_problems``)."""

    def __repr__(self) -> str:
        return "<missing>"


MISSING: Any = _Missing()
_KEYWORD_PROBLEMS = "_checked_fields_keyword_problems"


@dataclass(frozen=True)
class _FieldType:
    """What one annotated type accepts, and how to say so."""

    description: str  # "a whole number (int)"
    short: str  # "int", as a container's description names its items
    problem: Callable[[str, object], str | None]  # (field name, value) -> problem or None


def _scalar(kind: type, description: str) -> _FieldType:
    def problem(name: str, value: object) -> str | None:
        # bool is an int subclass in Python, but True is not a memory size.
        ok = isinstance(value, kind) and (kind is bool or not isinstance(value, bool))
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            ok = True  # 1 is a fine float
        if ok:
            return None
        if kind is Path and isinstance(value, str):
            return f"{name} must be {description}, {_got(value)}; write Path({value!r})"
        return f"{name} must be {description}, {_got(value)}"

    return _FieldType(description, kind.__name__, problem)


_SCALARS: dict[Any, tuple[type, str]] = {
    bool: (bool, "True or False (bool)"),
    int: (int, "a whole number (int)"),
    float: (float, "a number (float)"),
    str: (str, "a string (str)"),
    Path: (Path, "a path (pathlib.Path)"),
}


def _got(value: object) -> str:
    return f"got {type(value).__name__} {value!r}"


def _field_type(hint: Any) -> _FieldType:
    """The check for one annotation; TypeError for an annotation it cannot check."""
    if hint in _SCALARS:
        return _scalar(*_SCALARS[hint])
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType) and len(args) == 2 and type(None) in args:
        inner = _field_type(next(arg for arg in args if arg is not type(None)))
        description = f"{inner.description} or None"

        def optional(name: str, value: object) -> str | None:
            if value is None or inner.problem(name, value) is None:
                return None
            return f"{name} must be {description}, {_got(value)}"

        return _FieldType(description, f"{inner.short} | None", optional)
    if origin is typing.Literal:
        allowed = " or ".join(repr(arg) for arg in args)
        description = f"one of {allowed}"

        def literal(name: str, value: object) -> str | None:
            # exact type too: True == 1, so `1 in (True,)` would pass an int
            if any(value == arg and type(value) is type(arg) for arg in args):
                return None
            return f"{name}={value!r} is not allowed; use {allowed}"

        return _FieldType(description, f"Literal[{', '.join(map(repr, args))}]", literal)
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        item = _field_type(args[0])
        description = f"a tuple of {item.short} values (tuple[{item.short}, ...])"

        def items(name: str, value: object) -> str | None:
            if isinstance(value, str):  # "a" where ("a",) was meant
                return (
                    f"{name} must be {description}, {_got(value)}; for one value write ({value!r},)"
                )
            if not isinstance(value, tuple):
                return f"{name} must be {description}, {_got(value)}"
            found = (item.problem(f"{name}[{i}]", v) for i, v in enumerate(value))
            return "; ".join(filter(None, found)) or None

        return _FieldType(description, f"tuple[{item.short}, ...]", items)
    if origin is Mapping:
        key, val = (_field_type(arg) for arg in args)
        description = f"a mapping of {key.short} to {val.short} (e.g. a dict)"

        def entries(name: str, value: object) -> str | None:
            if not isinstance(value, Mapping):
                return f"{name} must be {description}, {_got(value)}"
            found = []
            for k, v in value.items():
                found += [key.problem(f"{name} key {k!r}", k), val.problem(f"{name}[{k!r}]", v)]
            return "; ".join(filter(None, found)) or None

        return _FieldType(description, f"Mapping[{key.short}, {val.short}]", entries)
    if isinstance(hint, type) and origin is None:
        description = f"{hint.__name__}(...)"

        def instance(name: str, value: object) -> str | None:
            if isinstance(value, hint):
                return None
            return f"{name} must be {description}, {_got(value)}"

        return _FieldType(description, hint.__name__, instance)
    raise TypeError(
        f"sagemaker_serverless/fields.py cannot check the annotation {hint!r}; add it there"
    )


_CHECKS: dict[type, Mapping[str, _FieldType]] = {}


def _field_types(cls: type) -> Mapping[str, _FieldType]:
    """Each init field's check, derived once per class from its annotations."""
    if cls not in _CHECKS:
        hints = typing.get_type_hints(cls)
        init_fields = [f for f in dataclasses.fields(cls) if f.init]
        _CHECKS[cls] = {f.name: _field_type(hints[f.name]) for f in init_fields}
    return _CHECKS[cls]


def _required(field: dataclasses.Field[Any]) -> bool:
    return field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING


def checked_fields(cls: type[T]) -> type[T]:
    """Make a keyword-only dataclass record unknown and missing keywords instead of raising."""
    init_fields = [f for f in dataclasses.fields(cls) if f.init]  # type: ignore[arg-type]
    names = [f.name for f in init_fields]
    required = [f.name for f in init_fields if _required(f)]
    _field_types(cls)  # an annotation it cannot check fails now, when the class is defined
    dataclass_init = cls.__init__

    @functools.wraps(dataclass_init)
    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        problems: list[str] = []
        if args:
            problems.append(
                f"{len(args)} value(s) given without a field name ({', '.join(map(repr, args))}); "
                f"name each field, e.g. {names[0]}=..."
            )
        for unknown in [key for key in kwargs if key not in names]:
            kwargs.pop(unknown)
            problems.append(
                f"{unknown} is not a field of {cls.__name__}; {closest(unknown, names)}"
            )
        for name in required:
            kwargs.setdefault(name, MISSING)
        dataclass_init(self, **kwargs)
        object.__setattr__(self, _KEYWORD_PROBLEMS, tuple(problems))

    cls.__init__ = init  # type: ignore[method-assign]
    return cls


def closest(name: str, names: Sequence[str], *, noun: str = "fields") -> str:
    """'did you mean X?' for the most similar of ``names``, else the list of them."""
    # A shared prefix ("pipeline:") says nothing about which key was meant; a truncated name
    # ("repo") says more than similarity does.
    prefix = os.path.commonprefix([name, *names]) if names else ""  # noqa: RUF071 (strings)
    stems = {candidate[len(prefix) :]: candidate for candidate in names}
    stem = name[len(prefix) :]
    close = [s for s in stems if stem and s.startswith(stem)]
    close = close or difflib.get_close_matches(stem, list(stems), n=1, cutoff=0.6)
    if close:
        return f"did you mean {stems[close[0]]}?"
    return f"the {noun} are {', '.join(names)}"


def keyword_problems(obj: object) -> tuple[str, ...]:
    """The unknown and positional arguments ``obj`` was created with (none for other objects)."""
    return tuple(getattr(obj, _KEYWORD_PROBLEMS, ()))


@dataclass(frozen=True)
class FieldCheck:
    """The keyword, missing-field and type problems of one checked dataclass instance."""

    problems: tuple[str, ...]
    failed: frozenset[str]  # the fields that are missing or of the wrong type

    def ok(self, *names: str) -> bool:
        """True when each of these fields is present and of its annotated type."""
        return not self.failed.intersection(names)


def field_problems(obj: object, *, missing_hints: Mapping[str, str] | None = None) -> FieldCheck:
    """Unknown keywords, then missing fields, then fields whose value is not of its type.

    ``missing_hints`` replaces, per field, the generic "give <type>" of a missing field's message.
    """
    cls = type(obj)
    problems = list(keyword_problems(obj))
    failed: set[str] = set()
    for name, field_type in _field_types(cls).items():
        value = getattr(obj, name)
        if value is MISSING:
            hint = (missing_hints or {}).get(name, f"give {field_type.description}")
            problems.append(f"{name} is missing; {hint}")
            failed.add(name)
        elif (problem := field_type.problem(name, value)) is not None:
            problems.append(problem)
            failed.add(name)
    return FieldCheck(problems=tuple(problems), failed=frozenset(failed))
