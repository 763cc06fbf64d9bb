"""A teacher from another course (Andrew Ng's, CS231n, their own profile file) trying bptui in that
course's notation as a newcomer: what they hit, each pinned by a pilot test."""

from __future__ import annotations

import pytest

from bptui.cli import main

from .conftest import NETWORKS


@pytest.mark.parametrize("notation, blank, hint", [
    ("ng", "z,a", "ng's z is s, a is o, dz is delta, dW and db are G"),
    ("ng", "dz", "ng's z is s, a is o, dz is delta, dW and db are G"),
    ("cs231n", "scores", "cs231n's scores is s, h is o, dscores is delta, dW and db are G"),
    ("goodfellow", "a", "goodfellow's a is s, h is o, g is delta"),
])
def test_an_exercise_blanking_the_profiles_names_is_refused_not_empty(tmp_path, capsys, notation, blank, hint):
    """An ng teacher asks `--blank z,a` (his pre-activation and activation): the names are attention's
    z and a, which xor has none of, so the page came out with no blank at all (exit 0) and the key
    empty. Now the export refuses it with one error line that says which names the page's quantities
    keep in every notation, before writing anything."""
    out, key = tmp_path / "page.md", tmp_path / "key.md"
    assert main(["export", str(NETWORKS / "xor.json"), "--notation", notation, "--exercise", "--blank", blank,
                 "--output", str(out), "--answers", str(key)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1, err
    assert "xor.json" in err and f"--blank {blank}" in err and "no blank" in err and hint in err, err
    assert not out.exists() and not key.exists()


def test_an_exercise_whose_part_writes_no_blanked_quantity_is_refused(capsys):
    """`--blank W --example 1` on a full-batch network: example 1 has no update, so the page had no
    blank (exit 0). Now: one error line; the lecture's names need no hint."""
    assert main(["export", str(NETWORKS / "xor.json"), "--exercise", "--blank", "W", "--example", "1"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    err = captured.err
    assert err.startswith("error: ") and err.count("\n") == 1 and "--blank W" in err and "no blank" in err, err
    assert " is s," not in err


def test_an_exercise_with_blanks_in_a_profile_still_goes(capsys):
    """The same page with the quantities' own names blanks them (the refusal is only for none)."""
    assert main(["export", str(NETWORKS / "xor.json"), "--notation", "ng", "--exercise", "--blank", "s,o",
                 "--example", "1"]) == 0
    assert "(1)" in capsys.readouterr().out


def test_variants_for_a_platform_without_a_blank_are_refused(tmp_path, capsys):
    """`--variants 2 --format moodle --blank z,a` in ng wrote two cloze questions with no blank in
    them (exit 0). Now: one error line, and no variant's network file is left behind."""
    folder = tmp_path / "v"
    assert main(["export", str(NETWORKS / "xor.json"), "--notation", "ng", "--exercise", "--blank", "z,a",
                 "--variants", "2", "--output", str(folder), "--format", "moodle"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and "no blank" in err, err
    assert not folder.exists() or not any(folder.iterdir()), sorted(p.name for p in folder.iterdir())


# -- a course's own profile file, written from docs/notation.md alone ----------------------------------------
COURSE = {
    "kind": "notation", "name": "bishop",
    "symbols": {
        "pre_activation": {"text": "a", "latex": "a"}, "activation": {"text": "z", "latex": "z"},
        "delta": {"text": "δ", "latex": "\\delta"}, "gradient": {"text": "∂E/∂{}", "latex": "\\partial E/\\partial {}"},
        "weights": {"text": "w", "latex": "w"}, "bias": {"text": "b", "latex": "b"},
        "loss": {"text": "E", "latex": "E"}, "learning_rate": {"text": "η", "latex": "\\eta"}},
    "bias": "separate", "vectors": "column", "layer_index": "paren", "unit_base": 1, "gradient": "sum",
}


def _course(tmp_path, **symbols):
    import copy
    import json

    doc = copy.deepcopy(COURSE)
    doc["symbols"].update(symbols)
    path = tmp_path / "course.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return path


def _refused(capsys, path) -> str:
    assert main(["trace", str(NETWORKS / "xor.json"), "--notation", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.startswith("error: ") and captured.err.count("\n") == 1, captured
    assert "course.json: " in captured.err, captured.err
    return captured.err


def test_the_course_profile_from_the_manual_traces_xor(tmp_path, capsys):
    """The profile written from the manual alone works: its symbols, the same numbers."""
    assert main(["trace", str(NETWORKS / "xor.json"), "--notation", str(_course(tmp_path))]) == 0
    out = capsys.readouterr().out
    assert "a⁽¹⁾ = w⁽¹⁾ z⁽⁰⁾ + b⁽¹⁾ = [[0.5, −0.4], [0.3, 0.6]] [0, 0] + [0.1, −0.2] = [0.1, −0.2]" in out
    assert "End of epoch 1: E_D = 1.042" in out


@pytest.mark.parametrize("text", ["δ\n", "δ\nδ", "\tδ"])
def test_a_symbol_with_a_line_break_is_refused(tmp_path, capsys, text):
    """`"text": "δ\\n"` was taken (the schema's pattern ^\\S+( \\S+)*$ was searched with Python's $,
    which matches before a final line break), and every equation with δ broke in two lines of the
    trace. Now it is one error line naming the file and the place, in words, not a regular expression."""
    err = _refused(capsys, _course(tmp_path, delta={"text": text, "latex": "\\delta"}))
    assert "symbols.delta.text" in err and "^" not in err and "\\S" not in err, err


def test_an_empty_symbol_is_refused_in_words(tmp_path, capsys):
    err = _refused(capsys, _course(tmp_path, delta={"text": "", "latex": "\\delta"}))
    assert "symbols.delta.text" in err and "\\S" not in err and "one line" in err, err


@pytest.mark.parametrize("field, other", [("activation", "pre_activation"), ("bias", "weights")])
def test_two_quantities_under_one_symbol_are_refused(tmp_path, capsys, field, other):
    """A course that gives the activation the pre-activation's letter had its trace read
    `a⁽¹⁾ = tanh(a⁽¹⁾)`: two quantities under one name. Now one error line names both."""
    same = dict(COURSE["symbols"][other])
    err = _refused(capsys, _course(tmp_path, **{field: same}))
    assert f"symbols.{field}.text" in err and other in err, err



async def _saved_notation(app, saved) -> str:
    """The ``"notation"`` that ``w`` writes into ``saved`` (a name in the working folder) from ``app``."""
    import json

    from .tui_helpers import until

    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("w")
        app.screen.query_one("#value").value = saved.name
        await pilot.press("enter")
        await until(pilot, saved.exists, f"w writes {saved.name}")  # written to a temporary name, renamed into place
    return json.loads(saved.read_text(encoding="utf-8"))["notation"]

async def test_w_saves_a_course_profile_beside_the_file_by_a_relative_path(tmp_path, monkeypatch):
    """`w` in a course's profile wrote `"notation": "/home/teacher/course/bishop.json"`: the file a
    teacher hands out, with the profile beside it, failed on every student's machine. A profile in the
    saved file's folder (or below it) is now named relative to that folder, as the manual reads it
    (`"notation": "course.json"` is read relative to the network file); the pair opens anywhere."""
    import json
    import shutil

    from bptui.core.formats.spec import load_any
    from bptui.core.formulas.profiles import load_profile
    from bptui.examples import resolve
    from bptui.tui.app import BptuiApp

    course = tmp_path / "course"
    (course / "profiles").mkdir(parents=True)
    monkeypatch.chdir(course)
    monkeypatch.delenv("BPTUI_SAVE_DIR", raising=False)
    for where, saved in ((course / "course.json", "course.json"),
                         (course / "profiles" / "course.json", "profiles/course.json")):
        where.write_text(json.dumps(COURSE, ensure_ascii=False), encoding="utf-8")
        (course / "saved.json").unlink(missing_ok=True)
        assert await _saved_notation(BptuiApp(load_any(resolve("xor")), load_profile(where)), course / "saved.json") == saved
    moved = shutil.move(str(course), str(tmp_path / "handed-out"))
    monkeypatch.chdir(tmp_path)
    assert main(["trace", f"{moved}/saved.json"]) == 0


async def test_w_names_a_profile_outside_the_folder_by_its_absolute_path(tmp_path, monkeypatch):
    """A profile elsewhere (not in the saved file's folder) keeps its absolute path: moving the saved
    file alone does not lose it."""
    import json

    from bptui.core.formats.spec import load_any
    from bptui.core.formulas.profiles import load_profile
    from bptui.examples import resolve
    from bptui.tui.app import BptuiApp

    (tmp_path / "out").mkdir()
    where = tmp_path / "course.json"
    where.write_text(json.dumps(COURSE, ensure_ascii=False), encoding="utf-8")
    monkeypatch.chdir(tmp_path / "out")
    monkeypatch.delenv("BPTUI_SAVE_DIR", raising=False)
    saved = await _saved_notation(BptuiApp(load_any(resolve("xor")), load_profile(where)), tmp_path / "out" / "saved.json")
    assert saved == str(where.resolve())


@pytest.mark.parametrize("fmt, forward", [("markdown", r"\mathit{scores}^{l} = h^{l-1} W^{l} + b^{l}"),
                                          ("latex", r"\mathit{scores}^{l} = h^{l-1} W^{l} + b^{l}")])
def test_the_exports_notation_section_writes_cs231ns_rows(capsys, fmt, forward):
    """A CS231n teacher's worked solution said, in its notation list, `Forward: scores^l = W^l h^{l−1} +
    b^l` — the column vectors' product — two lines above its own rules `scores¹ = h⁰ W¹ + b¹` and every
    step's x W + b. The notation list now writes the profile's forward rule, the one tree the manual's
    table and the help print."""
    assert main(["export", "xor", "--notation", "cs231n", "--format", fmt]) == 0
    out = capsys.readouterr().out
    line = next(x for x in out.splitlines() if "Forward:" in x)
    assert forward in line and r"W^{l} h^{l-1}" not in line, line


@pytest.mark.parametrize("name, notation, lines", [
    ("parity", "cs231n", ["dW¹, dU¹ and db¹", "dW² and db²"]),
    ("gru_parity", "ng", ["dW^[1], dU^[1], db^[1] and db^[1]_{h}", "dW^[2] and db^[2]"]),
    ("moons_layernorm", "ng", ["dW^[1] and db^[1]", "dγ^[2] and dβ^[2]", "dW^[4] and db^[4]"]),
    ("deep_residual", "ng", ["dW^[1] and db^[1]", "dW^[3] and db^[3]", "dW^[4] and db^[4]", "dW^[6] and db^[6]",
                             "dW^[7] and db^[7]", "dW^[8] and db^[8]"]),
    ("deep_residual", "lecture13", ["G⁽¹⁾", "G⁽³⁾", "G⁽⁴⁾", "G⁽⁶⁾", "G⁽⁷⁾", "G⁽⁸⁾"]),
])
def test_check_names_each_layers_own_gradients(capsys, name, notation, lines):
    """`bptui check parity --notation cs231n` said `dW¹ and db¹` for the rnn, whose U (dU¹) it checked
    too; a layer norm's line said `dW^[2] and db^[2]` for its γ and β, and a dropout layer or a residual
    block, which has no weights, had a line `dW^[3] and db^[3]: max relative error 0.00e0` (`G⁽²⁾` in
    the lecture's). Each line now names the gradients the layer's panel and steps name, and a layer
    without weights has none."""
    assert main(["check", name, "--notation", notation]) == 0
    out = capsys.readouterr().out.splitlines()
    names = [line.split(": max relative error")[0].strip() for line in out if ": max relative error" in line
             and not line.startswith("overall")]
    assert names == lines, out


def test_the_readme_tells_a_newcomer_about_the_notation_profiles():
    """The front page said only "in the notation of the lecture it follows": a teacher from Ng's or
    CS231n's course learnt from it nothing of `--notation`. It now names the option, every shipped
    profile and a course's own file, and links the manual's section."""
    import re
    from pathlib import Path

    from bptui.core.formulas.profiles import PROFILES

    text = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    assert "--notation" in text and "docs/notation.md#notation-profiles-every-courses-symbols" in text
    assert all(re.search(rf"`(--notation )?{name}`", text) for name in PROFILES if name != "lecture13")
    assert "docs/notation.md#a-courses-own-profile" in text


def test_train_in_a_mean_profile_prints_the_mean_its_trace_ends_the_epoch_with(capsys):
    """`bptui train xor --notation ng` printed `epoch 1: J = 1.04207`, the lecture's sum, where
    `bptui trace xor --notation ng` ends epoch 1 with `J = 0.2605` (ng's J is the mean), and its table
    headed the sum `loss J = Σₙ J⁽ⁿ⁾`. Now each epoch's J is the mean the trace and the app show, and
    the table calls the sum a sum and J the mean."""
    assert main(["train", "xor", "--notation", "ng", "--epochs", "3"]) == 0
    out = capsys.readouterr().out
    assert "epoch      1: J = 0.260516" in out and "1.04207" not in out, out
    assert "loss J = Σₙ" not in out and "J = mean ℒ⁽ⁿ⁾" in out, out
    assert main(["trace", "xor", "--notation", "ng"]) == 0
    assert "End of epoch 1: J = 0.2605" in capsys.readouterr().out
    assert main(["train", "xor", "--epochs", "3"]) == 0  # the lecture's ℓ_D is a sum, as before
    out = capsys.readouterr().out
    assert "epoch      1: ℓ_D = 1.04207" in out and "loss ℓ = Σₙ ℓ⁽ⁿ⁾" in out, out


def test_a_misspelt_key_is_named_beside_the_missing_one(tmp_path, capsys):
    """A course file with `"activaton"` said only `symbols: missing required key 'activation'`, and the
    teacher looked for a key that is there. Now the line names the misspelling too."""
    import copy
    import json

    doc = copy.deepcopy(COURSE)
    doc["symbols"]["activaton"] = doc["symbols"].pop("activation")
    path = tmp_path / "course.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    err = _refused(capsys, path)
    assert "symbols: missing required key 'activation'" in err and "'activaton'" in err, err
    net = json.loads((NETWORKS / "xor.json").read_text(encoding="utf-8"))
    net["lyers"] = net.pop("layers")  # a network file's likewise
    (tmp_path / "net.json").write_text(json.dumps(net), encoding="utf-8")
    assert main(["trace", str(tmp_path / "net.json")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "missing required key 'layers'" in err and "'lyers'" in err, err


@pytest.mark.parametrize("name, a, zeroed", [("ng", 0, "db^[1] is zeroed"), ("ng", 1, "dW^[1] is zeroed"),
                                             ("cs231n", 0, "db¹ is zeroed"), ("lecture13", 0, "G⁽¹⁾ is zeroed")])
def test_a_bias_gradient_not_yet_summed_says_its_own_b_is_zeroed(name, a, zeroed):
    """The side panel on ng's db₂^[1] before any example's dz reached it said `dW^[1] is zeroed at the
    start of each update group`: the b the cell belongs to is apart from W in the profile. It now says
    `db^[1] is zeroed` for a b cell (W's cells and the lecture's G keep theirs)."""
    from bptui.core.engine.stepper import Stepper
    from bptui.core.formats.spec import load_any
    from bptui.core.formulas.profiles import PROFILES
    from bptui.core.teaching.explain import Cell, explain
    from bptui.examples import resolve

    stepper = Stepper(load_any(resolve("xor")), notation=PROFILES[name])
    for _ in range(7):  # layer 2's G, not yet layer 1's
        stepper.forward()
    text = explain(stepper, Cell("G", 1, 2, a), 4).text()
    assert zeroed + " at the start of each update group" in text, text
