"""The documentation site (docs/, mkdocs.yml; docs/how-to/tests-and-benchmarks.md) builds
with --strict, so a broken link, a broken anchor or a page left out of the navigation fails
the suite; and it works offline, opened from disk: no page loads a script, a stylesheet or
a font from another host."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from mkdocs.commands.build import build
from mkdocs.config import load_config

ROOT = Path(__file__).resolve().parents[2]

# What a browser fetches by itself when it opens a page: scripts, stylesheets, icons,
# images, frames. Plain links (<a href>) are followed only when someone clicks them.
FETCHED = re.compile(
    r"<(?:script|img|iframe|source)\b[^>]*\bsrc=\"([^\"]+)\""
    r"|<link\b[^>]*\bhref=\"([^\"]+)\""
    r"|@import\s+(?:url\()?[\"']?([^\"')]+)"
    r"|@font-face"
)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    site_dir = tmp_path_factory.mktemp("site")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("NO_MKDOCS_2_WARNING", "1")  # Material's notice on stderr, not a finding
        config = load_config(str(ROOT / "mkdocs.yml"), site_dir=str(site_dir), strict=True)
        build(config)  # raises mkdocs.exceptions.Abort on any warning, under strict
    return site_dir


def fetched_from_elsewhere(site: Path) -> list[str]:
    found = []
    for path in sorted([*site.rglob("*.html"), *site.rglob("*.css")]):
        for match in FETCHED.finditer(path.read_text(encoding="utf-8")):
            url = next((group for group in match.groups() if group), match[0])
            if url == "@font-face" or re.match(r"(?:[a-z]+:)?//", url):
                found.append(f"{path.relative_to(site)}: {url}")
    return found


def test_every_page_builds_under_strict(site: Path) -> None:
    docs = ROOT / "docs"
    pages = {path.relative_to(docs).with_suffix(".html") for path in docs.rglob("*.md")}
    built = {path.relative_to(site) for path in site.rglob("*.html")}
    assert pages <= built


def test_no_page_loads_anything_from_another_host(site: Path) -> None:
    assert fetched_from_elsewhere(site) == []


def test_the_readme_links_only_to_files_that_exist() -> None:
    """The README is read on the forge, outside the site: its links to docs/ are checked here."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    targets = {target.split("#")[0] for target in re.findall(r"\]\((?!https?:)([^)]+)\)", readme)}
    assert targets, "the README links into docs/"
    assert sorted(target for target in targets if not (ROOT / target).exists()) == []


def test_search_works_from_disk(site: Path) -> None:
    """The offline plugin inlines the search index into a script, which file:// can load."""
    index = (site / "search" / "search_index.js").read_text(encoding="utf-8")
    assert index.startswith("var __index")
