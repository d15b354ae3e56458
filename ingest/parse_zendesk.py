"""Zendesk Guide exports: pages of `GET /api/v2/help_center/{locale}/articles?include=sections,categories`.

An article is an entry: question = `title`, answer = the clean text of `body`, section =
"Category › Section", lang = the locale's language, url = `html_url`, group = the article `id` (its
translations share it and differ by `locale`). Sections and categories are sideloaded in the page or
sit beside it in `sections.json` / `categories.json`. Drafts are skipped; `label_names` are ignored.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

from faq.errors import CorpusError
from ingest.imported import article_entry, lang_of, record_id, records, render_body, sidecar, text_field
from ingest.models import Entry, Heading
from ingest.parse_text import ParsedFile


def is_zendesk(data: object) -> bool:
    if isinstance(data, dict):
        return isinstance(data.get("articles"), list) or isinstance(data.get("article"), dict)
    return isinstance(data, list) and bool(data) and isinstance(data[0], dict) and "section_id" in data[0]


class _Names:
    """Names of sections or categories by id, in the article's locale when the export has it."""

    def __init__(self, items: list[dict]) -> None:
        self.by_locale: dict[tuple[str, str], dict] = {}
        self.by_id: dict[str, dict] = {}
        for item in items:
            key = str(item.get("id", "")).strip()
            self.by_locale.setdefault((key, str(item.get("locale", "")).lower()), item)
            self.by_id.setdefault(key, item)

    def get(self, key: str, locale: str) -> dict | None:
        return self.by_locale.get((key, locale.lower())) or self.by_id.get(key)


def parse_zendesk(path: Path, data: object, document_id: str, lang: str) -> ParsedFile:
    """Every published article of the page; a missing title or body or an unknown section stops the load."""
    articles = [data["article"]] if isinstance(data, dict) and "article" in data else records(data, "articles")
    sideloaded = data if isinstance(data, dict) else {}
    sections = _Names([*records(sideloaded.get("sections", []), "sections"), *sidecar(path, "sections.json", "sections")])
    categories = _Names([*records(sideloaded.get("categories", []), "categories"), *sidecar(path, "categories.json", "categories")])
    entries: list[Entry] = []
    outlines: dict[str, tuple[Heading, ...]] = {}
    drafts = 0
    for number, article in enumerate(articles, start=1):
        article_id = record_id(path, article, "article", number)
        if article.get("draft") is True:
            drafts += 1
            continue
        title = text_field(article, "title")
        if not title:
            raise CorpusError(path, None, f"article {article_id} has no title")
        body = article.get("body")
        if not isinstance(body, str) or not body.strip():
            raise CorpusError(path, None, f'article {article_id} "{title}" has no body')
        locale = text_field(article, "locale") or text_field(article, "source_locale")
        local_id = f"{article_id}-{locale.lower()}" if locale else article_id
        if any(e.local_id == local_id for e in entries):
            raise CorpusError(path, None, f'article {article_id} "{title}" appears twice in locale {locale or "(none)"}')
        rendered = render_body(path, f"article {article_id}", title, body)
        entry = article_entry(
            path, document_id, local_id, what=f"article {article_id}", title=title, body=rendered,
            section=_section(path, article, article_id, title, locale, sections, categories),
            lang=lang_of(locale, lang), url=text_field(article, "html_url"), group=article_id,
        )
        entries.append(entry)
        outlines[entry.id] = rendered.headings
    if not entries:
        raise CorpusError(path, None, f"no published article in this Zendesk export ({drafts} draft(s) skipped)")
    host = urlparse(entries[0].url).netloc
    notes = (f"{path.name}: {drafts} draft article(s) skipped",) if drafts else ()
    return ParsedFile(title_hint=host, entries=tuple(entries), outlines=outlines, notes=notes)


def _section(path: Path, article: dict, article_id: str, title: str, locale: str, sections: _Names, categories: _Names) -> str:
    """"Category › Section"; an unknown section_id is an error when the export lists sections at all."""
    section_id = str(article.get("section_id") or "").strip()
    if not section_id or not sections.by_id:
        return ""
    section = sections.get(section_id, locale)
    if section is None:
        raise CorpusError(path, None, f'article {article_id} "{title}": unknown section_id {section_id} '
                                      f"(the export lists sections {', '.join(sorted(sections.by_id))})")
    category_id = str(section.get("category_id") or "").strip()
    category = categories.get(category_id, locale) if category_id else None
    if category_id and categories.by_id and category is None:
        raise CorpusError(path, None, f"section {section_id} \"{text_field(section, 'name')}\": unknown category_id {category_id}")
    return " › ".join(name for name in (text_field(category or {}, "name"), text_field(section, "name")) if name)
