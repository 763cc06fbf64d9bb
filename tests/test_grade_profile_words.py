"""Every grader mistake worded through the page's profile (issue 23): a blank of an ng key answered with δ
without ⊙ f′ read "fprime_omitted: δ without ⊙ f′(s): … δ⁽ˡ⁾ = (W⁽ˡ⁺¹⁾ᵀ δ⁽ˡ⁺¹⁾)[1:]", the lecture's letters
and its bias row on an ng page (a separate b: no [1:]). Now:

- the grade of an ng key, a delta blank answered with the f′-omitted value: named in ng's dz, no [1:];
- the property: every mistake's words in every shipped profile name no quantity by the lecture's symbol where
  the profile writes another (the set made from the profiles' data, as test_notation_words does), and a
  separate-bias profile's words drop no bias row ([1:]); the lecture's words unchanged.
"""

from __future__ import annotations

import re

import pytest

from bptui.cli import main
from bptui.core.formulas.profiles import PROFILES
from bptui.grade import grade, grade_text, load_key
from bptui.mistakes import BY_ID, MISTAKES

from .test_notation_words import lecture_only


def test_an_ng_page_names_fprime_omitted_in_ngs_symbols(tmp_path):
    assert main(["export", "xor", "--exercise", "--notation", "ng", "--answers", str(tmp_path / "key.md"),
                 "--output", str(tmp_path / "page.md"), "--epochs", "1"]) == 0
    key = load_key(tmp_path / "key.json")
    per = {n: int(b.get("divided_by", 1)) for n, b in key.blanks.items()}
    answers = {n: float(b["value"]) / per[n] for n, b in key.blanks.items()}
    hidden = next(n for n, b in key.blanks.items() if b["quantity"] == "delta" and b["layer"] == 1)
    a = next(float(key.blanks[d]["value"]) for d in key.blanks[hidden]["depends_on"] if key.blanks[d]["quantity"] == "o")
    answers[hidden] = float(key.blanks[hidden]["value"]) / (1 - a * a)  # dz^[1] without ⊙ tanh′(z^[1])
    g = grade(key, answers)
    wrong = [b for b in g.blanks if b.verdict == "wrong"]
    assert [b.blank for b in wrong] == [hidden] and wrong[0].mistake is not None
    assert wrong[0].mistake.id == "fprime_omitted"
    text = "\n".join(grade_text(g, 1.0))
    assert ("mistake fprime_omitted: dz without ⊙ f′(z): the activation's derivative left out: "
            "dz^[l] = W^[l+1]ᵀ dz^[l+1]") in text, text
    assert "[1:]" not in text and "δ" not in text


def _words(name):
    return {m.id: m.words(PROFILES[name]) for m in MISTAKES}


@pytest.mark.parametrize("name", [n for n in PROFILES if n != "lecture13"])
def test_every_mistake_is_worded_in_the_profile(name):
    P = PROFILES[name]
    lecture = lecture_only(P)
    for mid, (description, formula) in _words(name).items():
        text = f"{description}: {formula}"
        tokens = set(re.findall(r"[^\W\d_]+|[δηℓ]", text.replace("'s", "")))
        assert not tokens & lecture, (mid, text, tokens & lecture)
        if P.separate_bias:
            assert "[1:]" not in text, (mid, text)


def test_the_lectures_words_are_unchanged():
    assert BY_ID["fprime_omitted"].words(None) == (
        "δ without ⊙ f′(s): the activation's derivative left out", "δ⁽ˡ⁾ = (W⁽ˡ⁺¹⁾ᵀ δ⁽ˡ⁺¹⁾)[1:] (at the output: ∂ℓ/∂o⁽ᴸ⁾)")
    assert BY_ID["fprime_omitted"].words(PROFILES["lecture13"]) == BY_ID["fprime_omitted"].words(None)


def test_ngs_fprime_omitted_reads_dz():
    assert BY_ID["fprime_omitted"].words(PROFILES["ng"]) == (
        "dz without ⊙ f′(z): the activation's derivative left out", "dz^[l] = W^[l+1]ᵀ dz^[l+1] (at the output: da^[L])")
