"""A course's notation reaches every course platform's files: `bptui export --format gift|moodle|qti|prairielearn|
gradescope --variants N --notation P` writes each blank's name, its explanation and the grader's names in the
profile P given on the command line (a shipped one or a course's own file), never the lecture's; the variants
folder keeps its copy of a course's file, and each variant's network file names it relatively."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from bptui.cli import main
from bptui.core.formulas.profiles import notation_for

# each platform's file(s) with the questions or the grader's names, under the output folder
PLATFORMS = {"gift": ("questions.gift",), "moodle": ("moodle.xml",), "qti": ("canvas-qti.zip",),
             "prairielearn": ("prairielearn/xor/question.html", "prairielearn/xor/server.py"),
             "gradescope": ("gradescope.zip",)}

COURSE = {"kind": "notation", "name": "course",
          "symbols": {"pre_activation": {"text": "z", "latex": "z"}, "activation": {"text": "a", "latex": "a"},
                      "delta": {"text": "δ", "latex": "\\delta"},
                      "gradient": {"text": "∂J/∂{}", "latex": "\\partial J/\\partial {}"},
                      "weights": {"text": "Θ", "latex": "\\Theta"}, "bias": {"text": "b", "latex": "b"},
                      "loss": {"text": "J", "latex": "J"}, "learning_rate": {"text": "α", "latex": "\\alpha"}},
          "bias": "separate", "vectors": "column", "layer_index": "bracket", "unit_base": 1, "gradient": "mean",
          "input_layer": 0}


def _texts(folder: Path, files: tuple[str, ...]) -> str:
    """Every file's text, a zip's members' too."""
    out = []
    for name in files:
        path = folder / name
        if path.suffix == ".zip":
            with zipfile.ZipFile(path) as z:
                out += [z.read(member).decode("utf-8") for member in z.namelist()]
        else:
            out.append(path.read_text(encoding="utf-8"))
    return "\n".join(out)


@pytest.mark.parametrize("notation", ["ng", "course"])
@pytest.mark.parametrize("platform", sorted(PLATFORMS))
def test_a_profile_on_the_command_line_reaches_every_platforms_files(tmp_path, capsys, platform, notation):
    teacher = tmp_path / "teacher"
    teacher.mkdir()
    profile = teacher / "course.json"
    profile.write_text(json.dumps(COURSE, ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "out"
    given = str(profile) if notation == "course" else notation
    assert main(["export", "xor", "--variants", "2", "--seed", "1", "--steps", "1:4", "--exercise", "--format",
                 platform, "--notation", given, "--output", str(out)]) == 0
    capsys.readouterr()
    text = _texts(out, PLATFORMS[platform])
    names = text.replace("\\\\u2081", "₁").replace("\\u2081", "₁")  # the graders' JSON escapes (in a Python string)
    assert "z₁^[1]" in names and "s₁⁽¹⁾" not in names, (platform, notation)  # blank 1: the pre-activation z₁^[1]
    for i in (1, 2):
        variant = out / f"variant-0{i}.json"
        doc = json.loads(variant.read_text(encoding="utf-8"))
        assert doc["notation"] == ("course.json" if notation == "course" else "ng")  # relative: the folder is whole
        assert notation_for(None, doc["notation"], str(variant)).name == notation  # it opens on a student's machine
    assert (out / "course.json").exists() == (notation == "course")
