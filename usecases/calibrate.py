"""Calibrating an index: on labelled questions when a set labels its entries, label-free otherwise.

The CLI (`faq calibrate`, `faq ingest`), `faq serve`'s repair (usecases.fit_to_serve), the eval and the tests call these; they
return what was done and print nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from faq.errors import FaqError
from faq.settings import Settings
from feedback.factory import existing_feedback_store
from index.deciding.calibrate import LabelledQuestion, read_labelled
from index.deciding.label_free import QUANTILE, off_topic_questions
from index.disk.calibration import Calibration
from index.disk.known import CALIBRATION_QUERIES, Vectors as KnownVectors, load_known
from index.disk.storage import LoadedIndex, load_index
from index.embedders import Embedder, load_embedders
from index.pipeline import fit, fit_label_free, store_calibration
from ingest.corpus import Corpus


@dataclass(frozen=True)
class CalibrationResult:
    """What calibrating an index did: `calibration` is what its manifest now holds (its method, the labelled dev questions
    or off-topic lines it was chosen on); the rest is what the use case reports beyond it."""

    calibration: Calibration
    reason: str = ""  # label-free: why no labelled set was used
    quantile: float = QUANTILE
    off_topic_used: int = 0
    logged_questions: int = 0  # label-free: query-log questions that made the query bank (0: the off-topic ones did)


def calibrate_index(index_dir: Path, questions_file: Path | None, settings: Settings, entry_ids: set[str] | None = None,
                    required: bool = False, models: Sequence[Embedder] | None = None,
                    earlier: Path | None = None) -> CalibrationResult:
    """Calibrate on the dev split of labelled questions when they label this corpus, label-free otherwise.

    `required`: the file was named by the user (`faq calibrate FILE`), so one that labels no entry of
    this corpus is an error rather than a reason to fall back. `models`: already loaded for the settings.
    `earlier`: an index folder whose label-free calibration's question vectors may be reused (the version served
    before a re-ingest; by default this index's own, from its last calibration)."""
    index = load_index(index_dir)  # once: its records resolve the questions' titles, then it is fitted (the searcher checks its embedder)
    corpus = Corpus(index.records.documents, index.records.entries, index.manifest.corpus_checksum)
    has_file = questions_file is not None and questions_file.exists()
    questions = read_labelled(questions_file, split="dev", corpus=corpus) if questions_file is not None and has_file else []
    known = entry_ids or {e.id for e in corpus.entries}
    labelled = bool(questions) and all(q.relevant <= known for q in questions)
    if required and not labelled:
        unknown = sorted({i for q in questions for i in q.relevant} - known)[:5]
        raise FaqError(f"{questions_file} has no dev question labelling this index's entries"
                       + (f" (unknown entry ids: {', '.join(unknown)})" if unknown else " (no row has \"split\": \"dev\")")
                       + ". Label questions with the entry ids GET /v1/documents lists, or with their question titles.")
    models = list(models) if models is not None else load_embedders(settings.retrieval())
    if labelled:
        return _labelled(index, f"{questions_file} (dev)", questions, settings, models)
    why = f"{questions_file} does not label this FAQ's entries" if questions else "no labelled questions for this FAQ"
    return _label_free(index, settings, why, models, load_known(earlier or index.path, CALIBRATION_QUERIES))


def logged_questions(settings: Settings) -> list[str]:
    """Real questions from the service's query log (labels unused), when there is one (FAQ_DATABASE_URL or the data folder's)."""
    with existing_feedback_store(settings) as store:
        return store.logged_questions() if store else []


def _labelled(index: LoadedIndex, source: str, questions: list[LabelledQuestion], settings: Settings,
              models: list[Embedder]) -> CalibrationResult:
    config = settings.retrieval()
    searcher, found = fit(index, config, models, questions)
    return CalibrationResult(store_calibration(index.path, found.model_copy(update={"source": source}), searcher.vectors))


def _label_free(index: LoadedIndex, settings: Settings, why: str, models: list[Embedder],
                earlier: KnownVectors | None = None) -> CalibrationResult:
    config = settings.retrieval()
    traffic = logged_questions(settings)
    off_topic = off_topic_questions("dev")
    searcher, found = fit_label_free(index, config, models, off_topic, traffic, earlier)
    logged = found.logged_questions
    source = (f"label-free: {found.faq_questions} FAQ questions, {found.off_topic_used} bundled off-topic questions"
              + (f" ({found.off_topic_dropped} too close to this FAQ left out)" if found.off_topic_dropped else "")
              + (f", query bank from {logged} logged questions" if logged else ""))
    stored = store_calibration(index.path, found.calibration.model_copy(update={"source": source}), searcher.vectors, found.embedded)
    return CalibrationResult(stored, why, QUANTILE, found.off_topic_used, logged)
