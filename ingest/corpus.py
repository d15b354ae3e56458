"""A corpus is a file or a folder of FAQ files, each with an optional `<name>.manifest.json` beside it.

The manifest gives the document's id, title, language and source; without one they come from the
file name (`shop-faq.fr.md` -> id `shop-faq`, language `fr`) and the file's own header. A file
whose name and manifest say no language gets the one its text is written in (faq.language), so a
team's `faq.md` in German is indexed, stemmed and reported as German, not as the default.

A corpus folder is read only from its own regular files: a symbolic link among the files ingest would read
(FAQ files, manifests, an export's sidecars, helpcenter.json) is refused, naming it, so a link cannot put a
file from elsewhere on the server into the index. The folder itself may be named through a link.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from faq.errors import CorpusError, FaqError
from faq.language import COMMON, UNKNOWN, detect
from faq.text import slugify
from ingest.bounds import check_corpus_bytes, check_parsed
from ingest.decode import read_text
from ingest.helpcenter import FILE_NAME as HELPCENTER_FILE
from ingest.models import Document, Entry, Heading
from ingest.parse_csv import parse_csv
from ingest.parse_html import parse_html
from ingest.parse_json import SIDECARS, parse_json
from ingest.parse_jsonl import parse_jsonl
from ingest.parse_markdown import parse_markdown
from ingest.parse_text import ParsedFile, parse_text

Parser = Callable[[Path, str, str, str], ParsedFile]
PARSERS: dict[str, Parser] = {
    ".txt": parse_text, ".md": parse_markdown, ".jsonl": parse_jsonl, ".csv": parse_csv,
    ".json": parse_json, ".html": parse_html, ".htm": parse_html,
}
MANIFEST_SUFFIX = ".manifest.json"
_LANGS = frozenset(COMMON)
_FALLBACK_LANG = "fr"  # the language of a file too short or too mixed to tell, as before detection
_UNDECLARED = "\0undeclared"  # what a parser stamps on the entries that take the document's language
_DETECT_CHARS = 20_000  # enough text to tell a language; a whole export need not be read by the model


@dataclass(frozen=True)
class Corpus:
    """Everything ingest read, and a checksum of the bytes it was read from.

    `outlines` holds, by entry id, the headings inside imported answers (chunking splits at them);
    `notes` what the parsers left out on purpose (e.g. "zendesk.json: 1 draft article(s) skipped").
    """

    documents: tuple[Document, ...]
    entries: tuple[Entry, ...]
    checksum: str
    outlines: Mapping[str, tuple[Heading, ...]] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    def document(self, document_id: str) -> Document:
        return next(d for d in self.documents if d.id == document_id)


def corpus_files(path: Path) -> list[Path]:
    """The FAQ files a path stands for, in a stable order."""
    if not path.exists():
        raise CorpusError(path, None, "no such file or folder")
    if path.is_file():
        if path.suffix not in PARSERS:
            raise CorpusError(path, None, f"unsupported file type {path.suffix!r}; use one of {', '.join(PARSERS)}")
        _refuse_links([_manifest_path(path), *(path.with_name(name) for name in (*SIDECARS, HELPCENTER_FILE))])
        return [path]
    _refuse_links(sorted(p for p in path.iterdir() if _is_read(p)))
    files = sorted(p for p in path.iterdir() if p.is_file() and _is_faq_file(p))
    if not files:
        raise CorpusError(path, None, f"no FAQ file ({', '.join(PARSERS)}) in this folder")
    return files


def _is_faq_file(path: Path) -> bool:
    """A file of a known type that is not a readme, a manifest, an export's sections/collections or the help center's settings."""
    name = path.name.lower()
    return (path.suffix in PARSERS and not name.startswith("readme") and not name.endswith(MANIFEST_SUFFIX)
            and name not in SIDECARS and name != HELPCENTER_FILE)


def _refuse_links(paths: list[Path]) -> None:
    """The first symbolic link among files ingest would read stops the load (the corpus path itself may be one)."""
    link = next((p for p in paths if p.is_symlink()), None)
    if link is not None:
        raise CorpusError(link, None, f"a symbolic link (to {link.readlink()}); a corpus folder is read only from its own "
                                      "regular files, so copy the file in instead of linking it")


def _is_read(path: Path) -> bool:
    """A name ingest or the service would open: a FAQ file, a manifest, an export's sidecar, helpcenter.json."""
    return path.suffix in PARSERS and not path.name.lower().startswith("readme")


def load_corpus(path: str | Path) -> Corpus:
    """Parse every file; any malformed file stops the whole load, naming file and line."""
    digest = hashlib.sha256()
    documents: list[Document] = []
    entries: list[Entry] = []
    outlines: dict[str, tuple[Heading, ...]] = {}
    notes: list[str] = []
    seen: dict[str, Path] = {}
    files = corpus_files(Path(path))
    check_corpus_bytes(Path(path), files)
    texts = [read_text(f) for f in files]
    for file, text, document in zip(files, texts, _translations_apart([_document_for(f, t) for f, t in zip(files, texts)])):
        if document.id in seen:
            raise CorpusError(file, None, f'duplicate document id "{document.id}" (also used by {seen[document.id]})')
        seen[document.id] = file
        parsed = _parse(file, text, document.id, document.lang)
        check_parsed(file, file.stat().st_size, parsed)
        if not document.title:
            document = Document(document.id, parsed.title_hint or document.id, document.lang, document.source)
        digest.update(file.name.encode() + b"\0" + file.read_bytes() + b"\0")
        manifest = _manifest_path(file)
        if manifest.exists():
            digest.update(manifest.read_bytes())
        for extra in (file.with_name(name) for name in SIDECARS if file.suffix == ".json"):
            if extra.exists():  # an export's sections or collections name its entries' sections
                digest.update(extra.name.encode() + b"\0" + extra.read_bytes() + b"\0")
        documents.append(document)
        entries.extend(parsed.entries)
        outlines.update({k: v for k, v in parsed.outlines.items() if v})
        notes.extend(parsed.notes)
    return Corpus(tuple(documents), tuple(entries), digest.hexdigest(), outlines, tuple(notes))


def _parse(file: Path, text: str, document_id: str, lang: str) -> ParsedFile:
    """The file's reader; whatever else it raises still names the file (ingest never stops on an unnamed error)."""
    try:
        return PARSERS[file.suffix](file, text, document_id, lang)
    except FaqError:
        raise
    except Exception as e:  # noqa: BLE001 - a reader's bug or a resource limit (RecursionError), said with the file
        raise CorpusError(file, None, f"the {file.suffix} reader failed ({type(e).__name__}: {str(e)[:200]}); "
                                      "this is a bug in ingest: please report it with this file") from e


def _translations_apart(documents: list[Document]) -> list[Document]:
    """`shop-faq.fr.md` and `shop-faq.en.md` are one FAQ in two languages: ids `shop-faq-fr` and `shop-faq-en`.

    Only ids shared by documents of different languages change; a lone `shop-faq.fr.md` stays `shop-faq`."""
    langs: dict[str, list[str]] = {}
    for d in documents:
        langs.setdefault(d.id, []).append(d.lang)
    apart = {i for i, ls in langs.items() if len(ls) > 1 and len(set(ls)) == len(ls)}
    return [replace(d, id=f"{d.id}-{d.lang}") if d.id in apart else d for d in documents]


def _manifest_path(file: Path) -> Path:
    return file.with_name(file.stem + MANIFEST_SUFFIX)


def _document_for(file: Path, text: str) -> Document:
    stem, _, maybe_lang = file.stem.rpartition(".")
    lang = maybe_lang if stem and maybe_lang in _LANGS else None
    default_id = slugify(stem if stem and maybe_lang in _LANGS else file.stem)
    manifest = _manifest_path(file)
    if not manifest.exists():
        return Document(default_id, "", lang or _detected_lang(file, text, default_id), file.name)
    try:
        meta = json.loads(read_text(manifest))
    except json.JSONDecodeError as e:
        raise CorpusError(manifest, e.lineno, f"not valid JSON ({e.msg})") from e
    if not isinstance(meta, dict):
        raise CorpusError(manifest, 1, 'a manifest is a JSON object: {"id", "title", "lang", "source"}')
    unknown = set(meta) - {"id", "title", "lang", "source"}
    if unknown:
        raise CorpusError(manifest, 1, f"unknown manifest field(s) {sorted(unknown)}; allowed: id, title, lang, source")
    doc_id = str(meta.get("id") or default_id)
    if slugify(doc_id) != doc_id:
        raise CorpusError(manifest, 1, f'id "{doc_id}" must be lowercase letters, digits and dashes, e.g. "{slugify(doc_id)}"')
    declared = meta.get("lang") or lang
    return Document(doc_id, str(meta.get("title", "")), str(declared) if declared else _detected_lang(file, text, doc_id),
                    str(meta.get("source", file.name)))


def _detected_lang(file: Path, text: str, document_id: str) -> str:
    """The language of the entries that would take the document's: told from their questions and
    answers, not the raw file, whose JSON keys or CSV header would read as English. The file is
    parsed once more for it (parsing is pure and milliseconds next to embedding); entries with a
    language of their own (a row's `lang`, an export's locale) do not count."""
    try:
        parsed = _parse(file, text, document_id, _UNDECLARED)
    except CorpusError:
        return _FALLBACK_LANG  # the real parse, with the document's language, reports it
    sample, size = [], 0
    for entry in parsed.entries:
        if entry.lang == _UNDECLARED and size < _DETECT_CHARS:
            sample.append(f"{entry.question}\n{entry.answer}")
            size += len(sample[-1])
    found = detect("\n".join(sample)[:_DETECT_CHARS]) if sample else UNKNOWN
    return _FALLBACK_LANG if found == UNKNOWN else found


def with_phrasings(corpus: Corpus, phrasings: Mapping[str, tuple[str, ...]]) -> Corpus:
    """The corpus with reviewed alternative phrasings added to their entries (unknown entry ids are skipped)."""
    if not phrasings:
        return corpus
    entries = tuple(
        replace(e, alt_questions=tuple(dict.fromkeys((*e.alt_questions, *phrasings.get(e.id, ())))))
        for e in corpus.entries
    )
    digest = hashlib.sha256(corpus.checksum.encode() + json.dumps(sorted(phrasings.items())).encode()).hexdigest()
    return Corpus(corpus.documents, entries, digest, corpus.outlines, corpus.notes)
