"""Exercises, keys, variants and parts of a run (`bptui export --exercise …`), and PDF.

The exercise and its key are checked against golden files (read before they were committed), the
blanks against the key one to one, every key against `bptui trace` of the same file, the parts of a
run against the full run's numbering, and bad options against the one-line error rule.
"""

import json
import re
import shutil

import numpy as np
import pytest

from bptui.cli import main
from bptui.core.formulas.formula import LatexPrinter, TextPrinter
from bptui.core.formats.spec import load_any
from bptui.exercise import Blanker, example_part, parse_quantities, steps_part
from bptui.export import export

from .conftest import NETWORKS, ROOT

GOLDEN = ROOT / "tests" / "golden"
FIRST = re.compile(r"\((\d+)\)\\,\\underline")  # where a blank is asked
AGAIN = re.compile(r"\\mathbf\{\((\d+)\)\}")  # where it appears again
ENTRY = re.compile(r"\$\((\d+)\)\\; (.+?) = (.+?)\$")
STEP = re.compile(r"^\*\*Step (\d+)\*\*: (.*)$")


@pytest.mark.parametrize("name", ["xor", "lecture13"])
def test_golden_exercise_and_key(tmp_path, capsys, name):
    key = tmp_path / "key.md"
    assert main(["export", str(NETWORKS / f"{name}.json"), "--exercise", "--answers", str(key)]) == 0
    assert capsys.readouterr().out == (GOLDEN / f"{name}-exercise.md").read_text(encoding="utf-8")
    assert key.read_text(encoding="utf-8") == (GOLDEN / f"{name}-key.md").read_text(encoding="utf-8")


def key_entries(text: str) -> list[tuple[int, int, str, str]]:
    """(step, number, symbol, value) of every entry of a Markdown key."""
    out = []
    for line in text.splitlines():
        m = STEP.match(line)
        if m:
            out += [(int(m.group(1)), int(n), sym, value) for n, sym, value in ENTRY.findall(m.group(2))]
    return out


def blanks_match_key(exercise: str, key: str) -> int:
    """Every blank is asked once, numbered 1, 2, … in order; it reappears only after it was asked;
    the key has exactly those numbers. Returns how many."""
    asked = [int(n) for n in FIRST.findall(exercise)]
    assert asked == list(range(1, len(asked) + 1))
    for m in AGAIN.finditer(exercise):
        first = FIRST.search(exercise, 0, m.start())
        assert int(m.group(1)) in {int(n) for n in FIRST.findall(exercise[:m.start()])}, m.group(0)
        assert first is not None
    assert [n for _, n, _, _ in key_entries(key)] == asked
    return len(asked)


@pytest.mark.parametrize("name, options", [
    ("xor", []), ("xor", ["--epochs", "2"]), ("xor", ["--blank", "G,W"]), ("moons", ["--example", "20", "--blank", "delta"]),
    ("xor", ["--blank-every", "3"]), ("chain", ["--epochs", "3"]), ("classifier", []), ("regression", []),
    ("deep_relu", ["--steps", "1:40"]), ("moons", ["--example", "20"]), ("iris", ["--example", "5", "--epochs", "2"]),
    ("lecture13", []), ("lecture13_expression", ["--blank", "adjoint"]),
])
def test_blanks_and_key_entries_match_one_to_one(tmp_path, capsys, name, options):
    key = tmp_path / "key.md"
    assert main(["export", name, "--exercise", "--answers", str(key), *options]) == 0
    n = blanks_match_key(capsys.readouterr().out, key.read_text(encoding="utf-8"))
    assert n > 0


def test_a_blank_never_gives_its_answer_away_later(capsys):
    """No value of the key, as the worked solution prints it, appears in the exercise (xor, two epochs:
    the updated weights are used again in epoch 2, G and ℓ_D are summed over the examples)."""
    spec = load_any(NETWORKS / "xor.json")
    blanker = Blanker(spec)
    text = "\n".join(export(spec, "markdown", 2, None, blanker))
    printer = LatexPrinter(4)
    telling = {printer._num(e.value) for e in blanker.entries if len(printer._num(abs(e.value))) >= 5}
    assert len(telling) > 100
    assert [v for v in telling if re.search(rf"(?<![\d.]){re.escape(v)}(?!\d)", text)] == []
    assert "tanh(0.06938)" not in text and r"\tanh(\mathbf{(90)})" in text  # epoch 2 starts from the answers
    assert r"\begin{bmatrix} \mathbf{(81)} & \mathbf{(82)} & \mathbf{(83)}" in text  # W⁽¹⁾ after the update


def test_the_givens_stay_and_blank_every_thins_the_sheet(capsys):
    spec = load_any(NETWORKS / "xor.json")
    full = Blanker(spec)
    list(export(spec, "markdown", 1, None, full))
    light = Blanker(spec, parse_quantities("s,o,delta"), every=2)
    text = "\n".join(export(spec, "markdown", 1, None, light))
    chosen = sorted({e.step for e in full.entries if e.symbol.base in "soδ"})  # s⁽¹⁾ o⁽¹⁾ s⁽²⁾ o⁽²⁾ δ⁽²⁾ δ⁽¹⁾ …
    assert len(chosen) == 24 and sorted({e.step for e in light.entries}) == chosen[::2]
    assert {e.symbol.base for e in light.entries} == {"s", "δ"}  # every other one of them
    assert r"\begin{bmatrix} 0.1 & 0.5 & -0.4 \\ -0.2 & 0.3 & 0.6 \end{bmatrix}" in text  # the file's W⁽¹⁾
    # o⁽¹⁾ of example 1 (step 2) is no blank, but it is tanh of blanks (1), (2): its formula, never its number
    step2 = text.split("**Step 2**")[1].split("**Step 3**")[0]
    assert r"\tanh(\mathbf{(1)})" in step2 and "0.09967" not in text
    assert "0.3128" not in text and r"\ell_{\mathcal{D}} = \text{(its formula above)}" in text  # ℓ⁽¹⁾ and ℓ_D too


def trace_rows(capsys, path) -> dict[int, dict]:
    assert main(["trace", str(path), "--format", "json"]) == 0
    return {row["step"]: row for row in map(json.loads, capsys.readouterr().out.splitlines())}


SYMBOL = re.compile(r"^(s|o|\\delta|G|w)_\{(\d+)(?:,(\d+))?\}\^\{\((\d+)\)\}$")


def traced(rows: dict[int, dict], step: int, symbol: str, L: int) -> float:
    """The number ``symbol`` of step ``step``, read off ``bptui trace --format json``."""
    row = rows[step]
    if symbol == r"\ell_{\mathcal{D}}":
        epoch = row["epoch"]
        return sum(r["value"] for s, r in rows.items() if s <= step and r["epoch"] == epoch and r["quantity"] == "loss")
    if symbol.startswith(r"\ell^"):
        assert row["quantity"] == "loss" and symbol == rf"\ell^{{({row['example']})}}"
        return row["value"]
    m = SYMBOL.match(symbol)
    if m is None:  # a graph: a node's value or adjoint
        node = re.sub(r"\\mathit\{(.+)\}", r"\1", symbol.removeprefix("g_{").removesuffix("}"))
        assert row["node"] == node and row["quantity"] == ("adjoint" if symbol.startswith("g_{") else "value")
        return row["value"]
    base, b, a, layer = m.group(1), int(m.group(2)), m.group(3), int(m.group(4))
    assert row["layer"] == layer and row["quantity"] == {"s": "s", "o": "o", r"\delta": "delta", "G": "G", "w": "W"}[base]
    value = np.asarray(row["value"])
    if a is not None:
        return float(value[b - 1, int(a)])
    return float(value[b] if base == "o" and layer < L else value[b - 1])


def key_equals_trace(capsys, key_text: str, network) -> int:
    spec = load_any(network)
    entries = key_entries(key_text)
    if spec.kind == "network":  # the key may reach into later epochs: trace up to its last step's
        from bptui.core.engine.stepper import Stepper

        epochs = -(-max(step for step, *_ in entries) // len(Stepper(spec).schedule))
        assert main(["trace", str(network), "--format", "json", "--epochs", str(max(1, epochs))]) == 0
        rows = {row["step"]: row for row in map(json.loads, capsys.readouterr().out.splitlines())}
    else:
        rows = trace_rows(capsys, network)
    printer = LatexPrinter(4)
    for step, _, symbol, shown in entries:
        assert shown == printer._num(traced(rows, step, symbol, getattr(spec, "L", 0))), (step, symbol)
    return len(entries)


# three variants of each network, drawn with a seed of its own: another seed draws other numbers by the same
# code (what --seed does is test_variants_are_the_same_for_the_same_seed's); three seeds of each network drew
# nine variants at three times the time (classifier's two epochs: 11 s)
@pytest.mark.parametrize("name, options, seed", [("xor", ["--round", "2"], 0), ("lecture13", [], 1),
                                                 ("moons", ["--example", "20"], 2), ("classifier", ["--epochs", "2"], 0)])
def test_every_variant_key_equals_its_trace(tmp_path, capsys, seed, name, options):
    out = tmp_path / "class"
    assert main(["export", name, "--variants", "3", "--seed", str(seed), "--output", str(out), *options]) == 0
    capsys.readouterr()
    names = sorted(p.name for p in out.iterdir())
    assert names == [f"variant-0{i}{ext}" for i in (1, 2, 3) for ext in ("-key.json", "-key.md", ".json", ".md")]
    docs = []
    for i in (1, 2, 3):
        key = (out / f"variant-0{i}-key.md").read_text(encoding="utf-8")
        exercise = (out / f"variant-0{i}.md").read_text(encoding="utf-8")
        n = blanks_match_key(exercise, key)
        assert key_equals_trace(capsys, key, out / f"variant-0{i}.json") == n > 0
        docs.append(json.loads((out / f"variant-0{i}.json").read_text(encoding="utf-8")))
    original = load_any(NETWORKS / f"{name}.json")
    if original.kind == "graph":
        inputs = [d["inputs"] for d in docs]
        assert len({json.dumps(x) for x in inputs}) == 3 and all(x != dict(original.inputs) for x in inputs)
        for x in inputs:
            assert all(abs(x[k] - v) <= max(0.5, abs(v) / 2) + 0.05 for k, v in original.inputs)
        return
    assert len({json.dumps(d["weights"]) for d in docs}) == 3
    for d in docs:
        variant = load_any(out / "variant-01.json")
        assert d["layers"] == original.raw["layers"] and d["loss"] == original.raw.get("loss", "squared")
        assert [np.shape(w) for w in d["weights"]] == [w.shape for w in original.weights]
        assert variant.N == original.N
    if name == "xor":  # --round 2: two decimals at most
        assert all(round(x, 2) == x for w in docs[0]["weights"] for row in w for x in row)
    if name == "moons":  # the generator draws its data anew
        assert len({d["data"]["seed"] for d in docs}) == 3 and all(d["data"]["generator"] == "moons" for d in docs)


def test_variants_are_the_same_for_the_same_seed(tmp_path, capsys):
    for folder, seed in (("a", "5"), ("b", "5"), ("c", "6")):
        assert main(["export", "xor", "--variants", "2", "--seed", seed, "--output", str(tmp_path / folder)]) == 0
    same = [(tmp_path / f / "variant-02.json").read_text(encoding="utf-8") for f in "abc"]
    assert same[0] == same[1] != same[2]
    assert (tmp_path / "a" / "variant-02-key.md").read_text() == (tmp_path / "b" / "variant-02-key.md").read_text()
    text = same[0]  # a file people edit by hand: a matrix row per line
    assert '  "weights": [\n    [[' in text and "],\n     [" in text
    assert "seed 5" in json.loads(text)["description"]


@pytest.mark.parametrize("name, steps", [("xor", "9:12"), ("xor", "36:41"), ("moons", "170:190"),
                                         ("lecture13", "6:9")])
def test_steps_keep_the_full_runs_numbers_and_equations(capsys, name, steps):
    a, b = map(int, steps.split(":"))
    spec = load_any(NETWORKS / f"{name}.json")
    part = steps_part(spec, steps)
    full = "\n".join(export(spec, "markdown", part.epochs))
    assert main(["export", name, "--steps", steps]) == 0
    text = capsys.readouterr().out
    numbers = [int(n) for n in re.findall(r"^\*\*Step (\d+)\*\*", text, re.M)]
    assert numbers == list(range(a, b + 1))
    for n in numbers:  # each step's block is the full run's
        block = re.search(rf"\*\*Step {n}\*\* .*?\$\$\n(.*?)\$\$", full, re.S)
        assert block is not None and block.group(1) in text


@pytest.mark.parametrize("name, n, epoch", [("xor", 4, 1), ("xor", 2, 2), ("moons", 20, 1), ("moons", 3, 1),
                                            ("regression", 7, 1), ("iris", 30, 2)])
def test_an_example_is_its_steps_of_the_full_run_and_its_update(capsys, name, n, epoch):
    spec = load_any(NETWORKS / f"{name}.json")
    assert main(["trace", name, "--format", "json", "--epochs", str(epoch)]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    mine = [r["step"] for r in rows if r["epoch"] == epoch and r["example"] == n]
    after = mine[-1] + 1
    while after <= len(rows) and rows[after - 1]["phase"] == "update" and rows[after - 1]["epoch"] == epoch:
        mine.append(after)
        after += 1
    part = example_part(spec, n, epoch)
    assert (part.first, part.last) == (mine[0], mine[-1]) and mine == list(range(mine[0], mine[-1] + 1))
    options = ["--example", str(n)] + (["--epochs", str(epoch)] if epoch > 1 else [])
    assert main(["export", name, *options]) == 0
    text = capsys.readouterr().out
    assert [int(s) for s in re.findall(r"^\*\*Step (\d+)\*\*", text, re.M)] == mine
    assert f"### Example $n = {n}$" in text and f"example n = {n} of epoch {epoch}" in text
    has_update = rows[mine[-1] - 1]["phase"] == "update"
    assert ("### Update" in text) == has_update
    if (name, n) in (("xor", 4), ("moons", 20)):
        assert has_update  # the last example of its update group: its update follows


@pytest.mark.parametrize("options, message", [
    (["--steps", "5:2"], "--steps: '5:2': need 1 ≤ A ≤ B"),
    (["--steps", "x"], "--steps: 'x' is not a range A:B"),
    (["--example", "5"], "xor.json: --example: 5 is out of range: the data has 4 training examples"),
    (["--example", "0"], "--example: 0 must be at least 1"),
    (["--example", "1", "--steps", "1:2"], "give one"),
    (["--blank", "s,mu", "--exercise"], "--blank: unknown quantity 'mu'"),
    (["--blank", "s"], "add --exercise"),
    (["--variants", "3"], "--variants needs --output DIR"),
    (["--variants", "3", "--output", "x", "--answers", "k.md"], "each key is written beside its variant"),
    (["--seed", "3"], "--seed and --round draw variants"),
    (["--format", "pdf"], "--format pdf writes a file"),
    (["--exercise", "--format", "csv"], "not csv"),
    (["--round", "-1", "--variants", "2"], "must be 0 or more"),
    (["--exercise", "--answers", "key2.json"], "name the key a person reads (KEY.md"),
])
def test_bad_options_are_one_error_line(capsys, options, message):
    assert main(["export", str(NETWORKS / "xor.json"), *options]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and message in err, err


@pytest.mark.parametrize("options", [["--blank", "delta", "--epochs", "2"], ["--blank", "G,W", "--epochs", "2"],
                                     ["--blank-every", "2", "--epochs", "2"], ["--blank", "s", "--steps", "1:45"]])
def test_a_partial_choice_over_two_update_groups_is_refused(tmp_path, capsys, options):
    """After the first update every number would be a formula in the blanks: one error line, exit 2,
    and nothing written (stdout, the exercise, the key, a variant's network file)."""
    out, key = tmp_path / "ex.md", tmp_path / "key.md"
    for args in ([], ["--output", str(out), "--answers", str(key)]):
        assert main(["export", "xor", "--exercise", *options, *args]) == 2
        std = capsys.readouterr()
        assert std.out == "" and std.err.count("\n") == 1 and std.err.startswith("error: ")
        assert re.search(r"from step (39|40) on \(after the update at step 37\) every number would be a formula", std.err)
        assert "--example N" in std.err and "blank every quantity" in std.err
    assert not out.exists() and not key.exists() and not (tmp_path / "key.json").exists()
    if "--steps" not in options:
        assert main(["export", "xor", *options, "--variants", "2", "--output", str(tmp_path / "class")]) == 2
        assert list((tmp_path / "class").iterdir()) == []
    capsys.readouterr()
    # the same choice over one update group is made, and the default over two
    assert main(["export", "xor", "--exercise", *options[:2], "--output", str(out)]) == 0
    assert main(["export", "xor", "--exercise", "--epochs", "2", "--output", str(out)]) == 0


def test_bad_graph_parts_and_unwritable_places(tmp_path, capsys):
    assert main(["export", "lecture13", "--steps", "3:40"]) == 2
    assert "lecture13.json: --steps: 3:40: the graph has 16 steps" in capsys.readouterr().err
    assert main(["export", "lecture13", "--example", "1"]) == 2
    assert "a computation graph has no examples" in capsys.readouterr().err
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert main(["export", "xor", "--variants", "2", "--output", str(blocker / "sub")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {blocker / 'sub'}: cannot make the folder") and err.count("\n") == 1
    assert main(["export", "xor", "--exercise", "--answers", str(tmp_path / "no" / "key.md")]) == 2
    assert f"error: {tmp_path / 'no' / 'key.md'}: cannot write" in capsys.readouterr().err
    assert not list(tmp_path.glob("**/.*.tmp"))  # no half-written file left behind


def test_pdf_without_pdflatex_says_so(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    assert main(["export", "xor", "--format", "pdf", "--output", str(tmp_path / "x.pdf")]) == 2
    err = capsys.readouterr().err
    assert err == (f"error: {tmp_path / 'x.pdf'}: --format pdf needs pdflatex, which is not installed: install TeX Live "
                   "(e.g. apt-get install texlive-latex-base texlive-latex-extra), or write --format latex and "
                   "compile it elsewhere\n")
    assert not (tmp_path / "x.pdf").exists()


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex is not installed (texlive-latex-base)")
def test_pdf_of_an_exercise_its_key_and_variants(tmp_path, capsys):
    ex, key = tmp_path / "ex.pdf", tmp_path / "key.pdf"
    assert main(["export", "xor", "--exercise", "--format", "pdf", "--output", str(ex), "--answers", str(key)]) == 0
    assert ex.read_bytes().startswith(b"%PDF") and key.read_bytes().startswith(b"%PDF")
    assert json.loads((tmp_path / "key.json").read_text(encoding="utf-8"))["options"]["format"] == "pdf"
    assert main(["export", "lecture13", "--variants", "2", "--format", "pdf", "--output", str(tmp_path / "v")]) == 0
    assert sorted(p.name for p in (tmp_path / "v").iterdir()) == [
        "variant-01-key.json", "variant-01-key.pdf", "variant-01.json", "variant-01.pdf", "variant-02-key.json",
        "variant-02-key.pdf", "variant-02.json", "variant-02.pdf"]
    assert main(["export", "classifier", "--exercise", "--format", "latex", "--output", str(tmp_path / "c.tex"),
                 "--answers", str(tmp_path / "c-key.tex")]) == 0
    assert (tmp_path / "c-key.tex").read_text().startswith(r"\documentclass")
    # a recurrent exercise: two stacked layers, blanks at each τ (s⁽¹⁾_{τ,b} …)
    ex, key = tmp_path / "rnn.pdf", tmp_path / "rnn-key.pdf"
    assert main(["export", "stacked_parity", "--exercise", "--example", "1", "--format", "pdf", "--output", str(ex),
                 "--answers", str(key)]) == 0
    assert ex.read_bytes().startswith(b"%PDF") and key.read_bytes().startswith(b"%PDF")
    assert {b["time"] for b in json.loads((tmp_path / "rnn-key.json").read_text(encoding="utf-8"))["blanks"]} >= {1, 2}


def test_a_hidden_identity_layers_delta_has_no_factor_in_the_exercise():
    """δ⁽¹⁾ = (W⁽²⁾ᵀ δ⁽²⁾)[1:] = (13), (14): no ``1`` after the bracket, and the key's values are those."""
    from bptui.core.formats.spec import parse

    from .test_formula import IDENTITY_HIDDEN

    spec = parse(IDENTITY_HIDDEN, "identity.json")
    blanker = Blanker(spec)
    text = "\n".join(export(spec, "markdown", 1, None, blanker))
    blank = r"\,\underline{\hphantom{000000000}}"  # room for 9 characters (or the answer's, if longer)
    assert ("\\delta^{(1)} &= \\left(W^{(2)T} \\delta^{(2)}\\right)_{1:} \\\\\n"
            f" &= \\begin{{bmatrix}} (13){blank} \\\\ (14){blank} \\end{{bmatrix}}") in text
    step8 = text.split("**Step 8**")[1].split("**Step 9**")[0]
    assert r"\right)_{1:} 1" not in step8 and r"\odot" not in step8
    d2 = [e.value for e in blanker.entries if e.label == 10]  # δ⁽²⁾, blank (10) at step 6
    entries = [(e.label, e.step, TextPrinter().p(e.symbol), e.value) for e in blanker.entries if e.step == 8]
    assert entries == [(13, 8, "δ₁⁽¹⁾", 0.7 * d2[0]), (14, 8, "δ₂⁽¹⁾", -0.8 * d2[0])]


def test_graph_variants_describe_their_own_inputs_and_powers_are_raised(tmp_path, capsys):
    out = tmp_path / "class"
    assert main(["export", "lecture13", "--variants", "3", "--seed", "5", "--output", str(out)]) == 0
    capsys.readouterr()
    for i in (1, 2, 3):
        doc = json.loads((out / f"variant-0{i}.json").read_text(encoding="utf-8"))
        x, z = doc["inputs"]["x"], doc["inputs"]["z"]
        said = f"at x = {x:g}, z = {z:g}".replace("-", "−")
        assert said in doc["description"] and "x = 2, z = 3" not in doc["description"], doc["description"]
        page = (out / f"variant-0{i}.md").read_text(encoding="utf-8")
        assert "y = eˣᶻ + xz/ln(x)" in page and "e^(xz)" not in page
    assert main(["export", "lecture13", "--format", "latex"]) == 0
    assert r"y = e\textsuperscript{xz} + xz/ln(x)" in capsys.readouterr().out


@pytest.mark.parametrize("name", ["xor", "deep_relu"])
def test_blanks_leave_room_for_their_answers_and_the_title_is_at_the_top(capsys, name):
    spec = load_any(NETWORKS / f"{name}.json")
    blanker = Blanker(spec)
    text = "\n".join(export(spec, "latex", 1, None, blanker))
    title = name.replace("_", "\\_")
    assert r"\maketitle" not in text and rf"\begin{{center}}{{\LARGE Exercise: {title}\par}}\end{{center}}" in text
    for e in blanker.entries:
        shown = "0" if e.value == 0 else f"{e.value:.4g}"
        room = "0" * max(9, len(shown))
        assert rf"({e.label})\,\underline{{\hphantom{{{room}}}}}" in text
    assert name == "xor" or any(len(f"{e.value:.4g}") > 9 for e in blanker.entries)  # −0.0003046: longer than 9


@pytest.mark.parametrize("kind, shape", [("lstm", "stacked"), ("gru", "dense_before"), ("lstm", "over_rnn")])
def test_variants_of_a_gated_network(tmp_path, kind, shape):
    """--variants of a small gated network (tests/test_gated_reference.py's): each variant draws new [W │ U]
    of the file's shapes (an LSTM's 4h rows, a GRU's U with its own bias column), its page asks exactly its
    key's blanks, and its JSON key is the variant's own run (the grader's replay of the variant's file
    gives every blank's value)."""
    from bptui.grade import Replay, load_key

    from .test_gated_reference import random_doc

    doc = random_doc(3, shape, n=2, kind=kind, rows=4 if kind == "lstm" else 3)
    path = tmp_path / f"{kind}.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    out = tmp_path / "class"
    assert main(["export", str(path), "--variants", "2", "--seed", "5", "--example", "2", "--output", str(out)]) == 0
    drawn = []
    for i in (1, 2):
        variant = json.loads((out / f"variant-0{i}.json").read_text(encoding="utf-8"))
        assert variant["layers"] == doc["layers"]
        for w, v in zip(doc["weights"], variant["weights"]):
            assert (np.shape(w) == np.shape(v)) if not isinstance(w, dict) else \
                {k: np.shape(m) for k, m in w.items()} == {k: np.shape(m) for k, m in v.items()}
        drawn.append(json.dumps(variant["weights"]))
        n = blanks_match_key((out / f"variant-0{i}.md").read_text(encoding="utf-8"),
                             (out / f"variant-0{i}-key.md").read_text(encoding="utf-8"))
        key = load_key(out / f"variant-0{i}-key.json")
        assert len(key.blanks) == n > 100
        assert {b["quantity"] for b in key.blanks.values()} >= {"gates", "dh", "delta", "G", "W"}
        Replay(key)  # raises unless every blank's value is the variant's run's
    assert len(set(drawn)) == 2 and json.dumps(doc["weights"]) not in drawn


def test_a_message_groups_every_count_one_way(capsys):
    """``--steps`` past the limit: every count in the message grouped by thousands, the part's steps too
    (not "999,999,999,999 steps" beside "steps 1 to 999999999999"); ``count`` groups as the messages do."""
    from bptui.core.formulas.notation import count

    code = main(["export", str(NETWORKS / "xor.json"), "--steps", "1:999999999999"])
    err = capsys.readouterr().err
    assert code != 0 and "steps 1 to 999,999,999,999 of the run" in err, err
    assert not re.search(r"\d{4}", err), err  # every count of more than three digits grouped
    assert (count(1, "weight"), count(100480, "weight")) == ("1 weight", "100,480 weights")
