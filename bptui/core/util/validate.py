"""Reading a network file and validating it against bptui's JSON Schema (pure Python, no NumPy:
the app can check a file before it loads the math).

The schema (``schema.json``) is standard JSON Schema 2020-12; the tests check it with the
``jsonschema`` package. At run time this small validator covers the keywords that schema uses,
so that start-up does not pay for importing ``jsonschema``, and it names the place of the first
problem the way students read it (``layers[1].activation``).
"""

from __future__ import annotations

import json
import math
import re
import sys
from functools import lru_cache
from pathlib import Path
from typing import Any

from .errors import SpecError

_TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "integer": lambda v: (isinstance(v, int) and not isinstance(v, bool))
    or (isinstance(v, float) and v.is_integer()),
}
NAME_PATTERN = "^[A-Za-z_][A-Za-z0-9_]*$"
PATTERN_WORDS = {
    NAME_PATTERN: "a name (letters, digits and _, not starting with a digit)",
    r"^\S+( \S+)*$": "one line of visible characters (single spaces between them, none at the ends, no tab or "
                     "line break)",
    r"^[A-Za-z0-9\\{}_^'/,.()\[\] ]+$": "LaTeX in ASCII letters, digits, spaces and \\ { } _ ^ ' / , . ( ) [ ] "
                                         "(a Greek letter as its command, \\delta)",
}
"""What a schema's ``pattern`` asks, in words, for the error line (another pattern is quoted as it is)."""
_ARTICLE = {"object": "an object", "array": "a list", "integer": "an integer", "number": "a number"}


def _matches(pattern: str, value: str) -> bool:
    """JSON Schema's ``pattern`` (ECMA 262): a final ``$`` is the end of the text, where Python's ``$`` also
    matches before a final line break ("δ\\n" would pass ``^\\S+$``)."""
    if pattern.endswith("$") and not pattern.endswith("\\$"):
        pattern = pattern[:-1] + r"\Z"
    return re.search(pattern, value) is not None


def _close(key: str, value: dict, props: dict) -> str | None:
    """A key of ``value`` the schema does not know that looks like the missing ``key`` ("activaton")."""
    import difflib

    unknown = [k for k in value if isinstance(k, str) and k not in props]
    close = difflib.get_close_matches(key, unknown, n=1, cutoff=0.75)
    return close[0] if close else None


def _misspelt(key: str, value: dict, props: dict) -> str:
    """The misspelling of the missing ``key`` (:func:`_close`), said beside it: the key the reader looks for
    is there, misspelt."""
    close = _close(key, value, props)
    return f" ({close!r} is not a key: a misspelling of it?)" if close else ""


@lru_cache(maxsize=None)
def schema(name: str = "schema.json") -> dict:
    return json.loads((Path(__file__).parent.parent / "schemas" / name).read_text(encoding="utf-8"))


def join(place: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{place}[{key}]"
    return f"{place}.{key}" if place else key


def describe(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool) and not _finite(value):
        return f"an integer of {len(str(abs(value))) if value.bit_length() < 10_000 else 'thousands of'} digits"
    text = json.dumps(value, allow_nan=True)
    return text if len(text) <= 40 else text[:37] + "…"


def _finite(value: int | float) -> bool:
    """A number a float can hold: not NaN or ±∞, and no integer beyond the largest float."""
    try:
        return math.isfinite(value)
    except OverflowError:  # an int too big for a float
        return False


_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")


def unsafe_char(text: str) -> tuple[int, str] | None:
    """The first character of ``text`` that must not reach a terminal or a document, as (index, why):
    a control character other than tab and newline (escape sequences could retitle or clear the
    terminal), a lone surrogate (not text: it cannot even be printed) or a bidirectional override
    (text that reads differently from what it is)."""
    for i, ch in enumerate(text):
        code = ord(ch)
        if (code < 0x20 and ch not in "\t\n") or 0x7F <= code <= 0x9F:
            return i, f"a control character (U+{code:04X})"
        if 0xD800 <= code <= 0xDFFF:
            return i, f"a lone surrogate (U+{code:04X}), which is not text"
        if ch in _BIDI:
            return i, f"a bidirectional control character (U+{code:04X})"
    return None


def _fits(value: Any, sch: dict) -> bool:
    """Whether ``value`` has a branch's type and (for objects) all of its required keys."""
    if "type" in sch and not _TYPES[sch["type"]](value):
        return False
    if "enum" in sch and "type" not in sch and not isinstance(value, (str, int, float)):
        return False
    return not isinstance(value, dict) or all(key in value for key in sch.get("required", ()))


def _fits_deep(value: Any, sch: dict) -> bool:
    """:func:`_fits`, then the first item of an array against the branch's ``items``, all the way
    down: a matrix's first row holds numbers, a residual block's list holds matrices."""
    if "oneOf" in sch:
        return any(_fits_deep(value, b) for b in sch["oneOf"])
    if not _fits(value, sch):
        return False
    if isinstance(value, list):
        if len(value) < sch.get("minItems", 0):
            return False
        if value and isinstance(sch.get("items"), dict):
            return _fits_deep(value[0], sch["items"])
    return True


def _branch(value: Any, branches: list, where: str) -> dict:
    """The one ``oneOf`` branch ``value`` means to be (its type and required keys tell), so that the
    error names the real problem inside it; the branches of bptui's schema exclude each other."""
    fitting = [b for b in branches if _fits(value, b)]
    if len(fitting) > 1 and isinstance(value, dict):  # keys a branch does not know rule it out
        known = [b for b in fitting if b.get("additionalProperties", True) or set(value) <= set(b.get("properties", {}))]
        fitting = known or fitting
    if len(fitting) > 1 and isinstance(value, list):  # arrays told apart by what they hold (a matrix, a block's list)
        fitting = [b for b in fitting if _fits_deep(value, b)] or fitting
    if len(fitting) == 1:
        return fitting[0]
    if all("title" in b for b in branches):
        forms = ", ".join(b["title"] for b in branches[:-1]) + " or " + branches[-1]["title"]
        raise SpecError(f"{describe(value)} is not {forms}", place=where)
    # branches told apart by their required keys only ("nodes" or "expression")
    keys = [key for b in branches for key in b.get("required", ())]
    found = "neither" if not fitting else "both" if len(fitting) == 2 else str(len(fitting))
    raise SpecError(f"needs exactly one of {' or '.join(repr(k) for k in keys)}, found {found}", place=where)


def check(value: Any, sch: dict, place: str = "") -> None:
    """Raise SpecError at the first place where ``value`` breaks ``sch``."""
    where = place or "top level"
    if "type" in sch:
        kinds = sch["type"] if isinstance(sch["type"], list) else [sch["type"]]
        matching = [kind for kind in kinds if _TYPES[kind](value)]
        if not matching:
            wanted = " or ".join(_ARTICLE.get(kind, "a " + kind) for kind in kinds)
            raise SpecError(f"{describe(value)} is not {wanted}", place=where)
        if matching[0] in ("number", "integer") and not _finite(value):
            raise SpecError(f"{describe(value)} is not a finite number", place=where)
    if isinstance(value, str) and (bad := unsafe_char(value)) is not None:
        raise SpecError(f"contains {bad[1]} at character {bad[0] + 1}", place=where)
    if isinstance(value, str) and len(value) > sch.get("maxLength", len(value)):
        raise SpecError(f"{len(value):,} characters, at most {sch['maxLength']:,} allowed", place=where)
    if "pattern" in sch and isinstance(value, str) and not _matches(sch["pattern"], value):
        what = PATTERN_WORDS.get(sch["pattern"], f"of the form {sch['pattern']}")
        raise SpecError(f"{describe(value)} is not {what}", place=where)
    if "const" in sch and value != sch["const"]:
        raise SpecError(f"{describe(value)} must be {describe(sch['const'])}", place=where)
    if "enum" in sch and value not in sch["enum"]:
        raise SpecError(f"{describe(value)} is not one of {', '.join(map(str, sch['enum']))}", place=where)
    if "minimum" in sch and value < sch["minimum"]:
        raise SpecError(f"{describe(value)} is below the minimum {sch['minimum']}", place=where)
    if "maximum" in sch and value > sch["maximum"]:
        raise SpecError(f"{describe(value)} is above the maximum {sch['maximum']:,}", place=where)
    if "exclusiveMinimum" in sch and value <= sch["exclusiveMinimum"]:
        raise SpecError(f"{describe(value)} must be greater than {sch['exclusiveMinimum']}", place=where)
    if "exclusiveMaximum" in sch and value >= sch["exclusiveMaximum"]:
        raise SpecError(f"{describe(value)} must be less than {sch['exclusiveMaximum']}", place=where)
    if "oneOf" in sch:
        check(value, _branch(value, sch["oneOf"], where), place)
    if isinstance(value, dict):
        if len(value) > sch.get("maxProperties", len(value)):
            raise SpecError(f"{len(value):,} entries, at most {sch['maxProperties']:,} allowed", place=where)
        props = sch.get("properties", {})
        for key in sch.get("required", ()):
            if key not in value:
                raise SpecError(f"missing required key {key!r}{_misspelt(key, value, props)}", place=where)
        extra = sch.get("additionalProperties", True)
        for key, item in value.items():
            if "propertyNames" in sch:
                check(key, sch["propertyNames"], where)
            if key in props:
                check(item, props[key], join(place, key))
            elif extra is False:
                known = ", ".join(props)
                raise SpecError(f"unknown key {key!r} (known keys: {known})", place=where)
            elif isinstance(extra, dict):
                check(item, extra, join(place, key))
    if isinstance(value, list):
        if len(value) < sch.get("minItems", 0):
            what = "empty" if not value else f"{len(value)} entries"
            raise SpecError(f"{what}, at least {sch['minItems']} needed", place=where)
        if len(value) > sch.get("maxItems", len(value)):
            raise SpecError(f"{len(value):,} entries, at most {sch['maxItems']:,} allowed", place=where)
        if "items" in sch and not (_takes_any_number(sch["items"]) and _plain_numbers(value)):
            for i, item in enumerate(value):
                check(item, sch["items"], join(place, i))


def check_all(value: Any, sch: dict, place: str = "") -> list[SpecError]:
    """Every place where ``value`` breaks ``sch``, each as :func:`check` names it: an object's missing and unknown
    keys each, and each of its entries checked on its own (a course profile's file reports every mistake)."""
    where = place or "top level"
    if not (isinstance(value, dict) and sch.get("type") == "object"):
        try:
            check(value, sch, place)
        except SpecError as err:
            return [err]
        return []
    out: list[SpecError] = []
    props = sch.get("properties", {})
    if len(value) > sch.get("maxProperties", len(value)):
        return [SpecError(f"{len(value):,} entries, at most {sch['maxProperties']:,} allowed", place=where)]
    misspelt = set()  # an unknown key named beside the missing one it misspells: one mistake, one line
    for key in sch.get("required", ()):
        if key not in value:
            misspelt.add(_close(key, value, props))
            out.append(SpecError(f"missing required key {key!r}{_misspelt(key, value, props)}", place=where))
    for key, item in value.items():
        if key in props:
            out += check_all(item, props[key], join(place, key))
        elif sch.get("additionalProperties", True) is False and key not in misspelt:
            out.append(SpecError(f"unknown key {key!r} (known keys: {', '.join(props)})", place=where))
    return out


def _takes_any_number(sch: dict) -> bool:
    """Whether every finite number fits ``sch`` (a type that includes number, and no other rule)."""
    kinds = sch.get("type", ())
    return "number" in (kinds if isinstance(kinds, list) else [kinds]) and \
        set(sch) <= {"type", "items", "description", "title"}


def _plain_numbers(values: list) -> bool:
    """Whether every entry is a finite int or float (no bool): the fast path for data and weights,
    which can hold millions of numbers; anything else is checked entry by entry, for the message."""
    big = sys.float_info.max
    return all((type(v) is float and math.isfinite(v)) or (type(v) is int and -big <= v <= big) for v in values)


def _parse_int(text: str) -> int | float:
    """A JSON integer; one too long for a float becomes ``inf`` (then "not a finite number"), rather
    than an int that overflows later or trips Python's limit on integer digits."""
    if len(text) <= 300:
        return int(text)
    return float(text)


def loads(text: str, source: str = "") -> Any:
    """Parse JSON text; broken JSON becomes a SpecError naming the line and column."""
    try:
        return json.loads(text, parse_int=_parse_int)
    except json.JSONDecodeError as err:
        raise SpecError(err.msg, source=source, place=f"line {err.lineno}, column {err.colno}") from None
    except RecursionError:
        raise SpecError("JSON nested too deeply", source=source) from None


def read_json(path: str | Path) -> Any:
    """Parse a JSON file; missing files, files that are not regular files or are too big, and broken
    JSON become SpecErrors naming the place."""
    from .files import MAX_NETWORK_FILE_BYTES, read_text

    return loads(read_text(path, MAX_NETWORK_FILE_BYTES), str(path))
