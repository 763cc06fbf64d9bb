"""The formats courses import (bptui/lms): every file read back and compared with the JSON keys.

Moodle XML and GIFT with readers of our own (below), Canvas's QTI by its manifest and items and
against what text2qti writes for a numerical question, PrairieLearn's info.json fields and its
server.py run standalone, Gradescope's run_autograder run in a folder of its own; hostile text in
a network's description escaped in each.
"""

from __future__ import annotations

import base64
import html
import importlib.machinery
import importlib.util
import io
import json
import math
import os
import re
import stat
import subprocess
import sys
import tempfile
import uuid
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bptui.cli import main
from bptui.keyjson import evaluate_formula
from bptui.lms import FORMATS
from bptui.lms import grader as G
from bptui.lms.platforms import NAMESPACE, tolerance

from .conftest import HANG, NETWORKS

NETS = ("xor", "lecture13")
SEED = 5
VARIANTS = 2


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """{(network, format): DIR}: each format of each network, two variants."""
    out = {}
    for name in NETS:
        for fmt in FORMATS:
            folder = tmp_path_factory.mktemp(f"{name}-{fmt}")
            assert main(["export", name, "--variants", str(VARIANTS), "--seed", str(SEED), "--format", fmt,
                         "--output", str(folder)]) == 0
            out[name, fmt] = folder
    return out


def keys(folder: Path) -> list[dict]:
    return [json.loads((folder / f"variant-{i:02d}-key.json").read_text(encoding="utf-8")) for i in range(1, VARIANTS + 1)]


def expected(key: dict) -> list[tuple[float, float]]:
    return [(float(b["value"]), float(b["atol"]) + float(b["rtol"]) * abs(float(b["value"]))) for b in key["blanks"]]


def description(folder: Path, i: int) -> str:
    return json.loads((folder / f"variant-{i:02d}.json").read_text(encoding="utf-8"))["description"]


def html_paragraph(text: str, cls: str) -> str:
    """The text of ``<p class="cls">…</p>`` in HTML written by bptui, unescaped."""
    m = re.search(rf'<p class="{cls}">(.*?)</p>', text, re.S)
    assert m, text[:300]
    return html.unescape(m.group(1).replace("<br>", "\n"))


# -- readers of our own -----------------------------------------------------------------------------
def read_moodle(path: Path) -> dict:
    """{"category": …, "questions": [{"name", "text", "subquestions": [(value, tolerance)], "file":
    (name, bytes), "feedback"}]} from Moodle XML with Cloze questions."""
    root = ET.parse(path).getroot()
    assert root.tag == "quiz"
    out: dict = {"category": [], "questions": []}
    for q in root.findall("question"):
        if q.get("type") == "category":
            out["category"].append(q.findtext("category/text"))
            continue
        assert q.get("type") == "cloze"
        text = q.find("questiontext")
        assert text is not None and text.get("format") == "html"
        body = text.findtext("text")
        subs = [(float(v), float(t)) for v, t in re.findall(r"\{1:NUMERICAL:=([^:{}]+):([^:{}]+)\}", body)]
        assert len(subs) == body.count("{"), "a { that is no NUMERICAL sub-question"
        f = text.find("file")
        out["questions"].append({"name": q.findtext("name/text"), "text": body, "subquestions": subs,
                                 "file": (f.get("name"), base64.b64decode(f.text)),
                                 "feedback": html.unescape(q.findtext("generalfeedback/text"))})
    return out


def gift_split(text: str, sep: str) -> list[str]:
    """``text`` split at each ``sep`` that is not escaped by a backslash (escapes kept)."""
    parts, i, start = [], 0, 0
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text.startswith(sep, i):
            parts.append(text[start:i])
            i += len(sep)
            start = i
            continue
        i += 1
    parts.append(text[start:])
    return parts


def gift_unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def read_gift(path: Path) -> list[dict]:
    """[{"category", "title", "text", "value", "tolerance", "feedback"}] from a GIFT file of
    numerical questions ``::title::[html]text{#value:tolerance####feedback}``."""
    category = None
    out = []
    for question in path.read_text(encoding="utf-8").split("\n\n"):
        question = question.strip()
        if not question:
            continue
        assert "\n" not in question
        if question.startswith("$CATEGORY:"):
            category = question[len("$CATEGORY:"):].strip()
            continue
        assert question.startswith("::")
        _, title, rest = gift_split(question, "::")
        assert rest.startswith("[html]")
        text, answer = gift_split(rest[len("[html]"):], "{")  # exactly one unescaped {
        answer, end = gift_split(answer, "}")
        assert end == ""
        assert answer.startswith("#")
        answer, feedback = gift_split(answer[1:], "####")
        value, tol = gift_split(answer, ":")
        out.append({"category": gift_unescape(category), "title": gift_unescape(title),
                    "text": gift_unescape(text), "value": float(value), "tolerance": float(tol),
                    "feedback": html.unescape(gift_unescape(feedback))})
    return out


def read_qti(path: Path) -> dict:
    """{assessment ident: {"title", "items": [{"title", "text", "exact", "min", "max", "type"}], "meta"}}
    from a Canvas QTI zip, through its manifest."""
    z = zipfile.ZipFile(path)
    ns = {"cp": "http://www.imsglobal.org/xsd/imsccv1p1/imscp_v1p1", "q": "http://www.imsglobal.org/xsd/ims_qtiasiv1p2"}
    manifest = ET.fromstring(z.read("imsmanifest.xml"))
    out = {}
    for r in manifest.findall("cp:resources/cp:resource[@type='imsqti_xmlv1p2']", ns):
        href = r.find("cp:file", ns).get("href")
        dep = r.find("cp:dependency", ns).get("identifierref")
        meta = manifest.find(f"cp:resources/cp:resource[@identifier='{dep}']/cp:file", ns).get("href")
        a = ET.fromstring(z.read(href)).find("q:assessment", ns)
        items = []
        for item in a.iter(f"{{{ns['q']}}}item"):
            conds = item.findall("q:resprocessing/q:respcondition/q:conditionvar/q:or", ns)
            assert len(conds) == 1
            cond = conds[0]
            fields = {f.findtext("q:fieldlabel", namespaces=ns): f.findtext("q:fieldentry", namespaces=ns)
                      for f in item.iter(f"{{{ns['q']}}}qtimetadatafield")}
            items.append({"title": item.get("title"), "type": fields["question_type"],
                          "text": item.findtext("q:presentation/q:material/q:mattext", namespaces=ns),
                          "exact": float(cond.findtext("q:varequal", namespaces=ns)),
                          "min": float(cond.findtext("q:and/q:vargte", namespaces=ns)),
                          "max": float(cond.findtext("q:and/q:varlte", namespaces=ns))})
        out[r.get("identifier")] = {"title": a.get("title"), "items": items, "meta": ET.fromstring(z.read(meta))}
    return out


def load_standalone(path: Path):
    name = f"standalone_{abs(hash(str(path)))}"
    spec = importlib.util.spec_from_loader(name, importlib.machinery.SourceFileLoader(name, str(path)))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def carried_student(module, key: dict, k: int) -> dict[int, float]:
    """Answers of a student wrong at blank k and right from there on given their own answers: every
    later blank with a formula is its formula at the student's answers."""
    answers: dict[int, float] = {}
    for b in key["blanks"]:
        n = b["blank"]
        if n == k:
            answers[n] = float(b["value"]) * 1.5 + 0.25
        elif b["formula"] and all(d in answers for d in b["depends_on"]):
            answers[n] = module.evaluate(b["formula"], {f"b{d}": answers[d] for d in b["depends_on"]})
        else:
            answers[n] = float(b["value"])
    return answers


def first_with_dependents(key: dict) -> int:
    counts = {b["blank"]: 0 for b in key["blanks"]}
    for b in key["blanks"]:
        for d in b["depends_on"]:
            counts[d] += 1
    return next(n for n, c in counts.items() if c >= 2)


def expected_verdicts(key: dict, answers: dict[int, float], k: int) -> dict[int, str]:
    out = {}
    for b in key["blanks"]:
        n, (value, tol) = b["blank"], expected({"blanks": [b]})[0]
        out[n] = "wrong" if n == k else ("right" if abs(answers[n] - value) <= tol else "carried")
    return out


# -- Moodle -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", NETS)
def test_moodle_xml_reads_back(exported, name):
    folder = exported[name, "moodle"]
    doc = read_moodle(folder / "moodle.xml")
    assert doc["category"] == [f"$course$/top/bptui {name} seed {SEED}"]  # one category: Moodle's random question
    assert len(doc["questions"]) == VARIANTS
    for i, (q, key) in enumerate(zip(doc["questions"], keys(folder)), start=1):
        assert q["name"] == f"{name}-variant-{i:02d}"
        assert q["subquestions"] == expected(key)  # every value and tolerance, bit for bit
        assert q["file"] == (f"variant-{i:02d}.md", (folder / f"variant-{i:02d}.md").read_bytes())
        assert html_paragraph(q["text"], "bptui-description") == description(folder, i)
        for b in key["blanks"]:
            assert b["explanation"] in q["feedback"]
        assert all(t >= 0 for _, t in q["subquestions"]) and any(t > 0 for _, t in q["subquestions"])
        assert json.loads((folder / f"variant-{i:02d}-key.json").read_text())["options"]["format"] == "moodle"


# -- GIFT -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", NETS)
def test_gift_reads_back(exported, name):
    folder = exported[name, "gift"]
    questions = read_gift(folder / "questions.gift")
    all_keys = keys(folder)
    assert len(questions) == sum(len(k["blanks"]) for k in all_keys)
    at = 0
    for i, key in enumerate(all_keys, start=1):
        mine = questions[at:at + len(key["blanks"])]
        at += len(key["blanks"])
        assert {q["category"] for q in mine} == {f"$course$/top/bptui {name} seed {SEED}/variant {i:02d}"}
        assert [(q["value"], q["tolerance"]) for q in mine] == expected(key)
        for q, b in zip(mine, key["blanks"]):
            assert q["title"] == f"{name}-variant-{i:02d} ({b['blank']}) {b['name']}"
            assert q["feedback"] == f"<pre>{b['explanation']}</pre>"
            assert html_paragraph(q["text"], "bptui-description") == description(folder, i)


def test_gift_escapes_its_special_characters():
    from bptui.lms.platforms import gift_text

    text = r"a~b=c#d{e}f:g\h"
    assert gift_text(text) == r"a\~b\=c\#d\{e\}f\:g\\h"
    assert gift_unescape(gift_text(text)) == text
    assert gift_split(gift_text("x{y") + "{#1:2}", "{") == [r"x\{y", "#1:2}"]


# -- Canvas QTI -------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", NETS)
def test_qti_reads_back(exported, name):
    folder = exported[name, "qti"]
    z = zipfile.ZipFile(folder / "canvas-qti.zip")
    assessments = read_qti(folder / "canvas-qti.zip")
    files = [n for n in z.namelist() if n.endswith(".xml") and n != "imsmanifest.xml"]
    assert len(assessments) == VARIANTS and len(files) == 2 * VARIANTS  # the manifest lists every assessment
    for (ident, a), key, i in zip(sorted(assessments.items()), keys(folder), range(1, VARIANTS + 1)):
        assert a["title"] == f"{name}-variant-{i:02d}"
        assert len(a["items"]) == len(key["blanks"])
        for item, b, (value, tol) in zip(a["items"], key["blanks"], expected(key)):
            assert item["type"] == "numerical_question"
            assert item["exact"] == value
            assert item["min"] == value - tol and item["max"] == value + tol
            assert item["title"] == f"({b['blank']}) {b['name']}"
        assert html_paragraph(meta_description(a), "bptui-description") == description(folder, i)
        assert a["meta"].findtext("{http://canvas.instructure.com/xsd/cccv1p0}points_possible") == f"{len(key['blanks']):.1f}"
        assert a["items"][0]["text"] == f"<p>variant-{i:02d}.md, step 1: {html.escape(a['items'][0]['title'])} = ?</p>"


def meta_description(a: dict) -> str:
    return a["meta"].findtext("{http://canvas.instructure.com/xsd/cccv1p0}description")


def _paths(element: ET.Element, prefix: str = "") -> set[str]:
    """Every element's path of tags (no namespaces) and its attributes' names, under ``element``."""
    tag = element.tag.split("}")[-1]
    here = f"{prefix}/{tag}[{','.join(sorted(element.attrib))}]"
    out = {here}
    for child in element:
        out |= _paths(child, here)
    return out


def test_qti_as_text2qti_writes_a_numerical_question(exported):
    """text2qti's numerical item (exact answer with a margin, ``= 0.5 +- 0.01``, and general feedback)
    and its zip's layout:
    every element and attribute it writes, ours writes too, in the same places."""
    pytest.importorskip("text2qti")
    from text2qti.config import Config
    from text2qti.qti import QTI
    from text2qti.quiz import Quiz

    theirs = zipfile.ZipFile(io.BytesIO(QTI(Quiz("Quiz title: T\n\n1.  What is x?\n... The worked step.\n=   0.5 +- 0.01\n",
                                                  config=Config(), source_name="<test>")).zip_bytes()))
    ours = zipfile.ZipFile(exported["xor", "qti"] / "canvas-qti.zip")

    def layout(z):  # the zip's names, each assessment's folder (the folder of FOLDER/FOLDER.xml) called A
        names = set(z.namelist())
        folders = {n.split("/")[0] for n in names if "/" in n and f"{n.split('/')[0]}/{n.split('/')[0]}.xml" in names}
        return {n.replace(n.split("/")[0], "A") if n.split("/")[0] in folders else n for n in names}
    assert layout(theirs) == layout(ours) == {"imsmanifest.xml", "non_cc_assessments/", "A/assessment_meta.xml", "A/A.xml"}
    their_xml = next(n for n in theirs.namelist() if n.endswith(".xml") and "meta" not in n and "manifest" not in n)
    our_xml = next(n for n in ours.namelist() if n.endswith(".xml") and "meta" not in n and "manifest" not in n)
    their_item = next(ET.fromstring(theirs.read(their_xml)).iter("{http://www.imsglobal.org/xsd/ims_qtiasiv1p2}item"))
    our_item = next(ET.fromstring(ours.read(our_xml)).iter("{http://www.imsglobal.org/xsd/ims_qtiasiv1p2}item"))
    assert _paths(their_item) <= _paths(our_item)
    assert _paths(ET.fromstring(theirs.read("imsmanifest.xml"))) - _paths(ET.fromstring(ours.read("imsmanifest.xml"))) \
        <= {p for p in _paths(ET.fromstring(theirs.read("imsmanifest.xml"))) if "/lom[" in p}  # its LOM title only


# -- PrairieLearn -----------------------------------------------------------------------------------
@pytest.mark.parametrize("name", NETS)
def test_prairielearn_info_and_question(exported, name):
    q = exported[name, "prairielearn"] / "prairielearn" / name
    info = json.loads((q / "info.json").read_text(encoding="utf-8"))
    network = (NETWORKS / f"{name}.json").read_bytes()
    import hashlib

    assert info["type"] == "v3" and info["topic"] == "Backpropagation" and name in info["title"]
    assert info["uuid"] == str(uuid.uuid5(NAMESPACE, f"{hashlib.sha256(network).hexdigest()}:{SEED}"))
    assert uuid.UUID(info["uuid"]).version == 5
    page = (q / "question.html").read_text(encoding="utf-8")
    key = keys(exported[name, "prairielearn"])[0]
    inputs = re.findall(r'<pl-number-input answers-name="(b\d+)"', page)
    assert inputs == [f"b{b['blank']}" for b in key["blanks"]]  # one per blank, in order
    for i in range(1, VARIANTS + 1):  # the pages, and no key, are what students may download
        assert (q / "clientFilesQuestion" / f"variant-{i:02d}.md").read_bytes() == \
            (exported[name, "prairielearn"] / f"variant-{i:02d}.md").read_bytes()
    assert sorted(p.name for p in (q / "clientFilesQuestion").iterdir()) == [f"variant-{i:02d}.md" for i in range(1, VARIANTS + 1)]


def test_prairielearn_uuid_follows_file_and_seed(tmp_path):
    """A re-export of the same file and seed updates the same question; another seed is another."""
    uuids = []
    for seed, run in ((1, "a"), (1, "b"), (2, "c")):
        assert main(["export", "xor", "--variants", "1", "--seed", str(seed), "--steps", "1:2", "--format",
                     "prairielearn", "--output", str(tmp_path / run)]) == 0
        uuids.append(json.loads((tmp_path / run / "prairielearn" / "xor" / "info.json").read_text())["uuid"])
    assert uuids[0] == uuids[1] != uuids[2]


STANDALONE = r'''
import importlib.machinery, importlib.util, json, sys
spec = importlib.util.spec_from_loader("server", importlib.machinery.SourceFileLoader("server", sys.argv[1]))
server = importlib.util.module_from_spec(spec)
spec.loader.exec_module(server)
cases = json.loads(sys.stdin.read())
out = []
for seed, answers in cases:
    data = {"params": {}, "correct_answers": {}, "variant_seed": seed}
    server.generate(data)
    data["submitted_answers"] = {f"b{n}": x for n, x in answers.get(str(data["params"]["variant"]), {}).items()}
    data["partial_scores"] = {}
    server.grade(data)
    out.append(data)
print(json.dumps({"results": out, "bptui": sorted(m for m in sys.modules if m.split(".")[0] == "bptui")}))
'''


@pytest.mark.parametrize("name", NETS)
def test_prairielearn_server_runs_standalone(exported, name, tmp_path):
    """server.py imported on its own (python -I: no bptui on the path, none imported): generate picks a
    variant by the variant seed; grade says right, wrong and carried."""
    folder = exported[name, "prairielearn"]
    server = folder / "prairielearn" / name / "server.py"
    all_keys = {k["options"]["variant"]: k for k in keys(folder)}
    module = load_standalone(server)
    cases = []
    students = {}
    for v, key in all_keys.items():
        k = first_with_dependents(key)
        answers = carried_student(module, key, k)
        students[v] = (key, answers, k)
    for seed in range(12):
        cases.append([str(seed), {str(v): {str(n): x for n, x in s[1].items()} for v, s in students.items()}])
    cases.append(["right", {str(v): {str(b["blank"]): b["value"] for b in key["blanks"]} for v, key in all_keys.items()}])
    run = subprocess.run([sys.executable, "-I", "-c", STANDALONE, str(server)], input=json.dumps(cases),
                         capture_output=True, text=True, cwd=tmp_path, timeout=HANG)
    assert run.returncode == 0, run.stderr
    got = json.loads(run.stdout)
    assert got["bptui"] == []
    chosen = {data["params"]["variant"] for data in got["results"]}
    assert chosen == set(all_keys)  # 12 seeds reach both variants
    for data in got["results"][:-1]:
        key, answers, k = students[data["params"]["variant"]]
        verdict = expected_verdicts(key, answers, k)
        assert data["correct_answers"] == {f"b{b['blank']}": b["value"] for b in key["blanks"]}
        for n, v in verdict.items():
            assert data["partial_scores"][f"b{n}"]["score"] == (0.0 if v == "wrong" else 1.0)
            assert data["partial_scores"][f"b{n}"]["feedback"].startswith({"right": "right", "wrong": "wrong",
                                                                            "carried": "right with your own"}[v])
        assert sum(v == "carried" for v in verdict.values()) >= 1
        assert math.isclose(data["score"], (len(verdict) - 1) / len(verdict))
    assert got["results"][-1]["score"] == 1.0


# -- the grader -------------------------------------------------------------------------------------
def test_grader_verdicts():
    blanks = [{"blank": 1, "value": 2.0, "atol": 0.0005, "rtol": 1e-3, "depends_on": [], "formula": "2.0"},
              {"blank": 2, "value": 4.0, "atol": 0.0005, "rtol": 1e-3, "depends_on": [1], "formula": "(b1*b1)"},
              {"blank": 3, "value": 5.0, "atol": 0.0005, "rtol": 1e-3, "depends_on": [1, 2], "formula": "(b2+1.0)*b1/2"},
              {"blank": 4, "value": 1.0, "atol": 0.0005, "rtol": 1e-3, "depends_on": [2], "formula": None}]
    assert G.verdicts(blanks, {1: 2.001, 2: 4.0, 3: 5.0, 4: 1.0}) == {1: "right", 2: "right", 3: "right", 4: "right"}
    assert G.verdicts(blanks, {1: 3.0, 2: 9.0, 3: 15.0, 4: 2.0}) == {1: "wrong", 2: "carried", 3: "carried", 4: "wrong"}
    assert G.verdicts(blanks, {2: 9.0, 3: 5.0}) == {1: "missing", 2: "wrong", 3: "right", 4: "missing"}
    assert G.verdicts(blanks, {1: 3.0, 2: 9.0, 3: 14.0}) == {1: "wrong", 2: "carried", 3: "wrong", 4: "missing"}


@pytest.mark.parametrize("text, value", [
    ("-2**2", -4.0), ("2**3**2", 512.0), ("2^-1", 0.5), ("−0.5", -0.5), ("1/4", 0.25), ("ln(e)", 1.0),
    ("max(1, 2) - min(1, 2)", 1.0), ("2·3×4", 24.0), ("-(-3)", 3.0), ("sigmoid(0)", 0.5), ("relu(-1)", 0.0),
    ("1e-3 + .5", 0.501), ("sqrt(-1)", math.nan), ("log(0)", -math.inf), ("(-8)**(1/3)", math.nan),
    ("exp(1000)", math.inf), ("1/0", math.inf), ("max(2, 0)/max(2, 5e-324)", 1.0), ("max(-2, 0)/max(-2, 5e-324)", 0.0),
])
def test_grader_evaluates_the_expression_syntax(text, value):
    got = G.evaluate(text)
    assert got == value or (math.isnan(value) and math.isnan(got)) or math.isclose(got, value)


@pytest.mark.parametrize("text", ["", "1 2", "*3", "(1", "1)", "max(1)", "foo(1)", "b1(2)", "1,2", "x", "2**", "import os",
                                  "__import__('os')", "1;2", "[1]", "(" * 100 + "1", "sin 1"])
def test_grader_rejects_what_the_syntax_does_not_read(text):
    with pytest.raises(G.FormulaError):
        G.evaluate(text)


def test_grader_nesting_costs_no_recursion():
    deep = "(" * 50_000 + "1" + ")" * 50_000
    assert G.evaluate(deep + "+" + deep) == 2.0
    assert G.evaluate("-" * 5000 + "1") == 1.0


@pytest.mark.parametrize("name", ["xor", "lecture13", "classifier", "two_channel", "deep_relu"])
def test_grader_evaluates_every_key_formula_as_bptui_does(tmp_path, name):
    """The standalone evaluator and bptui's (core/graphs/expr.py and the graph ops, in NumPy) agree on every
    formula of a key, at the key's own values (the xor and graph keys of the exports, a softmax
    classifier, a conv network with pooling, a deep ReLU network)."""
    out = tmp_path / "v"
    assert main(["export", name, "--variants", "1", "--seed", "3", "--output", str(out),
                 *(["--example", "1"] if name not in ("xor", "lecture13") else [])]) == 0
    key = json.loads((out / "variant-01-key.json").read_text())
    values = {f"b{b['blank']}": float(b["value"]) for b in key["blanks"]}
    checked = 0
    for b in key["blanks"]:
        if b["formula"] is None:
            continue
        env = {f"b{d}": values[f"b{d}"] for d in b["depends_on"]}
        ours, theirs = G.evaluate(b["formula"], env), evaluate_formula(b["formula"], env)
        assert ours == theirs or math.isclose(ours, theirs, rel_tol=1e-12, abs_tol=1e-300), (b["blank"], ours, theirs)
        checked += 1
    assert checked >= len(key["blanks"]) // 2


@settings(max_examples=150)
@given(st.recursive(st.sampled_from(["b1", "b2", "0.5", "2", "3.25", "1e-3"]),
                    lambda e: st.one_of(
                        st.tuples(e, st.sampled_from(["+", "-", "*", "/", "**", "^"]), e).map(lambda t: f"{t[0]}{t[1]}{t[2]}"),
                        e.map(lambda x: f"-{x}"), e.map(lambda x: f"({x})"),
                        st.tuples(st.sampled_from(["exp", "log", "sin", "tanh", "sigmoid", "sqrt", "relu", "abs"]), e)
                        .map(lambda t: f"{t[0]}({t[1]})"),
                        st.tuples(st.sampled_from(["max", "min"]), e, e).map(lambda t: f"{t[0]}({t[1]}, {t[2]})")),
                    max_leaves=8),
       st.floats(-3, 3), st.floats(-3, 3))
def test_grader_reads_the_syntax_as_core_expr_does(text, x, y):
    """Random formulas: where bptui's parser reads one and its value is finite, the grader gives the same."""
    from bptui.core.util.errors import SpecError

    try:
        theirs = evaluate_formula(text, {"b1": x, "b2": y})
    except (SpecError, OverflowError, ZeroDivisionError):
        return
    ours = G.evaluate(text, {"b1": x, "b2": y})
    if math.isfinite(theirs):
        assert math.isclose(ours, theirs, rel_tol=1e-9, abs_tol=1e-12), (text, ours, theirs)


def test_answers_files_are_read_as_the_quiz_reads_them():
    variant, answers, problems = G.read_answers("blank,value\nvariant,2\n1,1/4\n2,−0.5\n3,ln(2)\n4,abc\n5,1,2\n1,3\n", False)
    assert variant == 2 and answers == {1: 0.25, 2: -0.5, 3: math.log(2)}
    assert sorted(p.split(":")[0] for p in problems) == ["row 6", "row 7", "row 8"]
    variant, answers, problems = G.read_answers('{"variant": 1, "1": 0.5, "2": "1/8", "x": 3, "3": true}', True)
    assert variant == 1 and answers == {1: 0.5, 2: 0.125} and len(problems) == 2
    assert G.read_answers("[1, 2]", True)[2] and G.read_answers("{", True)[2]


# -- Gradescope -------------------------------------------------------------------------------------
def run_autograder(zip_path: Path, root: Path, files: dict[str, str]) -> dict:
    z = zipfile.ZipFile(zip_path)
    assert sorted(z.namelist()) == ["run_autograder", "setup.sh"]
    source = root / "source"
    z.extractall(source)
    for name in ("run_autograder", "setup.sh"):  # executable, as Gradescope runs them
        assert stat.S_IMODE(z.getinfo(name).external_attr >> 16) == 0o755
    (root / "submission").mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (root / "submission" / name).write_text(text, encoding="utf-8")
    run = subprocess.run([sys.executable, "-I", str(source / "run_autograder")], capture_output=True, text=True,
                         cwd=root, env={**os.environ, "AUTOGRADER_ROOT": str(root)}, timeout=HANG)
    assert run.returncode == 0, run.stderr
    return json.loads((root / "results" / "results.json").read_text(encoding="utf-8"))


def valid_results(results: dict) -> None:
    """Gradescope's shape: {"score", "max_score", "tests": [{"name", "score", "max_score", "output"}]}."""
    assert set(results) <= {"score", "max_score", "tests", "output"} and {"score", "tests"} <= set(results)
    for t in results["tests"]:
        assert set(t) == {"name", "score", "max_score", "output"}
        assert 0 <= t["score"] <= t["max_score"] == 1
    if results["tests"]:
        assert math.isclose(results["score"], sum(t["score"] for t in results["tests"]))
        assert results["max_score"] == len(results["tests"])


@pytest.mark.parametrize("name", NETS)
def test_gradescope_run_autograder(exported, name, tmp_path):
    folder = exported[name, "gradescope"]
    key = keys(folder)[1]
    module = load_standalone(Path(zipfile.ZipFile(folder / "gradescope.zip").extract("run_autograder", tmp_path / "x")))
    k = first_with_dependents(key)
    answers = carried_student(module, key, k)
    last = key["blanks"][-1]["blank"]
    answers[last] = answers[last] + 1.0 + abs(answers[last])  # wrong, and not carried
    verdict = expected_verdicts(key, answers, k)
    verdict[last] = "wrong"
    csv_text = "blank,value\nvariant,2\n" + "".join(f"{n},{x!r}\n" for n, x in answers.items())
    results = run_autograder(folder / "gradescope.zip", tmp_path / "csv", {"answers.csv": csv_text})
    valid_results(results)
    assert [t["name"] for t in results["tests"]] == [f"({b['blank']}) {b['name']}, step {b['step']}" for b in key["blanks"]]
    for t, b in zip(results["tests"], key["blanks"]):
        v = verdict[b["blank"]]
        assert t["score"] == (0 if v == "wrong" else 1) and t["output"].startswith(
            {"right": "right", "wrong": "wrong", "carried": "right with your own"}[v])
    assert results["score"] == len(key["blanks"]) - 2
    # JSON, with a missing blank and a bad value
    doc = {"variant": 2, **{str(n): x for n, x in answers.items() if n != 1}, str(last): "oops"}
    results = run_autograder(folder / "gradescope.zip", tmp_path / "json", {"answers.json": json.dumps(doc)})
    valid_results(results)
    assert results["tests"][0]["output"] == "not answered" and results["tests"][-1]["output"] == "not answered"
    assert results["output"] == f"variant 2: key '{last}': unknown name 'oops'"
    # no variant, an unknown one, no file: a score of 0 and what to do
    for files in ({"answers.csv": "1,0.5\n"}, {"answers.csv": "variant,9\n1,0.5\n"}, {}):
        results = run_autograder(folder / "gradescope.zip", tmp_path / f"bad{len(files)}{len(str(files))}", files)
        valid_results(results)
        assert results["score"] == 0 and results["tests"] == [] and "variant" in results["output"]


# -- the command ------------------------------------------------------------------------------------
def test_a_platform_needs_variants(tmp_path, capsys):
    assert main(["export", "xor", "--format", "moodle", "--output", str(tmp_path / "x.xml")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and "--variants N --output DIR" in err and err.count("\n") == 1


def test_the_platform_file_is_an_output_of_the_command(tmp_path, capsys):
    """A platform's file that is the input file (through a link) is refused before any work."""
    net = tmp_path / "net.json"
    net.write_text((NETWORKS / "xor.json").read_text())
    out = tmp_path / "out"
    out.mkdir()
    (out / "moodle.xml").symlink_to(net)
    assert main(["export", str(net), "--variants", "1", "--format", "moodle", "--output", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and "moodle.xml" in err and not (out / "variant-01.json").exists()


# -- hostile text -----------------------------------------------------------------------------------
HOSTILE = st.lists(st.sampled_from(list("<>&{}~#]=:\\\"'$%\n\t ab|*_`") + ["]]>", "{1:NUMERICAL:=5:0}", "{{params.page}}",
                                                                      "####", "&amp;", "<br>", "::", "@@PLUGINFILE@@"]),
                   min_size=1, max_size=12).map("".join)


@settings(max_examples=10)
@given(HOSTILE, HOSTILE.map(lambda t: t.replace("\n", " ").strip() or "x"))
def test_hostile_description_is_escaped_in_every_format(text, name):
    """A description and a name with < & { } ~ # ]]> (and Cloze, Mustache and GIFT syntax) read back as
    themselves in every format, and add no sub-question, input or answer; PrairieLearn's folder is
    one safe name."""
    with tempfile.TemporaryDirectory() as tmp:
        doc = json.loads((NETWORKS / "xor.json").read_text())
        doc["description"] = text
        doc["name"] = name
        net = Path(tmp, "net.json")
        net.write_text(json.dumps(doc))
        dirs = {}
        for fmt in FORMATS:
            dirs[fmt] = Path(tmp, fmt)
            assert main(["export", str(net), "--variants", "1", "--steps", "1:3", "--format", fmt,
                         "--output", str(dirs[fmt])]) == 0
        want = description(dirs["moodle"], 1)
        assert text.strip() in want
        key = keys_of(dirs["moodle"])
        moodle = read_moodle(dirs["moodle"] / "moodle.xml")
        q = moodle["questions"][0]
        assert html_paragraph(q["text"], "bptui-description") == want and q["subquestions"] == expected(key)
        variant_name = json.loads((dirs["moodle"] / "variant-01.json").read_text())["name"]
        assert q["name"] == variant_name and html_paragraph(q["text"], "bptui-name") == f"<b>{variant_name}</b>"
        assert moodle["category"] == [f"$course$/top/bptui {name.replace('/', '-')} seed 0"]
        g = read_gift(dirs["gift"] / "questions.gift")
        assert [html_paragraph(x["text"], "bptui-description") for x in g] == [want] * len(key["blanks"])
        assert [(x["value"], x["tolerance"]) for x in g] == expected(key)
        a = next(iter(read_qti(dirs["qti"] / "canvas-qti.zip").values()))
        assert html_paragraph(meta_description(a), "bptui-description") == want and len(a["items"]) == len(key["blanks"])
        (q_dir,) = (dirs["prairielearn"] / "prairielearn").iterdir()
        assert re.fullmatch(r"[A-Za-z0-9_-]{1,60}", q_dir.name)
        page = (q_dir / "question.html").read_text()
        assert html_paragraph(page, "bptui-description") == text
        assert page.count("{{") == 1 + 2 * len(key["blanks"])  # the page's name and the tolerances: no other Mustache tag
        assert page.count("<pl-number-input") == len(key["blanks"])
        json.loads((q_dir / "info.json").read_text())


def keys_of(folder: Path) -> dict:
    return json.loads((folder / "variant-01-key.json").read_text(encoding="utf-8"))


def test_tolerance_is_the_keys():
    assert tolerance({"value": -2.0, "atol": 0.5, "rtol": 0.25}) == 1.0


def test_what_a_platform_cannot_take(exported, tmp_path):
    """A blank that is no finite number, and (PrairieLearn: one question.html) variants whose blanks
    differ, are refused with a reason, and nothing is written."""
    from bptui.lms.platforms import PlatformError, Source, Variant, write

    folder = exported["xor", "moodle"]
    key = keys(folder)[0]
    page = folder / "variant-01.md"
    source = Source("xor", "", b"{}", 0)
    written = []
    bad = json.loads(json.dumps(key))
    bad["blanks"][3]["value"] = "inf"
    for fmt in FORMATS:
        with pytest.raises(PlatformError, match=r"variant 1: blank 4 \(o₂⁽¹⁾\) is inf"):
            write(fmt, tmp_path, [Variant(1, "v", "", page, bad)], source, lambda p, d: written.append(p))
    short = json.loads(json.dumps(key))
    short["blanks"].pop()
    with pytest.raises(PlatformError, match="blanks differ"):
        write("prairielearn", tmp_path, [Variant(1, "v", "", page, key), Variant(2, "v", "", page, short)], source,
              lambda p, d: written.append(p))
    assert written == []
