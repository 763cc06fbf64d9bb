"""A variants folder is whole (issue 23): `export --variants` in a course profile from outside the folder copies the
profile into it and names it relatively, so that the folder handed out opens on a student's machine."""

from __future__ import annotations

import json


def test_a_variants_folder_keeps_its_course_profile_and_opens_anywhere(tmp_path, capsys):
    """`export --variants` with a course profile from outside the folder copies it into the folder and names it
    relatively: the folder moved elsewhere (the teacher's profile gone) opens, traces and grades in it."""
    import shutil

    from bptui.cli import main
    from bptui.core.formats.spec import load_any
    from bptui.core.formulas.profiles import PROFILES, notation_for, profile_json

    mine = profile_json(PROFILES["ng"])
    mine["name"] = "course"
    mine["symbols"]["weights"] = {"text": "Θ", "latex": r"\Theta"}
    teacher = tmp_path / "teacher"
    teacher.mkdir()
    course = teacher / "course.json"
    course.write_text(json.dumps(mine, ensure_ascii=False), encoding="utf-8")
    assert main(["export", "xor", "--exercise", "--notation", str(course), "--variants", "2", "--blank", "G",
                 "--output", str(teacher / "class")]) == 0
    assert (teacher / "class" / "course.json").read_bytes() == course.read_bytes()
    moved = tmp_path / "student" / "class"
    shutil.move(str(teacher), str(tmp_path / "gone"))  # the teacher's folder, and the profile in it, elsewhere
    shutil.move(str(tmp_path / "gone" / "class"), str(moved))
    shutil.rmtree(tmp_path / "gone")
    for i in (1, 2):
        doc = json.loads((moved / f"variant-0{i}.json").read_text(encoding="utf-8"))
        assert doc["notation"] == "course.json"
        key = json.loads((moved / f"variant-0{i}-key.json").read_text(encoding="utf-8"))
        assert "notation" not in key["options"]  # the variant's file names it
    path = str(moved / "variant-01.json")
    P = notation_for(None, load_any(path).raw["notation"], path)
    assert P.name == "course" and P.source == str((moved / "course.json").resolve())
    capsys.readouterr()
    assert main(["trace", path]) == 0
    assert "z^[1] = Θ^[1] a^[0] + b^[1]" in capsys.readouterr().out
    (tmp_path / "roster.csv").write_text("student,variant\nann,1\nbob,2\n", encoding="utf-8")
    (tmp_path / "class.csv").write_text("student,blank,value\nann,1,0.5\nbob,1,0.25\n", encoding="utf-8")
    assert main(["grade", str(moved), str(tmp_path / "class.csv"), "--roster", str(tmp_path / "roster.csv")]) == 0
