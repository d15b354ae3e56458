"""Help-center pages saved as HTML (`.html`, `.htm`): one article, or a FAQ list.

The page's title is its `<h1>` (else `<title>`); `nav`, `aside`, `script`, `style`, `form`, `noscript`
and the site's own `header`/`footer` (outside `main`/`article`) are dropped. A page is a **FAQ list**
when it has two `<details><summary>` or more (each is an entry: question = summary), or when most of
the headings of one level (two at least) end with "?" (each heading of that level is an entry: answer
= the text up to the next heading of the same or a higher level, section = the heading above it).
Otherwise the page is **one article** (question = title) whose `h2`-`h6` split it when it is long.
The url is `<link rel="canonical">` or `<meta property="og:url">`, else empty.

A page with `<link rel="alternate" hreflang="…" href="…">` alternates is one language of a page that
exists in several: its entries are translations of the alternates' entries at the same place (the
article, or the n-th question of a FAQ list). Their group is the smallest alternate address (relative
ones resolved against the page's url when it has one), which every language version of the page lists.
"""

from __future__ import annotations

import copy
from dataclasses import replace
from pathlib import Path
from urllib.parse import urljoin

from bs4 import BeautifulSoup, Tag

from faq.errors import CorpusError
from ingest.html_text import MarkupError, html_to_text, inline_text, parse_html as parse_markup
from ingest.imported import article_entry, lang_of
from ingest.models import Entry, Heading
from ingest.parse_text import ParsedFile

_BOILERPLATE = ("nav", "aside", "script", "style", "form", "noscript", "template")
_QUESTION_MARKS = ("?", "？", "؟")


def parse_html(path: Path, text: str, document_id: str, lang: str) -> ParsedFile:
    try:
        soup = parse_markup(text)
    except MarkupError as e:
        raise CorpusError(path, e.line or None, e.reason) from e
    group = _alternates_group(soup)  # before the page's boilerplate is dropped
    parsed = _parse_page(path, soup, document_id, lang)
    if not group:
        return parsed
    entries = tuple(replace(e, group=f"{group}#{e.local_id}") for e in parsed.entries)
    return replace(parsed, entries=entries)


def _alternates_group(soup: BeautifulSoup) -> str:
    """The key the language versions of a page share: the smallest of the addresses its hreflang alternates give."""
    base = _url(soup)
    hrefs = {urljoin(base, str(tag["href"]).strip()) if base else str(tag["href"]).strip()
             for tag in soup.find_all("link", href=True, hreflang=True)
             if "alternate" in (tag.get("rel") or []) and str(tag["href"]).strip()}
    return f"hreflang:{min(hrefs)}" if hrefs else ""


def _parse_page(path: Path, soup: BeautifulSoup, document_id: str, lang: str) -> ParsedFile:
    url = _url(soup)
    page_lang = lang_of(soup.html.get("lang") if soup.html else None, lang)
    root = soup.find("main") or soup.find("article") or soup.body or soup
    h1 = root.find("h1") or soup.find("h1")
    title = inline_text(h1) if h1 else (inline_text(soup.title) if soup.title else "")
    title_line = (h1.sourceline if h1 else None) or 1
    if h1:
        h1.decompose()
    for tag in soup.find_all(_BOILERPLATE):
        tag.decompose()
    for tag in soup.find_all(("header", "footer")):
        if not tag.decomposed and tag.find_parent(("main", "article")) is None and tag is not root:
            tag.decompose()
    details = [d for d in root.find_all("details") if d.find("summary")]
    if len(details) >= 2:
        entries = [_details_entry(path, document_id, n, d, page_lang, url) for n, d in enumerate(details, start=1)]
        return ParsedFile(title_hint=title, entries=tuple(entries))
    rendered = html_to_text(root)
    level = _question_level(rendered.headings)
    if level:
        return _faq_list(path, document_id, title, rendered.text, rendered.headings, level, page_lang, url)
    if not title:
        raise CorpusError(path, 1, "no <h1> or <title>: an article page needs a title to be its question")
    entry = article_entry(path, document_id, "1", what="page", section="", title=title, body=rendered,
                          lang=page_lang, url=url, line=title_line)
    return ParsedFile(title_hint=title, entries=(entry,), outlines={entry.id: rendered.headings})


def _url(soup: BeautifulSoup) -> str:
    for tag in soup.find_all("link", href=True):
        if "canonical" in (tag.get("rel") or []):
            return str(tag["href"]).strip()
    og = soup.find("meta", attrs={"property": "og:url"})
    return str(og.get("content", "")).strip() if og else ""


def _question_level(headings: tuple[Heading, ...]) -> int:
    """The heading level whose headings are mostly questions (two at least), or 0 for an article."""
    best, best_count = 0, 1
    for level in range(2, 7):
        at_level = [h for h in headings if h.level == level]
        asked = sum(h.text.rstrip().endswith(_QUESTION_MARKS) for h in at_level)
        if asked > best_count and 2 * asked >= len(at_level):
            best, best_count = level, asked
    return best


def _faq_list(path: Path, document_id: str, title: str, text: str, headings: tuple[Heading, ...], level: int,
              lang: str, url: str) -> ParsedFile:
    entries: list[Entry] = []
    outlines: dict[str, tuple[Heading, ...]] = {}
    section = ""
    for i, heading in enumerate(headings):
        if heading.level < level:
            section = heading.text
        if heading.level != level:
            continue
        following = [h for h in headings[i + 1:] if h.level <= level]
        end = following[0].start if following else len(text)
        begin = heading.start + len(heading.text)
        raw = text[begin:end]
        answer = raw.strip()
        if not answer:
            raise CorpusError(path, heading.line or None, f'question "{heading.text}" has no answer below it')
        offset = begin + (len(raw) - len(raw.lstrip()))
        inner = tuple(Heading(h.start - offset, h.level, h.text, h.line) for h in headings[i + 1:]
                      if offset <= h.start < end and h.level > level)
        local_id = str(len(entries) + 1)
        entries.append(Entry(
            id=f"{document_id}:{local_id}", local_id=local_id, document_id=document_id, section=section,
            question=heading.text, answer=answer, lang=lang, start=0, end=len(answer), answer_start=0,
            line=heading.line, url=url,
        ))
        outlines[entries[-1].id] = inner
    return ParsedFile(title_hint=title, entries=tuple(entries), outlines=outlines)


def _details_entry(path: Path, document_id: str, number: int, details: Tag, lang: str, url: str) -> Entry:
    """A `<details>`: its summary is the question, the rest the answer, the heading above it the section."""
    summary = details.find("summary")
    if summary is None:  # the caller passes only <details> with a <summary>
        raise CorpusError(path, details.sourceline, "a <details> has no <summary>: it is the question")
    question = inline_text(summary)
    line = summary.sourceline or 0
    body = copy.copy(details)
    copied = body.find("summary")  # the copy of `summary`
    if copied is not None:
        copied.decompose()
    above = details.find_previous(("h2", "h3", "h4"))
    if not question:
        raise CorpusError(path, line or None, "a <details> has an empty <summary>: it is the question")
    return article_entry(path, document_id, str(number), what="question", section=inline_text(above) if above else "",
                         title=question, body=html_to_text(body), lang=lang, url=url, line=line)
