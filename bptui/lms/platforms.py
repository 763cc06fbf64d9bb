"""The formats courses import: ``bptui export FILE --variants N --format FORMAT --output DIR``.

Beside the variants (network files, Markdown exercise pages, keys and their JSON), one file a course
platform imports, made from the JSON keys alone (each blank's value, tolerance atol + rtol·|value|
as an absolute one, formula, explanation):

- ``moodle`` → ``DIR/moodle.xml``: Moodle XML, one Cloze question per variant (its exercise page
  attached), each blank a NUMERICAL sub-question ``{1:NUMERICAL:=value:tolerance}``, the blanks'
  worked steps as general feedback, all in one category (for Moodle's random question);
- ``gift`` → ``DIR/questions.gift``: a numerical question per blank ``{#value:tolerance}``, a
  ``$CATEGORY:`` per variant;
- ``qti`` → ``DIR/canvas-qti.zip``: QTI 1.2 as Canvas imports it (as text2qti writes it): an
  ``imsmanifest.xml`` and an assessment per variant, a numerical item per blank (exact answer with
  a margin);
- ``prairielearn`` → ``DIR/prairielearn/NAME/``: ``info.json``, ``question.html`` (a
  ``pl-number-input`` per blank), ``server.py`` (:mod:`bptui.lms.grader` with the keys embedded),
  the pages in ``clientFilesQuestion/``;
- ``gradescope`` → ``DIR/gradescope.zip``: ``setup.sh`` and ``run_autograder`` (the same grader).

Text from a file (a name, a description) is escaped for each target here: HTML's ``& < > " '``,
and ``{ }`` as character references, so that neither Moodle's Cloze parser nor PrairieLearn's
Mustache reads them; GIFT's ``~ = # { } : \\`` with a backslash; XML by ElementTree.
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import json
import re
import uuid
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable

from . import FORMATS

HERE = Path(__file__).parent
GRADER = HERE / "grader.py"
SETUP = HERE / "setup.sh"
POOL_LINE = "POOL: list[dict[str, Any]] = []  # bptui: pool"
TOPIC = "Backpropagation"
# uuid5's namespace for PrairieLearn questions: a question's uuid is uuid5(NAMESPACE, "SHA-256 of the
# network file:seed"), so a re-export of the same file and seed updates the same question
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://github.com/bptui/bptui/prairielearn")
ZIP_TIME = (2020, 1, 1, 0, 0, 0)  # every zip entry's time: the same files give the same zip


class PlatformError(ValueError):
    """A key a platform cannot take (a value that is no finite number)."""


@dataclass(frozen=True)
class Variant:
    """One variant as the platforms see it: its number, network name and description, exercise
    page (a Markdown file beside it) and JSON key document."""

    number: int
    name: str
    description: str
    page: Path
    key: dict


# -- the files each format writes ---------------------------------------------------------------------
def safe_name(name: str) -> str:
    """A folder name from a network's name: letters, digits, ``_`` and ``-`` (PrairieLearn's QIDs)."""
    return re.sub(r"[^A-Za-z0-9_-]+", "_", name).strip("_")[:60] or "bptui"


FILE_NAMES = {"moodle": "moodle.xml", "gift": "questions.gift", "qti": "canvas-qti.zip", "gradescope": "gradescope.zip"}
PL_FILES = ("info.json", "question.html", "server.py")  # and the pages in clientFilesQuestion/
PL_PAGES = "clientFilesQuestion"


def pl_folder(folder: Path, name: str) -> Path:
    return folder / "prairielearn" / safe_name(name)


def outputs(fmt: str, folder: Path, name: str, pages: Iterable[Path]) -> list[tuple[Path, str]]:
    """The files ``fmt`` writes into ``folder`` (each with what it is), to check before any work."""
    if fmt in FILE_NAMES:
        return [(folder / FILE_NAMES[fmt], f"the {fmt} file")]
    q = pl_folder(folder, name)
    return [*((q / n, f"PrairieLearn's {n}") for n in PL_FILES),
            *((q / PL_PAGES / p.name, f"PrairieLearn's copy of {p.name}") for p in pages)]


@dataclass(frozen=True)
class Source:
    """The network the variants were drawn from: its name, description, file content and the seed."""

    name: str
    description: str
    network: bytes
    seed: int


def write(fmt: str, folder: Path, variants: list[Variant], source: Source,
          put: Callable[[Path, str | bytes], None]) -> list[Path]:
    """Write ``fmt``'s files for ``variants`` of ``source`` into ``folder`` with ``put(path, data)``
    (a write to a temporary name and a rename)."""
    for v in variants:
        for b in v.key["blanks"]:
            if not isinstance(b["value"], (int, float)):
                raise PlatformError(f"variant {v.number}: blank {b['blank']} ({b['name']}) is {b['value']}: "
                                    f"--format {fmt} asks for numbers (choose --steps or --example before it)")
    files: dict[Path, str | bytes]
    if fmt in FILE_NAMES:
        makers: dict[str, Callable[[list[Variant], Source], str | bytes]] = {
            "moodle": moodle_xml, "gift": gift, "qti": qti_zip, "gradescope": gradescope_zip}
        files = {folder / FILE_NAMES[fmt]: makers[fmt](variants, source)}
    else:
        files = prairielearn(pl_folder(folder, source.name), variants, source)
    for path, data in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        put(path, data)
    return list(files)


# -- text -------------------------------------------------------------------------------------------
def number(x: float) -> str:
    """A float at full precision, as every platform reads it (``-0.2354``, ``1.5e-05``)."""
    return repr(float(x))


def asked(b: dict) -> float:
    """The number the page asks for: the key's value, divided by ``divided_by`` (a mean profile's G/m)."""
    return float(b["value"]) / int(b.get("divided_by", 1))


def tolerance(b: dict) -> float:
    """The key's tolerance as an absolute one around the number asked: (atol + rtol·|value|)/divided_by."""
    return (float(b["atol"]) + float(b["rtol"]) * abs(float(b["value"]))) / int(b.get("divided_by", 1))


def html_text(text: str) -> str:
    """Text as HTML that shows it: ``& < > " '`` escaped, ``{ }`` as character references (no Cloze
    sub-question, no Mustache tag), a newline a ``<br>``."""
    return html.escape(text, quote=True).replace("{", "&#123;").replace("}", "&#125;").replace("\n", "<br>")


def blank_label(b: dict) -> str:
    return f"({b['blank']}) {b['name']}"


def intro_html(v: Variant, link: str | None) -> str:
    """The question's opening: the variant's name and description, and where its exercise is."""
    page = html_text(v.page.name)
    where = f'<a href="{html_text(link)}">{page}</a>' if link else f"<code>{page}</code>"
    return (f'<p class="bptui-name"><b>{html_text(v.name)}</b></p>\n'
            f'<p class="bptui-description">{html_text(v.description)}</p>\n'
            f"<p>Work out the numbered blanks, (1) ____, of the exercise {where}, step by step.</p>\n")


def by_step(blanks: list[dict]) -> list[tuple[int, list[dict]]]:
    groups: list[tuple[int, list[dict]]] = []
    for b in blanks:
        if not groups or groups[-1][0] != b["step"]:
            groups.append((b["step"], []))
        groups[-1][1].append(b)
    return groups


def feedback_html(v: Variant) -> str:
    """Every blank's worked step (the key's explanation), as preformatted text."""
    parts = [f"{blank_label(b)}\n{b['explanation']}" for b in v.key["blanks"]]
    return "<pre>" + html.escape("\n\n".join(parts), quote=True).replace("{", "&#123;").replace("}", "&#125;") + "</pre>"


def _xml(root: ET.Element) -> bytes:
    ET.indent(root, space=" ")
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="utf-8") + b"\n"


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    e = ET.SubElement(parent, tag, attrs)
    if text is not None:
        e.text = text
    return e


def category(name: str, seed: int) -> str:
    """Moodle's category path for the variants (``/`` separates categories: none from the name)."""
    return f"$course$/top/bptui {name.replace('/', '-')} seed {seed}"


# -- Moodle XML -------------------------------------------------------------------------------------
def cloze(b: dict) -> str:
    return f"{{1:NUMERICAL:={number(asked(b))}:{number(tolerance(b))}}}"


def moodle_xml(variants: list[Variant], source: Source) -> bytes:
    """One Cloze question per variant, in one category: its text the intro and a line per step with
    a NUMERICAL sub-question per blank; the page attached; the worked steps as general feedback."""
    name, seed = source.name, source.seed
    quiz = ET.Element("quiz")
    cat = _sub(quiz, "question", type="category")
    _sub(_sub(cat, "category"), "text", category(name, seed))
    for v in variants:
        q = _sub(quiz, "question", type="cloze")
        _sub(_sub(q, "name"), "text", v.name)
        body = intro_html(v, f"@@PLUGINFILE@@/{v.page.name}")
        for step, group in by_step(v.key["blanks"]):
            body += (f"<p>Step {step}: " + ", ".join(f"{html_text(blank_label(b))} = {cloze(b)}" for b in group)
                     + "</p>\n")
        text = _sub(q, "questiontext", format="html")
        _sub(text, "text", body)
        _sub(text, "file", base64.b64encode(v.page.read_bytes()).decode("ascii"), name=v.page.name, path="/",
             encoding="base64")
        _sub(_sub(q, "generalfeedback", format="html"), "text", feedback_html(v))
        _sub(q, "penalty", "0")
        _sub(q, "hidden", "0")
        _sub(q, "idnumber", f"bptui-{safe_name(name)}-{seed}-{v.number}")
    return _xml(quiz)


# -- GIFT -------------------------------------------------------------------------------------------
_GIFT_SPECIAL = re.compile(r"([~=#{}:\\])")


def gift_text(text: str) -> str:
    """Text for GIFT: ``~ = # { } :`` and the backslash escaped with a backslash."""
    return _GIFT_SPECIAL.sub(r"\\\1", text)


def gift(variants: list[Variant], source: Source) -> str:
    """A numerical question per blank, ``{#value:tolerance####the worked step}``, a category per variant."""
    lines = []
    for v in variants:
        lines += [f"$CATEGORY: {gift_text(category(source.name, source.seed))}/variant {v.number:02d}", ""]
        intro = intro_html(v, None)
        for b in v.key["blanks"]:
            title = gift_text(f"{v.name} {blank_label(b)}")
            text = gift_text(intro + f"<p>Step {b['step']}: {html_text(blank_label(b))} = ?</p>").replace("\n", " ")
            worked = gift_text(f"<pre>{html.escape(b['explanation'], quote=True)}</pre>").replace("\n", "&#10;")
            lines += [f"::{title}::[html]{text}{{#{number(asked(b))}:{number(tolerance(b))}####{worked}}}", ""]
    return "\n".join(lines)


# -- QTI 1.2 for Canvas -----------------------------------------------------------------------------
QTI_NS = "http://www.imsglobal.org/xsd/ims_qtiasiv1p2"
CP_NS = "http://www.imsglobal.org/xsd/imsccv1p1/imscp_v1p1"
CANVAS_NS = "http://canvas.instructure.com/xsd/cccv1p0"
XSI = "{http://www.w3.org/2001/XMLSchema-instance}schemaLocation"  # the schemas each file names, as text2qti's do
ET.register_namespace("xsi", "http://www.w3.org/2001/XMLSchema-instance")


def _field(parent: ET.Element, label: str, entry: str) -> None:
    f = _sub(parent, "qtimetadatafield")
    _sub(f, "fieldlabel", label)
    _sub(f, "fieldentry", entry)


def qti_ident(v: Variant) -> str:
    return f"bptui_assessment_{v.number:04d}"


def qti_assessment(v: Variant) -> bytes:
    """A variant's assessment: a numerical item per blank, right within value ± tolerance."""
    ident = qti_ident(v)
    root = ET.Element("questestinterop", {"xmlns": QTI_NS,
                                          XSI: f"{QTI_NS} http://www.imsglobal.org/xsd/ims_qtiasiv1p2p1.xsd"})
    a = _sub(root, "assessment", ident=ident, title=v.name)
    _field(_sub(a, "qtimetadata"), "cc_maxattempts", "1")
    section = _sub(a, "section", ident="root_section")
    for b in v.key["blanks"]:  # the variant's intro is the quiz's description (qti_meta)
        n = b["blank"]
        item = _sub(section, "item", ident=f"{ident}_blank_{n}", title=blank_label(b))
        meta = _sub(_sub(item, "itemmetadata"), "qtimetadata")
        _field(meta, "question_type", "numerical_question")
        _field(meta, "points_possible", "1")
        _field(meta, "original_answer_ids", f"{ident}_answer_{n}")
        _field(meta, "assessment_question_identifierref", f"{ident}_ref_{n}")
        pres = _sub(item, "presentation")
        _sub(_sub(pres, "material"), "mattext",
             f"<p>{html_text(v.page.name)}, step {b['step']}: {html_text(blank_label(b))} = ?</p>", texttype="text/html")
        fib = _sub(_sub(pres, "response_str", ident="response1", rcardinality="Single"), "render_fib",
                   fibtype="Decimal")
        _sub(fib, "response_label", ident="answer1")
        proc = _sub(item, "resprocessing")
        _sub(_sub(proc, "outcomes"), "decvar", maxvalue="100", minvalue="0", varname="SCORE", vartype="Decimal")
        always = _sub(proc, "respcondition", **{"continue": "Yes"})  # the worked step, right or wrong
        _sub(_sub(always, "conditionvar"), "other")
        _sub(always, "displayfeedback", feedbacktype="Response", linkrefid="general_fb")
        cond = _sub(proc, "respcondition", **{"continue": "No"})
        either = _sub(_sub(cond, "conditionvar"), "or")
        value, tol = asked(b), tolerance(b)
        _sub(either, "varequal", number(value), respident="response1")
        both = _sub(either, "and")
        _sub(both, "vargte", number(value - tol), respident="response1")
        _sub(both, "varlte", number(value + tol), respident="response1")
        _sub(cond, "setvar", "100", action="Set", varname="SCORE")
        fb = _sub(item, "itemfeedback", ident="general_fb")
        _sub(_sub(_sub(fb, "flow_mat"), "material"), "mattext", f"<pre>{html.escape(b['explanation'])}</pre>",
             texttype="text/html")
    return _xml(root)


def qti_meta(v: Variant) -> bytes:
    """Canvas's assessment_meta.xml: the quiz's title, description and points."""
    ident = qti_ident(v)
    quiz = ET.Element("quiz", {"identifier": ident, "xmlns": CANVAS_NS,
                               XSI: f"{CANVAS_NS} https://canvas.instructure.com/xsd/cccv1p0.xsd"})
    points = f"{len(v.key['blanks']):.1f}"
    for tag, text in (("title", v.name), ("description", intro_html(v, None)), ("shuffle_answers", "false"),
                      ("scoring_policy", "keep_highest"), ("hide_results", ""), ("quiz_type", "assignment"),
                      ("points_possible", points), ("show_correct_answers", "false"), ("allowed_attempts", "1"),
                      ("one_question_at_a_time", "false"), ("cant_go_back", "false"), ("available", "false")):
        _sub(quiz, tag, text)
    assignment = _sub(quiz, "assignment", identifier=f"{ident}_assignment")
    for tag, text in (("title", v.name), ("workflow_state", "unpublished"), ("quiz_identifierref", ident),
                      ("points_possible", points), ("grading_type", "points"), ("submission_types", "online_quiz")):
        _sub(assignment, tag, text)
    _sub(quiz, "assignment_group_identifierref", "bptui_assignment_group")
    return _xml(quiz)


def qti_manifest(variants: list[Variant], name: str, seed: int) -> bytes:
    root = ET.Element("manifest", {"identifier": f"bptui_manifest_{safe_name(name)}_{seed}", "xmlns": CP_NS,
                                   XSI: f"{CP_NS} http://www.imsglobal.org/xsd/imscp_v1p1.xsd"})
    meta = _sub(root, "metadata")
    _sub(meta, "schema", "IMS Content")
    _sub(meta, "schemaversion", "1.1.3")
    _sub(root, "organizations")
    resources = _sub(root, "resources")
    for v in variants:
        ident = qti_ident(v)
        r = _sub(resources, "resource", identifier=ident, type="imsqti_xmlv1p2")
        _sub(r, "file", href=f"{ident}/{ident}.xml")
        _sub(r, "dependency", identifierref=f"{ident}_dependency")
        d = _sub(resources, "resource", identifier=f"{ident}_dependency",
                 type="associatedcontent/imscc_xmlv1p1/learning-application-resource", href=f"{ident}/assessment_meta.xml")
        _sub(d, "file", href=f"{ident}/assessment_meta.xml")
    return _xml(root)


def zipped(files: dict[str, bytes], executable: Iterable[str] = ()) -> bytes:
    """A zip of ``files`` (name → content; a name ending in ``/`` a folder), each with the same time;
    ``executable`` ones mode 755."""
    buffer = io.BytesIO()
    run = set(executable)
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for name, data in files.items():
            info = zipfile.ZipInfo(name, ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = (0o100755 if name in run else 0o100644) << 16
            if name.endswith("/"):  # a folder
                info.external_attr = 0o40755 << 16 | 0x10
            z.writestr(info, data)
    return buffer.getvalue()


def qti_zip(variants: list[Variant], source: Source) -> bytes:
    files = {"imsmanifest.xml": qti_manifest(variants, source.name, source.seed), "non_cc_assessments/": b""}  # as text2qti
    for v in variants:
        ident = qti_ident(v)
        files[f"{ident}/{ident}.xml"] = qti_assessment(v)
        files[f"{ident}/assessment_meta.xml"] = qti_meta(v)
    return zipped(files)


# -- the standalone grader (PrairieLearn, Gradescope) ------------------------------------------------
GRADED = ("blank", "name", "step", "value", "atol", "rtol", "depends_on", "formula")


def pool(variants: list[Variant]) -> list[dict]:
    """The keys as the grader reads them: per variant its number, page and blanks (no explanations)."""
    return [{"variant": v.number, "page": v.page.name,
             "blanks": [{k: b[k] for k in GRADED + ("divided_by",) if k in b} for b in v.key["blanks"]]}
            for v in variants]


def grader_source(variants: list[Variant]) -> str:
    """bptui/lms/grader.py with the variants' keys in place of its empty POOL."""
    source = GRADER.read_text(encoding="utf-8")
    assert source.count(POOL_LINE) == 1, "grader.py's POOL line has changed"
    data = json.dumps(pool(variants), ensure_ascii=True, separators=(",", ":"))
    return source.replace(POOL_LINE, f"POOL: list[dict[str, Any]] = json.loads({data!r})")


def gradescope_zip(variants: list[Variant], source: Source) -> bytes:
    """Gradescope's autograder: setup.sh and run_autograder (the grader with the keys)."""
    return zipped({"setup.sh": SETUP.read_bytes(), "run_autograder": grader_source(variants).encode("utf-8")},
                  executable=("setup.sh", "run_autograder"))


# -- PrairieLearn -------------------------------------------------------------------------------------
def question_uuid(network: bytes, seed: int) -> str:
    return str(uuid.uuid5(NAMESPACE, f"{hashlib.sha256(network).hexdigest()}:{seed}"))


def question_html(variants: list[Variant], source: Source) -> str:
    """A pl-number-input per blank (the variants share their blanks' names; the values are the
    chosen variant's, set by server.py's generate)."""
    first = variants[0]
    lines = ["<pl-question-panel>",
             f"<p><b>{html_text(source.name)}</b></p>",
             f'<p class="bptui-description">{html_text(source.description)}</p>',
             '<p>Work out the numbered blanks, (1) ____, of your exercise <pl-file-download file-name="{{params.page}}">'
             "</pl-file-download>, step by step. A blank that follows from your own earlier answers is "
             "marked right: errors are carried forward.</p>",
             "</pl-question-panel>"]
    for step, group in by_step(first.key["blanks"]):
        lines.append(f"<p>Step {step}</p>")
        for b in group:
            n = f"b{b['blank']}"
            lines.append(f'<pl-number-input answers-name="{n}" label="{html_text(blank_label(b))} =" '
                         f'comparison="relabs" rtol="{{{{params.tol.{n}.rtol}}}}" atol="{{{{params.tol.{n}.atol}}}}">'
                         "</pl-number-input>")
    return "\n".join(lines) + "\n"


def prairielearn(q: Path, variants: list[Variant], source: Source) -> dict[Path, str | bytes]:
    """info.json, question.html, server.py and the pages (clientFilesQuestion/, no answers in them)."""
    shapes = {tuple(b["name"] for b in v.key["blanks"]) for v in variants}
    if len(shapes) != 1:
        raise PlatformError("--format prairielearn: the variants' blanks differ, so one question.html cannot ask them")
    info = {"uuid": question_uuid(source.network, source.seed), "type": "v3",
            "title": f"Backpropagation: {source.name} (seed {source.seed})",
            "topic": TOPIC, "tags": ["bptui"]}
    contents = (json.dumps(info, ensure_ascii=False, indent=2) + "\n", question_html(variants, source),
                grader_source(variants))
    files: dict[Path, str | bytes] = {q / n: text for n, text in zip(PL_FILES, contents)}
    for v in variants:
        files[q / PL_PAGES / v.page.name] = v.page.read_bytes()
    return files


__all__ = ["FORMATS", "PlatformError", "Source", "Variant", "outputs", "write", "tolerance", "gift_text", "html_text",
           "question_uuid", "safe_name"]
