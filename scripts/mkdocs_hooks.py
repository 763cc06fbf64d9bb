"""MkDocs hook (mkdocs.yml: hooks): the pictures live once in the repository, the app's screenshots in
screenshots/ (written by scripts/screenshots.py) and the snapshot tests' SVGs in tests/__snapshots__/. A page
links them where they live, relative to itself (docs/app.md's ../screenshots/01-start.svg), so the link works
where the page is read on GitHub; the site serves them under their paths from the repository's root and the
hook points each page's link there, so that `mkdocs build --strict` checks them too."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # mkdocs is the docs extra's; the tests (the test extra) call on_page_markdown without it
    from mkdocs.structure.files import Files

ROOT = Path(__file__).resolve().parent.parent
PICTURES = ("screenshots/*.svg", "tests/__snapshots__/*/*.svg")


def on_files(files: Files, config: Any) -> Files:
    from mkdocs.structure.files import File

    for pattern in PICTURES:
        for path in sorted(ROOT.glob(pattern)):
            files.append(File(path.relative_to(ROOT).as_posix(), str(ROOT), config["site_dir"],
                              config["use_directory_urls"]))
    return files


TABLE = ("<!-- notation-table -->", "<!-- /notation-table -->")


# a page's link to a picture outside docs/ (../screenshots/…, ../tests/__snapshots__/…), its path from the root
OUTSIDE = re.compile(r"(!\[[^\]]*\]\(\s*<?)\.\./((?:screenshots|tests/__snapshots__)/)")


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    """Each picture's link as the site serves it (:data:`OUTSIDE`: its path from the repository's root, under
    which :func:`on_files` serves it); and the notation profiles' table (docs/notation.md), made afresh from
    the profiles' data, so the site cannot show symbols the profiles do not have."""
    markdown = OUTSIDE.sub(r"\1\2", markdown)
    start, end = TABLE
    if start not in markdown:
        return markdown
    import sys

    sys.path.insert(0, str(ROOT))
    from bptui.core.engine.equations import notation_table

    head, rest = markdown.split(start, 1)
    _, tail = rest.split(end, 1)
    return head + start + "\n" + "\n".join(notation_table()) + "\n" + end + tail
