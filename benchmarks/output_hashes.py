"""Hashes of every bundled network's `bptui trace` and `bptui export` outputs (text, JSON, Markdown, LaTeX,
CSV; lecture13, ng, cs231n), and of the app's equation line (step_equation) and the LaTeX rows at several
digits and limits, for the checkout on PYTHONPATH. One line per output: key, sha256, length; two
checkouts' files side by side (``diff``) tell whether a change left every output as it was (an error line
names the network file, so its hash differs with the checkout's path).

    PYTHONPATH=CHECKOUT python benchmarks/output_hashes.py cli OUT     (ONLY=net,net  SHARD=i/n: a part)
    PYTHONPATH=CHECKOUT python benchmarks/output_hashes.py eq OUT"""
import hashlib, os, subprocess, sys
from pathlib import Path
ROOT = Path(os.environ["PYTHONPATH"])
NETS = sorted(p.stem for p in (ROOT / "networks").glob("*.json") if not os.environ.get("ONLY") or p.stem in os.environ["ONLY"].split(","))
NOTATIONS = ("lecture13", "ng", "cs231n")

def h(b: bytes) -> str:
    return f"{hashlib.sha256(b).hexdigest()[:20]} {len(b)}"

def cli(out):
    runs = []
    for net in NETS:
        for no in NOTATIONS:
            for cmd in (["trace", "--format", "text"], ["trace", "--format", "json"], ["export", "--format", "markdown"],
                        ["export", "--format", "latex"], ["export", "--format", "csv"]):
                runs.append((f"{net} {no} {' '.join(cmd)}", [sys.executable, "-m", "bptui", cmd[0], str(ROOT / "networks" / f"{net}.json"),
                                                           "--no-color", "--notation", no, *cmd[1:]]))
    shard = os.environ.get("SHARD")
    if shard:
        i, n = map(int, shard.split("/"))
        runs = runs[i::n]
    with open(out, "w") as f:
        for key, argv in runs:
            p = subprocess.run(argv, capture_output=True, cwd="/tmp")
            f.write(f"{key} | rc {p.returncode} | out {h(p.stdout)} | err {h(p.stderr)}\n")
            f.flush()

def eq(out):
    import numpy as np
    from bptui.core.formats.spec import load_any
    from bptui.core.engine.stepper import Stepper
    from bptui.core.engine.equations import step_equation, step_equations, profile_fits
    from bptui.core.engine.schedule import UPDATE
    from bptui.core.formulas.formula import LatexPrinter, TextPrinter
    from bptui.core.formulas.profiles import PROFILES
    with open(out, "w") as f:
        for net in NETS:
            spec = load_any(ROOT / "networks" / f"{net}.json")
            if spec.kind == "graph":
                continue
            for no in ("lecture13", "nielsen", "goodfellow", "ng", "cs231n"):
                P = PROFILES[no]
                if profile_fits(spec.layer_kinds or (), P) is not None:
                    continue
                st = Stepper(spec, notation=P) if no != "lecture13" else Stepper(spec)
                n = len(st.schedule)
                # every update step of the first epoch, and every 7th other step (at most 400 steps)
                keep = [i for i in range(n) if st.schedule.key(i).phase == UPDATE or i % 7 == 0][:400]
                want = set(keep)
                for i in range(max(keep) + 1):
                    step = st.forward()
                    if i not in want:
                        continue
                    for d in (2, 4, 6):
                        for lim in (None, 496, 150):
                            txt = step_equation(st, step, d, None, lim)
                            f.write(f"{net} {no} {i} d{d} lim{lim} | {h(txt.encode())}\n")
                    if step.key.phase == UPDATE or i % 21 == 0:
                        eqs = step_equations(st.net, st.state, step, st.spec.optimizer, None, st.notation)
                        for d in (3, 5):
                            rows = [LatexPrinter(d, notation=st.notation).rows(e) for e in eqs]
                            f.write(f"{net} {no} {i} latex d{d} | {h(repr(rows).encode())}\n")
                f.flush()

{"cli": cli, "eq": eq}[sys.argv[1]](sys.argv[2])
