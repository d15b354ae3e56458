"""A help center read from its site (ingest.fetch), ingested exactly as the same pages saved in a folder.

Each fetched page is saved, as UTF-8, into a temporary folder under a name made from its address (`/help/fr/articles/
1-1` → `help-fr-articles-1-1.html`, document id `help-fr-articles-1-1`), with a manifest giving the address as the
document's source, and the folder is read by ingest.corpus like any other: the HTML reader, its bounds, hreflang
alternates as translations. Two differences only, both per page: a page the HTML reader refuses (no title, no text,
over a limit) is a failure of that page rather than of the whole ingest, and an entry whose page names no canonical
address gets the address it was fetched from, so its citation links to it.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlsplit

from faq.errors import CorpusError
from faq.text import slugify
from ingest.corpus import MANIFEST_SUFFIX, Corpus, load_corpus
from ingest.fetch import PageFailure, SiteFetch, SiteOptions, fetch_site


@dataclass(frozen=True)
class SiteCorpus:
    corpus: Corpus
    fetch: SiteFetch
    failures: tuple[PageFailure, ...]  # the fetch's failures, then the pages the HTML reader refused
    files: dict[str, str]  # page address → the file name it was read as


def file_name(url: str, taken: set[str]) -> str:
    """`https://help.example.com/fr/articles/1-1` → `fr-articles-1-1.html` (a query or a clash adds a short hash)."""
    parts = urlsplit(url)
    path = parts.path.strip("/")
    for suffix in (".html", ".htm"):
        path = path.removesuffix(suffix)
    stem = slugify(path.replace("/", "-").replace(".", "-"))[:80].strip("-") or "index"
    if parts.query or stem in taken:
        stem = f"{stem}-{hashlib.sha256(url.encode()).hexdigest()[:8]}"
    taken.add(stem)
    return stem + ".html"


def load_site(url: str, options: SiteOptions | None = None) -> SiteCorpus:
    fetched = fetch_site(url, options)
    failures = list(fetched.failures)
    with tempfile.TemporaryDirectory(prefix="faq-site-") as tmp:
        folder = Path(tmp)
        taken: set[str] = set()
        files: dict[str, str] = {}
        read_from: dict[str, str] = {}  # document id → the address its page was read at
        for page in fetched.pages:
            name = file_name(page.final_url, taken)
            file = folder / name
            file.write_text(page.text, encoding="utf-8")
            file.with_name(file.stem + MANIFEST_SUFFIX).write_text(json.dumps({"source": page.final_url}), encoding="utf-8")
            try:  # the page alone first: a page the reader refuses is that page's failure
                load_corpus(file)
            except CorpusError as e:
                failures.append(PageFailure(page.url, f"not read as a help-center page: {e.reason}"
                                                      + (f" (line {e.line})" if e.line else "")))
                file.unlink()
                file.with_name(file.stem + MANIFEST_SUFFIX).unlink()
                continue
            files[page.url] = name
            read_from[Path(name).stem] = page.final_url
        if not files:
            reasons = "; ".join(str(f) for f in failures[:5]) or "it lists no page"
            raise CorpusError(url, None, f"no page of the site could be read ({reasons})")
        corpus = load_corpus(folder)
    entries = tuple(e if e.url else replace(e, url=read_from.get(e.document_id, "")) for e in corpus.entries)
    return SiteCorpus(replace(corpus, entries=entries), fetched, tuple(failures), files)
