"""Text from a file (a name, a description) in the documents ``bptui export`` writes: one function
per target, used wherever such text is written.

- :func:`latex_text`: plain text for pdflatex. Every character LaTeX reads as markup (``\\ { } $ & #
  ^ _ ~ %``, and ``< > |``, which the default font draws as other glyphs) is escaped, ligatures that
  would change what is shown (``--``, ``````, ``''``, ``!```) are broken, newlines end a paragraph
  (``\\par``, or are spaces in a title: the result is one line either way), and Unicode is written with the commands of LaTeX's base:
  accents (``\\'{e}``), letters (``\\ss{}``), Greek and a few symbols in math (``$\\alpha$``), the
  lecture's superscripts (``f^{(1)}``); anything else as its code point, ``\\texttt{U+4E2D}``. The
  result compiles with ``amsmath``/``amssymb`` alone and no control sequence of the text survives
  (a full-width ``＼`` is not a backslash either).
- :func:`markdown_text`: text that Markdown shows literally: no HTML, links, emphasis, code, math,
  tables, headings, lists, quotes or code blocks; its lines stay lines (hard breaks), or are joined
  with spaces in a one-line heading.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Callable

# -- LaTeX -------------------------------------------------------------------------------------------
_LATEX_SPECIALS = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&", "#": r"\#",
                   "_": r"\_", "%": r"\%", "^": r"\^{}", "~": r"\~{}", "<": r"\textless{}",
                   ">": r"\textgreater{}", "|": r"\textbar{}"}
_LIGATURE_FIRST, _LIGATURE_SECOND = "-`'!?", "-`'"  # --, ``, '', !`, ?` would be drawn as one glyph

_GREEK_LOWER = dict(zip("αβγδεζηθικλμνξπρστυφχψωϵϑϖϱςϕ",
                        "alpha beta gamma delta varepsilon zeta eta theta iota kappa lambda mu nu xi pi rho sigma "
                        "tau upsilon varphi chi psi omega epsilon vartheta varpi varrho varsigma phi".split()))
_GREEK_UPPER = dict(zip("ΓΔΘΛΞΠΣΥΦΨΩ", "Gamma Delta Theta Lambda Xi Pi Sigma Upsilon Phi Psi Omega".split()))
_GREEK_LATIN = dict(zip("ΑΒΕΖΗΙΚΜΝΟΡΤΧο", "ABEZHIKMNOPTXo"))  # Greek letters drawn as Latin ones
# the one table of symbols LaTeX writes in math: text escapes them as $\tau$, math (the formula
# printer's names, indices and sums) as \tau; what it lacks falls back as in text
_MATH = {"ℓ": r"\ell", "‖": r"\|", "≈": r"\approx", "→": r"\to", "←": r"\leftarrow", "·": r"\cdot",
         "×": r"\times", "∂": r"\partial", "∇": r"\nabla", "∑": r"\sum", "∏": r"\prod", "√": r"\surd",
         "∞": r"\infty", "≤": r"\leq", "≥": r"\geq", "≠": r"\neq", "±": r"\pm", "∈": r"\in", "⊙": r"\odot",
         "°": r"^{\circ}", "÷": r"\div", "⋅": r"\cdot", "∘": r"\circ", "∫": r"\int", "≡": r"\equiv",
         "⇒": r"\Rightarrow", "↦": r"\mapsto", "′": r"'", "∅": r"\emptyset", "∀": r"\forall", "∃": r"\exists",
         **{c: "\\" + name for c, name in (_GREEK_LOWER | _GREEK_UPPER).items()}}
_TEXT = {"−": "-", "…": r"\ldots{}", "—": "---", "–": "--", "’": "'", "‘": "`", "“": "``", "”": "''",
         "ß": r"\ss{}", "æ": r"\ae{}", "Æ": r"\AE{}", "œ": r"\oe{}", "Œ": r"\OE{}", "ø": r"\o{}", "Ø": r"\O{}",
         "ł": r"\l{}", "Ł": r"\L{}", "ı": r"\i{}", "¡": r"!`", "¿": r"?`", "§": r"\S{}", "¶": r"\P{}",
         "†": r"\dag{}", "‡": r"\ddag{}", "©": r"\copyright{}", "£": r"\pounds{}", "\u00a0": "~", "⁄": "/",
         **{c: f"${m}$" for c, m in _MATH.items()}, **_GREEK_LATIN}
# combining marks (after NFD) as the accents of LaTeX's OT1 font encoding
_ACCENTS = {"\u0301": "'", "\u0300": "`", "\u0302": "^", "\u0308": '"', "\u0303": "~", "\u0304": "=",
            "\u0307": ".", "\u0306": "u", "\u030c": "v", "\u030b": "H", "\u0327": "c", "\u030a": "r",
            "\u0323": "d", "\u0331": "b"}
_SUPERSCRIPT_CHARS = "⁰¹²³⁴⁵⁶⁷⁸⁹⁽⁾ˡᴸ⁺⁻"
_SUPERSCRIPTS = str.maketrans(_SUPERSCRIPT_CHARS, "0123456789()lL+-")
_SUPERSCRIPT_RUN = re.compile(f"([A-Za-z]?)([{_SUPERSCRIPT_CHARS}]+)")
_NEWLINE = re.compile(r"\r\n|\r|\n")
_SUBSCRIPT_CHARS = "₀₁₂₃₄₅₆₇₈₉₊₋₍₎"
_SUBSCRIPTS = str.maketrans(_SUBSCRIPT_CHARS, "0123456789+-()")
_SCRIPT_RUN = re.compile(f"[{_SUPERSCRIPT_CHARS}]+|[{_SUBSCRIPT_CHARS}]+")
# a character → its LaTeX in math (the optimizer's ε as the lecture writes it, \epsilon)
LATEX_MATH = {**_MATH, "−": "-", "…": r"\ldots", "⋯": r"\cdots", "ᵀ": "^T", "ε": r"\epsilon"}


def latex_math(text: str) -> str:
    """``text`` written in math (an index, a name, a sum's variable) as ASCII LaTeX: each symbol
    through :data:`LATEX_MATH` (τ → ``\\tau``, followed by a space unless it ends the text), runs of
    superscripts and subscripts as ``^{(1)}`` and ``_{1}``; anything else as in text, inside
    ``\\text{}`` (``\\text{\\texttt{U+4E2D}}``)."""
    out: list[str] = []
    at = 0
    for m in _SCRIPT_RUN.finditer(text):
        out.append(_math_plain(text[at:m.start()]))
        run = m.group(0)
        out.append(f"^{{{run.translate(_SUPERSCRIPTS)}}}" if run[0] in _SUPERSCRIPT_CHARS
                   else f"_{{{run.translate(_SUBSCRIPTS)}}}")
        at = m.end()
    out.append(_math_plain(text[at:]))
    return "".join(out)


def _math_plain(text: str) -> str:
    out = ""
    for i, ch in enumerate(text):
        if ch.isascii():
            out += ch
            continue
        piece = LATEX_MATH.get(ch)
        if piece is None:
            compat = unicodedata.normalize("NFKC", ch)
            piece = latex_math(compat) if compat != ch and compat.isascii() else rf"\text{{{_latex_char(ch)}}}"
        elif piece[-1].isalpha() and piece[0] == "\\" and i + 1 < len(text):
            piece += " "  # \tau b, not \taub (and \tau -1, as the lecture's sources space it)
        out += piece
    return out


def latex_text(text: str, line: bool = False) -> str:
    """``text`` (from a file) as LaTeX that shows it and does nothing else; ``line``: for a title or
    a heading, its newlines as spaces (a paragraph cannot end inside one)."""
    paragraphs = [_latex_line(part) for part in _NEWLINE.split(text)]
    return (" " if line else "\\par ").join(paragraphs)


# a power written in plain text: e^(xz), 2^10, x^2 (no nested parentheses); printed as an exponent
_POWER = re.compile(r"\^(?:\(([^()^]+)\)|([A-Za-z0-9.]+))")
_SUP_TEXT = dict(zip("0123456789+-−=()abcdefghijklmnoprstuvwxyzABDEGHIJKLMNOPRTUVW",
                     "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁻⁼⁽⁾ᵃᵇᶜᵈᵉᶠᵍʰⁱʲᵏˡᵐⁿᵒᵖʳˢᵗᵘᵛʷˣʸᶻᴬᴮᴰᴱᴳᴴᴵᴶᴷᴸᴹᴺᴼᴾᴿᵀᵁⱽᵂ"))


def _latex_line(text: str) -> str:
    # e^(xz) → e\textsuperscript{xz}; between them f⁽¹⁾ → f^{(1)}, as the lecture writes it
    return _replaced(text, _POWER, _latex_runs,
                     lambda m: rf"\textsuperscript{{{_latex_plain(m.group(1) or m.group(2))}}}")


def _latex_runs(text: str) -> str:
    return _replaced(text, _SUPERSCRIPT_RUN, _latex_plain,
                     lambda m: rf"\ensuremath{{{m.group(1)}^{{{m.group(2).translate(_SUPERSCRIPTS)}}}}}")


def _replaced(text: str, pattern: re.Pattern, between: Callable[[str], str], match: Callable[[re.Match], str]) -> str:
    """``text`` with each match of ``pattern`` written by ``match`` and the text between by ``between``."""
    out, at = [], 0
    for m in pattern.finditer(text):
        out += [between(text[at:m.start()]), match(m)]
        at = m.end()
    out.append(between(text[at:]))
    return "".join(out)


def _latex_plain(text: str) -> str:
    out = ""
    for ch in text:
        piece = _latex_char(ch)
        if out and out[-1] in _LIGATURE_FIRST and piece[:1] in tuple(_LIGATURE_SECOND):
            out += "{}"  # - then -, ‘ then ‘: two glyphs, not a ligature
        out += piece
    return out


def _latex_char(ch: str) -> str:
    if ch in _LATEX_SPECIALS:
        return _LATEX_SPECIALS[ch]
    if ch == "\t":
        return " "
    if " " <= ch <= "~":
        return ch
    if ch in _TEXT:
        return _TEXT[ch]
    decomposed = unicodedata.normalize("NFD", ch)
    base, marks = decomposed[0], decomposed[1:]
    if marks and all(m in _ACCENTS for m in marks) and base.isascii() and base.isalpha():
        inner = base
        for mark in marks:  # é → \'{e}, ǘ → \'{\"{u}}
            inner = f"\\{_ACCENTS[mark]}{{{inner}}}"
        return inner
    compat = unicodedata.normalize("NFKC", ch)
    if compat != ch:  # ﬁ → fi, Ａ → A, ₁ → 1, ǅ → Dž; ＼ → \textbackslash{}: escaped like the text itself
        return "".join(_latex_char(c) for c in compat)
    if marks:  # an accent the base fonts lack: the letter without it (ά → α)
        return _latex_char(base)
    return rf"\texttt{{U+{ord(ch):04X}}}"


# -- Markdown ----------------------------------------------------------------------------------------
_MD_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", **{c: "\\" + c for c in "\\`*_[]$|#~"}}
_MD_BLOCK_START = re.compile(r"^([-+=])|^(\d+)([.)])")  # a list item, a setext underline, a numbered item


def markdown_text(text: str, line: bool = False) -> str:
    """``text`` (from a file) as Markdown that shows it literally (CommonMark with GitHub's tables,
    strikethrough and math); its lines end with hard breaks, or (``line``, in a heading) are joined
    with spaces. Leading blanks are dropped: they would make a code block."""
    lines = [_md_line(part) for part in _NEWLINE.split(text)]
    return " ".join(lines) if line else "  \n".join(lines)


def _md_power(m: re.Match) -> str:
    """e^(xz) → eˣᶻ where every character has a superscript form, else as written."""
    inner = m.group(1) or m.group(2)
    return "".join(_SUP_TEXT[c] for c in inner) if all(c in _SUP_TEXT for c in inner) else m.group(0)


def _md_line(text: str) -> str:
    text = _POWER.sub(_md_power, text)
    text = "".join(_MD_ESCAPES.get(c, c) for c in text.replace("\t", " ").strip(" "))
    return _MD_BLOCK_START.sub(lambda m: "\\" + m[1] if m[1] else m[2] + "\\" + m[3], text)


__all__ = ["latex_text", "markdown_text"]
