"""The README is the front page (issue 24 item 7): a newcomer reads it in two minutes and finds every
page of the manual from it."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_front_page_links_every_page_of_the_manual():
    """The manual's navigation (mkdocs.yml) had pages the README never named: residual blocks,
    self-attention and the code export. Every page of the site's navigation is linked from the
    README, and every link of the README to the manual names a page that exists."""
    nav = re.findall(r":\s*([\w-]+\.md)\s*$", (ROOT / "mkdocs.yml").read_text(encoding="utf-8"), re.M)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    linked = set(re.findall(r"\]\(docs/([\w-]+\.md)(?:#[\w-]+)?\)", readme))
    assert len(nav) >= 15 and "residual.md" in nav
    assert set(nav) - linked == set(), sorted(set(nav) - linked)
    assert all((ROOT / "docs" / page).exists() for page in linked), sorted(linked)
    assert len(readme.splitlines()) <= 80  # a front page, not the manual
