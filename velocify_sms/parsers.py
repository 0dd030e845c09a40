"""JSON as the API reads it: what Python's parser accepts, less what nothing downstream can hold.

`json.loads` takes input that then fails far from the request, as a 500:

- huge exponents: `1e999999` is float('inf'), which no field stores (`int(inf)` raises
  OverflowError in a primary-key lookup; a CharField writes "inf");
- lone UTF-16 surrogates: `"\\ud800"` is a str that cannot be encoded to UTF-8, so neither
  PostgreSQL, SQLite nor the JSON renderer (echoing the input back) can take it;
- deep nesting: the parser recurses once per level and raises RecursionError near 1,000 levels,
  and no field of ours goes deeper than a few.

`json_loads_checked` refuses all of them with a JSONInputError that names the top-level field,
and `JSONParser` (REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"]) turns that into a 400 for every
API view. Valid text, surrogate pairs included (an emoji as `"\\ud83d\\ude00"`), passes as is.
"""

from __future__ import annotations

import codecs
import json
import math
import re
from typing import Any

from rest_framework import exceptions, parsers
from rest_framework.parsers import get_encoding

# Deeper than any body of ours needs ({"phones": [{"number": ...}]} is 3), far below the stack.
MAX_DEPTH = 32
NON_FIELD = "non_field_errors"

_SURROGATE = re.compile("[\ud800-\udfff]")
# JSON's tokens that change depth, skipping over strings (which may hold brackets).
_DEPTH_TOKENS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]')


class JSONInputError(ValueError):
    """JSON that cannot be taken: `field` is the top-level key it sits under (or NON_FIELD)."""

    def __init__(self, *, field: str, path: str, problem: str) -> None:
        self.field = field
        self.path = path
        self.problem = problem
        shown = path if len(path) <= 60 else path[:60] + "…"
        super().__init__(f"`{shown}` {problem}." if path else f"The body {problem}.")


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


def _text_problem(text: str) -> str | None:
    match = _SURROGATE.search(text)
    if match:
        return (
            f"contains a lone UTF-16 surrogate (\\u{ord(match.group()):04x}), which is not "
            "text; send characters outside the Basic Multilingual Plane as a surrogate pair"
        )
    return None


def _path(parent: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{parent}[{key}]"
    return f"{parent}.{key}" if parent else key


def _check(data: Any) -> None:
    """Walk parsed JSON without recursion; raise JSONInputError at the first bad value."""
    stack: list[tuple[Any, str, str, int]] = [(data, "", NON_FIELD, 0)]
    while stack:
        value, path, field, depth = stack.pop()
        if isinstance(value, str):
            problem = _text_problem(value)
        elif isinstance(value, float):
            problem = None if math.isfinite(value) else "is a number too large to hold"
        elif isinstance(value, dict | list):
            problem = f"is nested more than {MAX_DEPTH} levels deep" if depth > MAX_DEPTH else None
        else:
            problem = None
        if problem:
            raise JSONInputError(field=field, path=path, problem=problem)
        if isinstance(value, dict):
            for key, item in value.items():
                key_problem = _text_problem(key)
                child = _path(path, key)
                child_field = key if depth == 0 and not key_problem else field
                if key_problem:
                    raise JSONInputError(
                        field=field,
                        path=path or "(top level)",
                        problem=f"has a key that {key_problem}",
                    )
                stack.append((item, child, child_field, depth + 1))
        elif isinstance(value, list):
            stack.extend(
                (item, _path(path, index), field, depth + 1) for index, item in enumerate(value)
            )


def _too_deep_field(text: str) -> str:
    """The top-level key under which `text` nests past MAX_DEPTH (for bodies the parser itself
    could not get through); read on that error path only."""
    depth, last_top_string = 0, None
    for match in _DEPTH_TOKENS.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            if depth > MAX_DEPTH + 1:
                break
        elif token in "]}":
            depth -= 1
        elif depth == 1:
            last_top_string = token
    if text.lstrip().startswith("{") and last_top_string is not None:
        try:
            return json.loads(last_top_string)
        except ValueError:
            pass
    return NON_FIELD


def json_loads_checked(text: str) -> Any:
    """json.loads, refusing what nothing downstream can hold (see the module docstring).

    Raises JSONInputError for a bad value (with its field) and ValueError for text that is not
    JSON at all.
    """
    try:
        data = json.loads(text, parse_constant=_refuse_constant)
    except RecursionError:
        field = _too_deep_field(text)
        raise JSONInputError(
            field=field,
            path="" if field == NON_FIELD else field,
            problem=f"is nested more than {MAX_DEPTH} levels deep",
        ) from None
    _check(data)
    return data


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser reading through json_loads_checked: a bad value is a 400 `invalid`
    that names its field, like any validation error; text that is not JSON stays a 400
    `parse_error`."""

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = get_encoding(parser_context or {})
        try:
            text = codecs.getreader(encoding)(stream).read()
            return json_loads_checked(text)
        except JSONInputError as exc:
            raise exceptions.ValidationError({exc.field: [str(exc)]}) from None
        except ValueError as exc:
            raise exceptions.ParseError(f"JSON parse error - {exc}") from None
