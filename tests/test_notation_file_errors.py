"""A course profile file with several mistakes (issue 23): the app reports every one, an ``error: FILE: PLACE: …``
line each, as the CLI does, exit status 2, never a traceback."""

from __future__ import annotations

import json
from pathlib import Path

from bptui.core.util import validate
from bptui.examples import resolve

# three mistakes: a layer index that is none, a unit base that is none, a LaTeX command that reads a file
THREE = {"kind": "notation", "name": "course",
         "symbols": {"pre_activation": {"text": "z", "latex": "z"}, "activation": {"text": "a", "latex": "a"},
                     "delta": {"text": "δ", "latex": "\\delta"}, "gradient": {"text": "d{}", "latex": "d{}"},
                     "weights": {"text": "W", "latex": "W"}, "bias": {"text": "b", "latex": "\\input{b}"},
                     "loss": {"text": "J", "latex": "J"}, "learning_rate": {"text": "α", "latex": "\\alpha"}},
         "bias": "separate", "vectors": "column", "layer_index": "curly", "unit_base": 7, "gradient": "mean"}
PLACES = ["layer_index", "unit_base", "symbols.bias.latex"]


def _bad_network(folder: Path) -> tuple[dict, str]:
    (folder / "bad.json").write_text(json.dumps(THREE, ensure_ascii=False), encoding="utf-8")
    doc = validate.read_json(resolve("xor"))
    doc["notation"] = "bad.json"
    path = folder / "xor_bad.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return validate.read_json(path), str(path)


def _places(lines: list[str], bad: Path) -> list[str]:
    assert all(line.startswith(f"error: {bad}: ") for line in lines), lines
    return sorted(line.split(": ")[2] for line in lines)


def test_the_app_reports_every_mistake_of_the_files_course_profile(tmp_path, monkeypatch, capsys):
    from textual.app import App

    from bptui.tui import app as tui_app

    doc, path = _bad_network(tmp_path)
    # the app after its first frame reads the file's "notation" (BptuiApp.load_network), headless here
    monkeypatch.setattr(tui_app.BptuiApp, "run", lambda self: App.run(self, headless=True, size=(120, 40)))
    assert tui_app.run(doc, path) == 2
    err = capsys.readouterr().err
    lines = err.splitlines()
    assert len(lines) == 3 and "Traceback" not in err, err
    assert _places(lines, tmp_path / "bad.json") == sorted(PLACES)


def test_the_cli_reports_the_same_three_lines(tmp_path, capsys):
    from bptui.cli import main

    doc, path = _bad_network(tmp_path)
    for argv in (["trace", path], ["trace", "--notation", str(tmp_path / "bad.json"), "xor"]):
        assert main(argv) == 2
        assert _places(capsys.readouterr().err.splitlines(), tmp_path / "bad.json") == sorted(PLACES), argv

