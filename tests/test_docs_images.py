"""The manual's pictures show where the pages are read: every image link of docs/*.md and README.md names a file
of the repository relative to its own page, as GitHub resolves it (docs/app.md's ../screenshots/01-start.svg);
the site serves the same files under the paths its pages' links take there (scripts/mkdocs_hooks.py), which
`mkdocs build --strict` checks."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = sorted((ROOT / "docs").glob("*.md")) + [ROOT / "README.md"]
IMAGE = re.compile(r"!\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)|<img\s[^>]*src=\"([^\"]+)\"")


def images(page: Path) -> list[str]:
    text = page.read_text(encoding="utf-8")
    text = re.sub(r"```.*?```", "", text, flags=re.S)  # a code block's text is no link
    return [a or b for a, b in IMAGE.findall(text)]


def test_the_pages_have_pictures():
    assert sum(len(images(p)) for p in PAGES) >= 10


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_image_link_names_a_file_of_the_repository_relative_to_its_page(page):
    for link in images(page):
        assert "://" not in link, f"{page.name}: {link} is not in the repository"
        target = (page.parent / link.split("#")[0]).resolve()
        assert target.is_file(), f"{page.relative_to(ROOT)}: {link} names no file ({target})"
        assert ROOT in target.parents, f"{page.name}: {link} is outside the repository"


def test_the_site_serves_each_picture_where_its_page_links_it():
    """The hook rewrites a page's link to a picture outside docs/ to the path the site serves it under, and serves
    every picture a page links."""
    import sys

    sys.path.insert(0, str(ROOT / "scripts"))
    import mkdocs_hooks

    for page in sorted((ROOT / "docs").glob("*.md")):
        text = mkdocs_hooks.on_page_markdown(page.read_text(encoding="utf-8"), None, {}, None)
        for link in [a or b for a, b in IMAGE.findall(text)]:
            served = link.split("#")[0]
            assert not served.startswith("../"), f"{page.name}: {link} leaves the site"
            assert (ROOT / served).is_file() and any(
                (ROOT / served).match(pattern) for pattern in mkdocs_hooks.PICTURES), f"{page.name}: {link}"


def test_the_hook_rewrites_pages_where_mkdocs_is_not_installed():
    """The README's test command installs the test extra, which has no mkdocs (the docs extra has it): the
    hook's page rewriting, which the test above runs, imports none of it."""
    import subprocess
    import sys

    code = ("import sys; sys.modules['mkdocs'] = None; sys.path.insert(0, 'scripts'); import mkdocs_hooks; "
            "print(mkdocs_hooks.on_page_markdown('![start](../screenshots/01-start.svg)', None, {}, None))")
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-600:]
    assert proc.stdout == "![start](screenshots/01-start.svg)\n"
