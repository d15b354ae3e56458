"""`.json` files are help-center exports; which one (Zendesk Guide or Intercom Articles) is told by their shape."""

from __future__ import annotations

from pathlib import Path

from faq.errors import CorpusError
from ingest.imported import load_json
from ingest.parse_intercom import is_intercom, parse_intercom
from ingest.parse_text import ParsedFile
from ingest.parse_zendesk import is_zendesk, parse_zendesk

# beside an export, these hold its sections, categories or collections: they are not FAQ files themselves
SIDECARS = ("sections.json", "categories.json", "collections.json")


def parse_json(path: Path, text: str, document_id: str, lang: str) -> ParsedFile:
    """Zendesk when the JSON has `articles` (or articles with a `section_id`), Intercom for a list of articles."""
    data = load_json(path, text)
    if is_zendesk(data):
        return parse_zendesk(path, data, document_id, lang)
    if is_intercom(data):
        return parse_intercom(path, data, document_id, lang)
    raise CorpusError(path, 1, 'not a help-center export: expected a Zendesk page {"articles": [...]} or Intercom '
                               'articles ([...], {"type": "list", "data": [...]})')
