"""What searching an index needs from its records, whatever the retrieval configuration.

Built once per loaded index (`SearchableIndex.table`) and shared by every searcher opened on it:
calibration opens several on one index, and each used to lay the entries out and build BM25 again.
The index on disk (index.disk.storage.LoadedIndex) knows nothing of it: `searchable` adds it to a loaded index.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from functools import cached_property
from pathlib import Path

import numpy as np

from index.disk.build import LEXICAL
from index.disk.records import Records
from index.disk.storage import LoadedIndex, load_index
from index.ranking.lexical import Analyzer, analyzer
from index.ranking.signals import EntryLayout, LexicalSignal, saved_analyzer
from index.ranking.spelling import Speller


class Column:
    """One text field of every entry as integer codes, so a filter is a vectorised membership test."""

    def __init__(self, values: Sequence[str]) -> None:
        self._code: dict[str, int] = {}
        self.codes = np.array([self._code.setdefault(v, len(self._code)) for v in values], dtype=np.int64)

    def isin(self, wanted: Iterable[str]) -> np.ndarray:
        return np.isin(self.codes, [self._code[v] for v in wanted if v in self._code])


class EntryTable:
    """Entry positions, filter columns, translation groups, the entry layout and (on first use) BM25."""

    def __init__(self, records: Records, lexical: Path | None = None) -> None:
        """`lexical`: where the index keeps its BM25 (index.disk.build), loaded rather than built when it is there."""
        entries = records.entries
        self.records = records
        self._lexical = lexical
        self.layout = EntryLayout(records)
        self.position = {e.id: i for i, e in enumerate(entries)}
        self.ids = frozenset(self.position)
        self.lang = records.lang
        self.langs = sorted({e.lang for e in entries})
        self.documents = Column([e.document_id for e in entries])
        self.sections = Column([e.section for e in entries])
        self.entry_langs = Column([e.lang for e in entries])
        self.group = [e.group for e in entries]
        versions: dict[str, dict[str, int]] = {}
        for i, e in enumerate(entries):
            if e.group:
                versions.setdefault(e.group, {}).setdefault(e.lang, i)
        # only groups with translations matter; an index without any ranks exactly as before
        self.versions = {g: v for g, v in versions.items() if len(v) > 1}

    @cached_property
    def lexical(self) -> LexicalSignal:
        """BM25 over the chunks, loaded (or built) the first time a configuration with a lexical weight asks for it."""
        return LexicalSignal(self.records, self.layout, self.lang, self._lexical)

    @cached_property
    def analyzer(self) -> Analyzer:
        """The index language's analyzer, the one its BM25 was built with (an index saved before analyzer 2 keeps 1):
        background words and the question's terms must be the index's terms."""
        if "lexical" in self.__dict__:  # BM25 loaded (or built): its own
            return next((bm25.analyzer for _, bm25 in self.lexical.parts if bm25.analyzer.lang == self.lang),
                        analyzer(self.lang, self.lexical.analyzers[0]))
        return analyzer(self.lang, saved_analyzer(self._lexical, self.lang))

    def analyzer_of(self, lang: str) -> Analyzer:
        """The analyzer the index's BM25 analyses `lang` with: its part's for that language, else the analyzer of that
        language in the version the index language's part was built with (an index saved before analyzer 2 keeps 1)."""
        for _, bm25 in self.lexical.parts:
            if bm25.analyzer.lang == lang:
                return bm25.analyzer
        return analyzer(lang, self.analyzer.version)

    @cached_property
    def speller(self) -> Speller:
        """The FAQ's words, that a question's misspelt ones are corrected to (index.ranking.spelling)."""
        return Speller((" ".join((e.section, e.question, *e.alt_questions, e.answer)) for e in self.records.entries), self.langs)

    @cached_property
    def vocabulary(self) -> frozenset[str]:
        """Every index term BM25 knows in this corpus: the decision asks which of a question's words the FAQ uses at all."""
        return frozenset(term for _, bm25 in self.lexical.parts for term in bm25.vocabulary)


@dataclass(frozen=True)
class SearchableIndex(LoadedIndex):
    """A loaded index with what every searcher of it needs from its records (`table`), built once on first use."""

    @cached_property
    def table(self) -> EntryTable:
        return EntryTable(self.records, self.path / LEXICAL)


def searchable(index: LoadedIndex) -> SearchableIndex:
    """The index with its entry table: itself when it has one, else a copy that builds it once for every searcher opened on it."""
    if isinstance(index, SearchableIndex):
        return index
    return SearchableIndex(**{f.name: getattr(index, f.name) for f in fields(index)})


def open_index(path: str | Path, embedder_name: str | None = None) -> SearchableIndex:
    """`load_index` (index.disk.storage: the folder loaded and checked), ready to search."""
    return searchable(load_index(path, embedder_name))
