"""FAQ corpora of any size made from real FAQ text, for the bench's corpus-size runs (benchmarks.scaling).

The real text is the bundled watch-shop FAQ and the two Québec COVID-19 FAQs (French and English).
A synthetic corpus is cut into sections of `SECTION_SIZE` entries, each section in one language
(drawn in proportion to the real entries of each language). A section is named after the first
words of a real answer sentence (numbered when that name comes back); an entry's title is a real
question of that language followed by its section's name in brackets, so every title is unique,
and its answer is the question's own first answer sentence followed by up to three sentences of
other real answers (never more than `MAX_ANSWER_CHARS`, so an entry is one chunk). No word is
invented and the same seed gives the same corpus.

Embedding 100,000 entries with the real models would take hours on two cores, so past a size the
bench embeds the real pieces once (every question, section name and answer sentence, as a query
and as a passage) and `PooledEmbedder` gives a composed text the mean of its pieces' vectors,
weighted by their length in characters: both models pool over tokens, so this stays close to
embedding the whole text (`composition_fidelity` measures how close). Any other text, a customer's
question or an off-topic line, is embedded by the real model.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from eval.datasets import DATASETS, ROOT
from faq.text import normalize
from index.deciding.short_answer import sentences
from index.disk.build import embedded, passage_text
from index.embedders import Embedder, normalised
from ingest.chunk import chunk_entries
from ingest.corpus import Corpus, load_corpus
from ingest.models import Document, Entry

SOURCES = (ROOT / "corpus", DATASETS / "quebec-covid-faq" / "fr_2020-03" / "faq.jsonl",
           DATASETS / "quebec-covid-faq" / "en_2020-05_crowd" / "faq.jsonl")
SECTION_SIZE = 25
MAX_ANSWER_CHARS = 1000  # under ingest.chunk.DEFAULT_MAX_CHARS: each entry is one chunk
EXTRA_SENTENCES = 3
SECTION_WORDS = 5
_TITLES = {"fr": "FAQ synthétique", "en": "Synthetic FAQ"}


@dataclass(frozen=True)
class RealText:
    """One language's real FAQ text: each question with its answer's sentences, and section names."""

    questions: tuple[str, ...]
    answers: tuple[tuple[str, ...], ...]  # answers[i]: the sentences of questions[i]'s answer
    section_names: tuple[str, ...]

    @property
    def sentences(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(s for answer in self.answers for s in answer))


def real_text(sources: Sequence[Path] = SOURCES) -> dict[str, RealText]:
    """The real text by language, in source order (entries without a sentence are skipped)."""
    by_lang: dict[str, tuple[list[str], list[tuple[str, ...]]]] = {}
    for source in sources:
        for entry in load_corpus(source).entries:
            answer = tuple(normalize(entry.answer[a:b]) for a, b in sentences(entry.answer))
            if answer:
                questions, answers = by_lang.setdefault(entry.lang, ([], []))
                questions.append(normalize(entry.question))
                answers.append(answer)
    out = {}
    for lang, (questions, answers) in sorted(by_lang.items()):
        names = (" ".join(s.split()[:SECTION_WORDS]).rstrip(",;:.!?") for answer in answers for s in answer)
        out[lang] = RealText(tuple(questions), tuple(answers), tuple(dict.fromkeys(n for n in names if len(n.split()) > 1)))
    return out


@dataclass(frozen=True)
class Synthetic:
    """A synthetic corpus, and the real pieces each of its composed texts is made of."""

    corpus: Corpus
    pieces: Mapping[str, tuple[str, ...]]  # entry title, section name or answer -> its real pieces

    def query_pieces(self) -> dict[str, tuple[str, ...]]:
        """What index.disk.build embeds as a query (each title), mapped to its pieces."""
        return {normalize(e.question): self.pieces[e.question] for e in self.corpus.entries}

    def passage_pieces(self) -> dict[str, tuple[str, ...]]:
        """What index.disk.build embeds as a passage (titles, then the chunk), mapped to its pieces."""
        entries = {e.id: e for e in self.corpus.entries}
        out = {}
        for chunk in chunk_entries(self.corpus):
            entry = entries[chunk.entry_id]
            out[passage_text(chunk)] = self.pieces[entry.section] + self.pieces[entry.question] + self.pieces[entry.answer]
        return out


def synthetic_corpus(size: int, seed: int = 0, text: Mapping[str, RealText] | None = None) -> Synthetic:
    """`size` entries of real text recombined (see the module doc); the same size and seed give the same corpus."""
    if size < 1:
        raise ValueError(f"a synthetic corpus needs at least one entry; got size {size}")
    text = text if text is not None else real_text()
    rng = random.Random(seed)
    langs = sorted(text)
    weights = [len(text[la].questions) for la in langs]
    name_uses: dict[str, int] = {}
    pieces: dict[str, tuple[str, ...]] = {}
    entries: list[Entry] = []
    for first in range(0, size, SECTION_SIZE):
        lang = rng.choices(langs, weights)[0]
        real = text[lang]
        base = rng.choice(real.section_names)
        name_uses[base] = name_uses.get(base, 0) + 1
        section = base if name_uses[base] == 1 else f"{base} · {name_uses[base]}"
        pieces[section] = (base,)
        count = min(SECTION_SIZE, size - first)
        for i, q in zip(range(first, first + count), rng.sample(range(len(real.questions)), min(count, len(real.questions)))):
            question = f"{real.questions[q]} ({section})"
            chosen = [real.answers[q][0]]
            for _ in range(rng.randint(0, EXTRA_SENTENCES)):
                extra = rng.choice(rng.choice(real.answers))
                if extra not in chosen and len(" ".join([*chosen, extra])) <= MAX_ANSWER_CHARS:
                    chosen.append(extra)
            answer = " ".join(chosen)[:MAX_ANSWER_CHARS]
            pieces[question] = (real.questions[q], base)
            pieces[answer] = tuple(chosen)
            entries.append(Entry(id=f"synthetic-{lang}:{i:06d}", local_id=f"{i:06d}", document_id=f"synthetic-{lang}",
                                 section=section, question=question, answer=answer, lang=lang, start=0,
                                 end=len(question) + len(answer), answer_start=len(question), line=i + 1))
    used = sorted({e.lang for e in entries})
    documents = tuple(Document(f"synthetic-{la}", _TITLES.get(la, "Synthetic FAQ"), la, "eval/synthetic.py") for la in used)
    checksum = hashlib.sha256(json.dumps([size, seed, [(e.question, e.answer) for e in entries]]).encode()).hexdigest()
    return Synthetic(Corpus(documents, tuple(entries), checksum), pieces)


def all_pieces(text: Mapping[str, RealText]) -> list[str]:
    """Every piece a synthetic corpus of any size can be made of: questions, section names, answer sentences."""
    return sorted({p for t in text.values() for p in (*t.questions, *t.section_names, *t.sentences)})


def embed_pieces(model: Embedder, pieces: Sequence[str], cache: Path | None = None) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Each piece embedded once as a query and as a passage (cached in `cache` when given, by model and pieces)."""
    key = hashlib.sha256(json.dumps([model.name, pieces]).encode()).hexdigest()[:16]
    path = cache / f"pieces-{model.name.split(':')[0]}-{key}.npz" if cache is not None else None
    if path is not None and path.exists():
        saved = np.load(path, allow_pickle=False)
        queries, passages = saved["queries"], saved["passages"]
    else:
        queries, passages = (embedded(pieces, model.encode_queries, model.dim), embedded(pieces, model.encode_passages, model.dim))
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            np.savez(path, queries=queries, passages=passages)
    return dict(zip(pieces, queries)), dict(zip(pieces, passages))


Encode = Callable[[Sequence[str]], np.ndarray]


class PooledEmbedder:
    """A real model's name, size and vectors, with composed texts given the length-weighted mean of their pieces' vectors.

    Texts it was not told the pieces of go to the real model, so questions and off-topic lines
    are embedded for real; the searcher accepts its vectors as the real model's (same name).
    """

    def __init__(self, model: Embedder, synthetic: Synthetic, pieces: Sequence[str] | None = None, cache: Path | None = None) -> None:
        """`pieces`: what to embed (default: the corpus's own pieces); `all_pieces` makes one cache serve every size."""
        self.model, self.name, self.dim, self.roles = model, model.name, model.dim, model.roles
        self.languages = model.languages
        self._composed = (synthetic.query_pieces(), synthetic.passage_pieces())
        if pieces is None:
            pieces = sorted({p for composed in synthetic.pieces.values() for p in composed})
        self._vectors = embed_pieces(model, pieces, cache)

    def warm_up(self) -> None:
        self.model.warm_up()

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, 0, self.model.encode_queries)

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, 1, self.model.encode_passages)

    def _encode(self, texts: Sequence[str], side: int, encode: Encode) -> np.ndarray:
        composed, vectors = self._composed[side], self._vectors[side]
        out = np.empty((len(texts), self.dim), np.float32)
        real = [i for i, t in enumerate(texts) if t not in composed]
        if real:
            out[real] = encode([texts[i] for i in real])
        for i, t in enumerate(texts):
            if t in composed:
                parts = composed[t]
                out[i] = np.average([vectors[p] for p in parts], axis=0, weights=[len(p) for p in parts])
        return normalised(out)


def composition_fidelity(model: Embedder, synthetic: Synthetic, pooled: PooledEmbedder, sample: int = 32, seed: int = 0) -> dict[str, float]:
    """Mean cosine between the real model's vector of a composed text and the pooled one, over a sample of titles and passages."""
    rng = random.Random(seed)
    out = {}
    for side, composed in zip(("query", "passage"), pooled._composed):
        texts = rng.sample(sorted(composed), min(sample, len(composed)))
        real = model.encode_queries(texts) if side == "query" else model.encode_passages(texts)
        made = pooled.encode_queries(texts) if side == "query" else pooled.encode_passages(texts)
        out[side] = round(float(np.mean(np.sum(real * made, axis=1))), 4)
    return out
