"""What the help-center importers (Zendesk, Intercom, HTML pages) share: locales, entries from rendered HTML.

An imported answer is derived text (rendered HTML), not a span of the source file, so its entry's
offsets are into the answer itself: `start = answer_start = 0`, `end = len(answer)`.
"""

from __future__ import annotations

import json
from pathlib import Path

from faq.errors import CorpusError
from ingest.decode import read_text
from ingest.html_text import HtmlText, MarkupError, html_to_text
from ingest.models import Entry


def lang_of(locale: object, default: str) -> str:
    """`fr-ca` -> `fr`, `pt_BR` -> `pt`; the document's language when there is no locale."""
    if not isinstance(locale, str) or not locale.strip():
        return default
    return locale.strip().replace("_", "-").split("-")[0].lower()


def article_entry(
    path: Path, document_id: str, local_id: str, *, what: str, section: str, title: str, body: HtmlText,
    lang: str, url: str = "", group: str = "", line: int = 0,
) -> Entry:
    """One entry from a rendered article; `what` names the record in errors (`article 360001234`)."""
    if not body.text.strip():
        raise CorpusError(path, line or None, f'{what} "{title}": its body has no text')
    return Entry(
        id=f"{document_id}:{local_id}", local_id=local_id, document_id=document_id, section=section,
        question=title, answer=body.text, lang=lang, start=0, end=len(body.text), answer_start=0,
        line=line, url=url, group=group,
    )


def render_body(path: Path, what: str, title: str, body: str) -> HtmlText:
    """An article's HTML body as text; markup it will not render names the article and the line inside its body."""
    try:
        return html_to_text(body)
    except MarkupError as e:
        where = f", line {e.line} of its body" if e.line else ""
        raise CorpusError(path, None, f'{what} "{title}"{where}: {e.reason}') from e


def text_field(record: dict, key: str) -> str:
    """A string field, stripped; anything else (missing, null, a number) is empty."""
    value = record.get(key)
    return value.strip() if isinstance(value, str) else ""


def load_json(path: Path, text: str) -> object:
    """The decoded JSON, or a CorpusError at the decoder's line."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise CorpusError(path, e.lineno, f"not valid JSON ({e.msg} at column {e.colno})") from e


def records(value: object, key: str) -> list[dict]:
    """The objects of a list, of `{key: [...]}` or of an API page `{"data": [...]}`."""
    if isinstance(value, dict):
        value = value.get(key, value.get("data", []))
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def sidecar(path: Path, name: str, key: str) -> list[dict]:
    """The records of a file beside the export (`sections.json`, `categories.json`, `collections.json`), if any."""
    file = path.with_name(name)
    if not file.exists() or file == path:
        return []
    return records(load_json(file, read_text(file)), key)


def record_id(path: Path, record: dict, what: str, number: int) -> str:
    """The record's id as text; a record without one is named by its position."""
    value = record.get("id")
    if not isinstance(value, (str, int)) or str(value).strip() == "":
        raise CorpusError(path, None, f"{what} #{number} has no \"id\"")
    return str(value).strip()
