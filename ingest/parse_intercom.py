"""Intercom Articles exports: a list of articles, `{"data": [...]}` or `{"type": "list", "data": [...]}`.

An article and each of its `translated_content` locales is an entry (group = the article `id`):
question = `title`, answer = the clean text of `body`, section = the parent collection's name (with
its parents', "Collection › Section"), lang = the locale's language, url = `url`. Collections come
from a `"collections"` key of the export or a `collections.json` beside it. Drafts are skipped.
"""

from __future__ import annotations

from pathlib import Path

from faq.errors import CorpusError
from ingest.imported import article_entry, lang_of, record_id, records, render_body, sidecar, text_field
from ingest.models import Entry, Heading
from ingest.parse_text import ParsedFile

_INTERCOM_KEYS = {"parent_id", "parent_type", "state", "translated_content", "default_locale"}


def is_intercom(data: object) -> bool:
    items = records(data, "data") if not (isinstance(data, dict) and data.get("type") == "article") else [data]
    return bool(items) and (items[0].get("type") == "article" or bool(_INTERCOM_KEYS & set(items[0])))


def parse_intercom(path: Path, data: object, document_id: str, lang: str) -> ParsedFile:
    """One entry per published locale of every article; a missing title or body stops the load."""
    articles = [data] if isinstance(data, dict) and data.get("type") == "article" else records(data, "data")
    inline = records(data.get("collections", []), "collections") if isinstance(data, dict) else []
    parents = {str(c.get("id")): c for c in [*inline, *sidecar(path, "collections.json", "collections")]}
    entries: list[Entry] = []
    outlines: dict[str, tuple[Heading, ...]] = {}
    drafts = 0
    for number, article in enumerate(articles, start=1):
        article_id = record_id(path, article, "article", number)
        default = text_field(article, "default_locale") or lang
        for locale, content in _contents(article, default):
            what = f"article {article_id} ({locale})"
            if content.get("state") == "draft":
                drafts += 1
                continue
            title, body = text_field(content, "title"), content.get("body")
            if not title:
                raise CorpusError(path, None, f"{what} has no title")
            if not isinstance(body, str) or not body.strip():
                raise CorpusError(path, None, f'{what} "{title}" has no body')
            rendered = render_body(path, what, title, body)
            entry = article_entry(
                path, document_id, f"{article_id}-{locale.lower()}", what=what, title=title, body=rendered,
                section=_section(path, article, what, locale, parents), lang=lang_of(locale, lang),
                url=text_field(content, "url") or (text_field(article, "url") if locale == default else ""),
                group=article_id,
            )
            entries.append(entry)
            outlines[entry.id] = rendered.headings
    if not entries:
        raise CorpusError(path, None, f"no published article in this Intercom export ({drafts} draft(s) skipped)")
    notes = (f"{path.name}: {drafts} draft(s) skipped (articles or translations)",) if drafts else ()
    return ParsedFile(title_hint="", entries=tuple(entries), outlines=outlines, notes=notes)


def _contents(article: dict, default: str) -> list[tuple[str, dict]]:
    """(locale, content): the article's own fields in its default locale, then each translation with a title or body."""
    out = [(default, article)]
    translated = article.get("translated_content")
    for locale, content in (translated.items() if isinstance(translated, dict) else ()):
        if locale != "type" and locale != default and isinstance(content, dict) and (content.get("title") or content.get("body")):
            out.append((locale.replace("_", "-"), content))
    return out


def _section(path: Path, article: dict, what: str, locale: str, parents: dict[str, dict]) -> str:
    """The parent collection's name in the locale, after its own parents'; unknown parents are an error when collections are given."""
    names: list[str] = []
    parent_id = article.get("parent_id")
    seen: set[str] = set()
    while parent_id not in (None, "") and parents and str(parent_id) not in seen:
        seen.add(str(parent_id))
        parent = parents.get(str(parent_id))
        if parent is None:
            raise CorpusError(path, None, f"{what}: unknown parent collection {parent_id} (collections: {', '.join(sorted(parents))})")
        translated = parent.get("translated_content")
        local = translated.get(locale) if isinstance(translated, dict) else None
        names.append(text_field(local, "name") if isinstance(local, dict) and text_field(local, "name") else text_field(parent, "name"))
        parent_id = parent.get("parent_id")
    return " › ".join(name for name in reversed(names) if name)
