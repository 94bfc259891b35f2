"""The page templates hold nothing the Content-Security-Policy refuses
(service/web/http/headers.py: no `unsafe-inline`): no <style> block, `style` attribute,
inline <script> (one from the site's static files, `src=`, is allowed), event-handler
attribute or javascript: URL. The browser tests see the pages
they open; this reads every template, the ones no test opens included. The PDF-only
template is left out: WeasyPrint reads its <style> block on the server."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

TEMPLATES = Path(__file__).resolve().parents[2] / "service" / "web" / "templates" / "pages"
PDF_ONLY = {"report_pdf.html"}
REFUSED = {
    "a <style> block": re.compile(r"<style\b", re.IGNORECASE),
    "a style attribute": re.compile(r"<[^>]*\sstyle\s*=", re.IGNORECASE),
    "an inline <script>": re.compile(r"<script\b(?![^>]*\ssrc=)", re.IGNORECASE),
    "an event-handler attribute": re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE),
    "a javascript: URL": re.compile(r"javascript:", re.IGNORECASE),
}
PAGES = sorted(path for path in TEMPLATES.glob("*.html") if path.name not in PDF_ONLY)


def test_the_page_templates_are_found():
    assert len(PAGES) >= 15 and (TEMPLATES / "base.html") in PAGES


@pytest.mark.parametrize("template", PAGES, ids=[path.name for path in PAGES])
def test_a_page_template_has_nothing_inline(template: Path):
    text = template.read_text()
    found = [what for what, pattern in REFUSED.items() if pattern.search(text)]
    assert not found, f"{template.name} has {', '.join(found)}"


@pytest.mark.parametrize("what", sorted(REFUSED))
def test_each_check_catches_what_it_names(what: str):
    samples = {
        "a <style> block": "<style>p{}</style>",
        "a style attribute": '<div class="x" style="width: 3%">',
        "an inline <script>": "<script>alert(1)</script>",
        "an event-handler attribute": '<img src="x" onerror="alert(1)">',
        "a javascript: URL": '<a href="javascript:alert(1)">',
    }
    assert REFUSED[what].search(samples[what])


def test_a_script_from_the_sites_files_is_no_inline_script():
    assert not REFUSED["an inline <script>"].search('<script src="/static/week.js" defer></script>')
