"""How much embedding a corpus will take, estimated from its entries before any model loads.

`faq ingest` prints the estimate when it is long (WARN_EMBED_CHARS) and the use case refuses a corpus past
FAQ_MAX_EMBED_CHARS: a 50 MB export would otherwise embed for over an hour with nothing said.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from faq.limits import EMBED_CHARS_PER_SECOND, WARN_EMBED_CHARS
from ingest.chunk import DEFAULT_MAX_CHARS, DEFAULT_OVERLAP
from ingest.corpus import Corpus


@dataclass(frozen=True)
class EmbeddingWork:
    """The texts (questions, then chunks with their titles) and characters an index of the corpus embeds."""

    texts: int
    characters: int

    @property
    def minutes(self) -> float:
        """At the rate measured on this project's reference machine (faq.limits.EMBED_CHARS_PER_SECOND)."""
        return self.characters / EMBED_CHARS_PER_SECOND / 60

    def describe(self) -> str:
        return f"{self.texts:,} texts of {self.characters:,} characters (about {max(1, round(self.minutes)):,} min)"

    def warning(self) -> str | None:
        """What to tell before a long embedding starts; None when it is short."""
        if self.characters <= WARN_EMBED_CHARS:
            return None
        return (f"large corpus: about {max(1, round(self.minutes)):,} min of embedding for {self.texts:,} texts of "
                f"{self.characters:,} characters (measured at ~{EMBED_CHARS_PER_SECOND:,} characters a second on 2 cores)")


def estimate_embedding(corpus: Corpus, max_chars: int = DEFAULT_MAX_CHARS, overlap: int = DEFAULT_OVERLAP) -> EmbeddingWork:
    """Chunks counted the way ingest.chunk cuts them by size (cutting at headings makes a few more, shorter ones)."""
    texts = characters = 0
    for entry in corpus.entries:
        questions = (entry.question, *entry.alt_questions)
        length = len(entry.answer)
        parts = 1 if length <= max_chars else math.ceil((length - overlap) / (max_chars - overlap))
        titles = len(entry.section) + len(entry.question) + 1
        texts += len(questions) + parts
        characters += sum(map(len, questions)) + length + (parts - 1) * overlap + parts * titles
    return EmbeddingWork(texts, characters)
