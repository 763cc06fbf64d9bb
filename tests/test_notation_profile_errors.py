"""A course profile's file with several mistakes (issue 23: "one error line per mistake in it"): the file read
one error line however many mistakes it held. Now every mistake is reported, each on an ``error:`` line naming
the file and its place, exit 2, no traceback.

By classes, with hypothesis: a shipped profile's file (profile_json) mutated at several places apart from each
other, each mutation a mistake on its own (test_notation's classes of bad values: wrong types, empty and
over-long text, control characters, LaTeX commands outside the list, braces, a value of another field), through
``bptui trace --notation FILE``: one line per mistake at least, each mutation's place named.
"""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bptui.cli import main
from bptui.core.formulas.profiles import PROFILES, profile_json

from .test_notation import BAD_VALUES, _DELETE, _paths, _set, _valid


def _leaves(doc):
    return [p for p, v in _paths(doc) if p and not isinstance(v, dict)]


def _apart(a: tuple, b: tuple) -> bool:
    """Two places of which neither holds the other, nor do they share an object: their mistakes are apart."""
    return a[:-1] != b[:-1] and a[:len(b)] != b and b[:len(a)] != a


def _named(place: tuple, line: str) -> bool:
    where = ".".join(map(str, place))
    holder = ".".join(map(str, place[:-1])) or "top level"
    return f": {where}: " in line or f": {holder}: " in line


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_every_mistake_in_a_profile_file_is_an_error_line(tmp_path_factory, data):
    name = data.draw(st.sampled_from(list(PROFILES)))
    doc = profile_json(PROFILES[name])
    doc["name"] = "mine"
    base = doc
    places: list[tuple] = []
    for place in data.draw(st.permutations(_leaves(doc))):
        if len(places) == 5:
            break
        if not all(_apart(place, p) for p in places):
            continue
        bad = [v for v in BAD_VALUES if not _valid(_set(base, place, v))]  # a mistake on its own here
        if bad:
            places.append(place)
            doc = _set(doc, place, data.draw(st.sampled_from(bad)))
    if not places:
        return
    path = tmp_path_factory.mktemp("course") / "mine.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    import contextlib
    import io

    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        code = main(["trace", "xor", "--notation", str(path)])
    lines = err.getvalue().splitlines()
    assert code == 2
    assert "Traceback" not in err.getvalue()
    assert all(line.startswith(f"error: {path}: ") for line in lines), lines
    assert len(lines) >= len(places), (places, lines)
    for place in places:
        assert any(_named(place, line) for line in lines), (place, lines)


def test_six_mistakes_are_six_lines(tmp_path, capsys):
    doc = profile_json(PROFILES["ng"])
    doc.update(name="mine", bias="both", vectors=3, unit_base=7, extra=1)
    doc["symbols"]["loss"]["latex"] = r"\input{x}"
    doc["symbols"]["bias"]["text"] = ""
    path = tmp_path / "mine.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    assert main(["trace", "xor", "--notation", str(path)]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 6, lines
    assert {line.split(": ")[2] for line in lines} == {"bias", "vectors", "unit_base", "top level",
                                                       "symbols.loss.latex", "symbols.bias.text"}, lines
