"""The grader's sum_for_mean in a mean profile's page (issue 23): the mistake read "a mean taken where the file
sums", the lecture's words, where ng's page asks for the mean J = (1/k) Σₙ ℒ⁽ⁿ⁾ itself: a student who divides
that mean once more is told the mean the page expected, in the page's symbols; the lecture's page keeps its words."""

from __future__ import annotations

import pytest

from bptui.cli import main
from bptui.grade import class_text, grade, grade_text, load_key, ClassGrade


@pytest.mark.parametrize("notation, words", [
    ("ng", "a mean divided once more: the page's J = (1/k) Σₙ ℒ⁽ⁿ⁾ and dW^[l] = (1/m) Σ are means already"),
    ("cs231n", "a mean divided once more: the page's L = (1/k) Σₙ Lₙ and dWˡ = (1/m) Σ are means already"),
    (None, "a mean taken where the file sums: ℓ⁽ⁿ⁾/d⁽ᴸ⁾, ℓ_D/n, G⁽ˡ⁾/n (n: the examples so far)"),
])
def test_a_mean_divided_again_is_named_with_the_mean_the_page_asked_for(tmp_path, notation, words):
    named = ["--notation", notation] if notation else []
    assert main(["export", "xor", "--exercise", *named, "--answers", str(tmp_path / "key.md"),
                 "--output", str(tmp_path / "page.md"), "--epochs", "1"]) == 0
    key = load_key(tmp_path / "key.json")
    losses = sorted((n for n, b in key.blanks.items() if b["quantity"] == "loss_D"), key=lambda n: key.blanks[n]["step"])
    third = losses[2]  # ℓ_D after three examples: the page's J = ℓ_D/3 in a mean profile
    per = {n: int(b.get("divided_by", 1)) for n, b in key.blanks.items()}
    assert per[third] == (3 if notation else 1)
    answers = {n: float(b["value"]) / per[n] for n, b in key.blanks.items()}
    answers[third] = float(key.blanks[third]["value"]) / per[third] / 3  # the page's number divided by 3 again
    g = grade(key, answers)
    wrong = [b for b in g.blanks if b.verdict == "wrong"]
    assert [b.blank for b in wrong] == [third] and wrong[0].mistake is not None
    assert wrong[0].mistake.id == "sum_for_mean"
    text = "\n".join(grade_text(g, 1.0))
    assert f"mistake sum_for_mean: {words}" in text, text
    if notation:
        assert "where the file sums" not in text
    g.student = "ada"
    summary = "\n".join(class_text(ClassGrade([g], []), 1.0))
    assert words.split(":")[0] in summary, summary
