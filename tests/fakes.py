"""A deterministic embedder with no model, so that logic and HTTP tests run in milliseconds.

`FakeEmbedder` implements `index.embedders.Embedder`: each word of a text (lowercased, accents
folded, as customers type) is cut into character trigrams with word boundaries ("<ga", "gar", …,
"ie>"), each trigram is hashed (blake2b, salted) to one of `dim` columns with a sign of ±1, and
the sum is L2-normalised (float32). Texts that share words, or most of a word ("reparation" and
"réparations"), are similar; texts that share none score about 0; the same text always gets the
same vector, in any process (no `hash()` randomisation). A text with no word at all ("😀😀", "???")
gets one fixed vector of its own, so every vector is normalised. It knows nothing of meaning
or languages: "How long is the warranty?" is not close to "Quelle est la durée de la garantie ?".
That is what `@pytest.mark.model` tests are for.

Names. The index keys vectors, query banks and the manifest by the embedder's name, so two
instances with different dims or salts get different names (`fake:trigrams-256`,
`fake:trigrams-128-b`) and an index built with one refuses the other, as with real models.

Standing in for USE, deliberately. `fake_use()` declares USE's roles (index.embedders.base.Role):
the short answerer scores sentences with the model declaring `sentences`, the off-topic margin
compares a question with the off-topic questions through the one declaring `off_topic`, and the
content gaps group with the one declaring `grouping`. So an ensemble of `FakeEmbedder()` and
`fake_use()` (the conftest fixtures) takes the same code paths as the default e5 + USE
configuration; a fake without the roles would silently test the no-USE paths instead.
The index file of an ensemble member is named after the part before ":" (`vectors.usem3-fake.faiss`),
so two members need different prefixes.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from faq.text import strip_accents
from index.embedders.base import NO_ROLES, Role
from index.embedders.use import UseEmbedder

_WORD = re.compile(r"\w+")
_NO_WORD = "\x00no-word"  # the one feature of a text without words


@lru_cache(maxsize=65536)
def _column(salt: str, trigram: str, dim: int) -> tuple[int, float]:
    digest = int.from_bytes(hashlib.blake2b(f"{salt}\x1f{trigram}".encode(), digest_size=8).digest(), "little")
    return digest % dim, 1.0 if digest >> 63 else -1.0


@lru_cache(maxsize=65536)  # a function of its arguments: the suite's many builds and calibrations embed the same texts
def _text_vector(salt: str, dim: int, text: str) -> np.ndarray:
    """The vector of one text (read-only: it is shared by every caller that embeds the same text)."""
    vector = np.zeros(dim, dtype=np.float32)
    for gram in trigrams(text) or [_NO_WORD]:
        column, sign = _column(salt, gram, dim)
        vector[column] += sign
    norm = float(np.linalg.norm(vector))
    if norm == 0:  # the signs cancelled out exactly: fall back on the no-word feature
        column, sign = _column(salt, _NO_WORD, dim)
        vector[column], norm = sign, 1.0
    vector /= norm
    vector.flags.writeable = False
    return vector


def trigrams(text: str) -> list[str]:
    """The features of a text: the boundary-marked character trigrams of its folded words, in order."""
    grams: list[str] = []
    for word in _WORD.findall(strip_accents(text.casefold())):
        marked = f"<{word}>"
        grams.extend(marked[i : i + 3] for i in range(len(marked) - 2))
    return grams


class FakeEmbedder:
    """Hashed character trigrams of words into `dim` columns, L2-normalised float32. No weights, no threads."""

    def __init__(self, dim: int = 256, salt: str = "", prefix: str = "fake", roles: frozenset[Role] = NO_ROLES,
                 languages: frozenset[str] | None = None) -> None:
        if dim < 8:
            raise ValueError(f"dim must be at least 8, got {dim}")
        self.dim = dim
        self.roles = roles
        self.languages = languages
        self.salt = salt
        self.name = f"{prefix}:trigrams-{dim}" + (f"-{salt}" if salt else "")
        self.warmed = False

    cheap = True  # microseconds a question: the searcher embeds it inline, not on a thread (index.ranking.search._cheap)

    def warm_up(self) -> None:
        self.warmed = True  # nothing to load; recorded so tests can see that the service warmed its models

    def _vector(self, text: str) -> np.ndarray:
        return _text_vector(self.salt, self.dim, text)

    def _encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.empty((0, self.dim), np.float32)
        return np.ascontiguousarray(np.stack([self._vector(t) for t in texts]), dtype=np.float32)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts)

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts)

    def __repr__(self) -> str:
        return f"FakeEmbedder({self.name!r})"


def fake_use() -> FakeEmbedder:
    """The stand-in for USE in a fake ensemble: named "usem3-…" on purpose (see the module docstring)."""
    return FakeEmbedder(dim=128, salt="use", prefix="usem3-fake", roles=UseEmbedder.roles, languages=UseEmbedder.languages)


class RecordingEmbedder:
    """A model (a fake) that records what it is asked to embed: `questions`, every text embedded as a question, and
    `passage_calls`, the texts of each passage call. For tests that count embeddings (what opening an index or
    answering a question embeds)."""

    def __init__(self, model: FakeEmbedder) -> None:
        self.model, self.name, self.dim, self.roles = model, model.name, model.dim, model.roles
        self.languages = model.languages
        self.questions: list[str] = []
        self.passage_calls: list[list[str]] = []

    def warm_up(self) -> None:
        self.model.warm_up()

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        self.questions.extend(texts)
        return self.model.encode_queries(texts)

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        self.passage_calls.append(list(texts))
        return self.model.encode_passages(texts)
