"""MkDocs hook (mkdocs.yml: hooks): the pictures live once in the repository, the app's screenshots in
screenshots/ (written by scripts/screenshots.py) and the snapshot tests' SVGs in tests/__snapshots__/; the site
serves them under the same paths, so that the manual's links to them resolve and `mkdocs build --strict` checks them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mkdocs.structure.files import File, Files

ROOT = Path(__file__).resolve().parent.parent
PICTURES = ("screenshots/*.svg", "tests/__snapshots__/*/*.svg")


def on_files(files: Files, config: Any) -> Files:
    for pattern in PICTURES:
        for path in sorted(ROOT.glob(pattern)):
            files.append(File(path.relative_to(ROOT).as_posix(), str(ROOT), config["site_dir"],
                              config["use_directory_urls"]))
    return files


TABLE = ("<!-- notation-table -->", "<!-- /notation-table -->")


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    """The notation profiles' table (docs/notation.md), made afresh from the profiles' data, so the
    site cannot show symbols the profiles do not have."""
    start, end = TABLE
    if start not in markdown:
        return markdown
    import sys

    sys.path.insert(0, str(ROOT))
    from bptui.core.engine.equations import notation_table

    head, rest = markdown.split(start, 1)
    _, tail = rest.split(end, 1)
    return head + start + "\n" + "\n".join(notation_table()) + "\n" + end + tail
