"""An ingest re-embeds only what changed (index.disk.reuse): the texts whose vectors the served version holds are reused,
and the result is the full build's, byte for byte, ranking for ranking."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from faq.retrieval import RetrievalConfig
from faq.settings import Settings
from faq.text import normalize
from index.deciding.label_free import off_topic_questions
from index.disk.build import build_folder
from index.disk.reuse import VectorPool, keys_file
from index.disk.storage import read_manifest
from index.disk.versions import resolve
from index.pipeline import build_index, open_answerer
from ingest.corpus import Corpus
from usecases.versions import build_loaded

from conftest import calibrate_label_free
from fakes import FakeEmbedder, RecordingEmbedder, fake_use

QUESTIONS = ["How long is the warranty?", "garantie de la montre", "Comment suivre ma commande ?", "remboursement carte",
             "changer la pile", "livraison à l'étranger", "bracelet cassé", "retour d'un article", "quel délai de réparation ?"]


def changed(corpus: Corpus) -> Corpus:
    """Two answers and a question rewritten, one entry added, one removed."""
    entries = list(corpus.entries)
    entries[1] = replace(entries[1], answer=entries[1].answer + " Nouveau : un suivi par SMS est aussi proposé.")
    entries[4] = replace(entries[4], answer="Réponse réécrite entièrement, avec un délai de dix jours ouvrés.")
    entries[6] = replace(entries[6], question="Comment changer le bracelet de ma montre soi-même ?")
    removed = entries.pop(9)
    added = replace(entries[2], id=entries[2].id + "-new", local_id=entries[2].local_id + "-new",
                    question="Puis-je payer en plusieurs fois sans frais ?", answer="Oui, en trois fois dès 300 euros d'achat.")
    entries.append(added)
    assert removed.id != added.id
    return replace(corpus, entries=tuple(entries), checksum=corpus.checksum + "-changed")


def recording() -> list[RecordingEmbedder]:
    return [RecordingEmbedder(FakeEmbedder()), RecordingEmbedder(fake_use())]


def asked(models: list[RecordingEmbedder]) -> list[tuple[str, str, str]]:
    """Every (model, role, text) the models were asked to embed, with repeats."""
    return [(m.name, "query", t) for m in models for t in m.questions] + \
           [(m.name, "passage", t) for m in models for call in m.passage_calls for t in call]


def files(folder: Path) -> dict[str, bytes]:
    """Every file of an index folder but its manifest (build time and duration differ), by relative path."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and p.name != "manifest.json"}


def test_an_incremental_build_is_the_full_build_and_embeds_only_the_changed_texts(corpus, tmp_path):
    before, after = corpus, changed(corpus)
    first = recording()
    build_index(before, first, tmp_path / "v1")
    full = recording()
    build_index(after, full, tmp_path / "full")
    incremental = recording()
    pool = VectorPool.from_folders([tmp_path / "v1"])
    build_index(after, incremental, tmp_path / "incremental", reuse=pool)

    embedded = asked(incremental)
    assert set(embedded) == set(asked(full)) - set(asked(first))  # exactly the new texts, of each model and role
    assert 0 < pool.embedded == len(embedded) and pool.reused > 3 * pool.embedded
    assert pool.embedded + pool.reused == len(asked(full))
    assert files(tmp_path / "incremental") == files(tmp_path / "full")  # vectors, keys, BM25, hubness, sentences, records

    models = [FakeEmbedder(), fake_use()]
    for name in ("full", "incremental"):
        calibrate_label_free(tmp_path / name, models, tmp_path / f"data-{name}")
    assert read_manifest(tmp_path / "incremental").calibration == read_manifest(tmp_path / "full").calibration
    answerers = [open_answerer(tmp_path / name, RetrievalConfig(), models) for name in ("full", "incremental")]
    for question in QUESTIONS:
        ranked = [[(h.entry_id, h.score) for h in a.searcher.rank(question, limit=10).hits] for a in answerers]
        assert ranked[0] == ranked[1], question
        answers = [a.answer(question) for a in answerers]
        assert answers[0].outcome == answers[1].outcome and answers[0].confidence == answers[1].confidence


def test_nothing_is_reused_from_another_model_another_format_or_a_folder_without_keys(corpus, tmp_path):
    build_folder(corpus, [FakeEmbedder()], tmp_path / "v1")
    other = RecordingEmbedder(FakeEmbedder(salt="other"))  # another model (or engine variant): another name
    pool = VectorPool.from_folders([tmp_path / "v1"])
    build_folder(corpus, [other], tmp_path / "v2", reuse=pool)
    assert pool.reused == 0 and pool.embedded == len(other.questions) + sum(map(len, other.passage_calls)) > 0

    same = RecordingEmbedder(FakeEmbedder())
    pool = VectorPool.from_folders([tmp_path / "v1"])
    build_folder(corpus, [same], tmp_path / "v3", reuse=pool)
    assert pool.embedded == 0 and not same.questions and not same.passage_calls

    manifest = tmp_path / "v1" / "manifest.json"
    raw = json.loads(manifest.read_text())
    manifest.write_text(json.dumps({**raw, "format_version": raw["format_version"] + 1}))
    assert len(VectorPool.from_folders([tmp_path / "v1"])) == 0
    manifest.write_text(json.dumps(raw))
    (tmp_path / "v1" / keys_file("vectors.faiss")).unlink()  # an index built before the keys were kept
    assert len(VectorPool.from_folders([tmp_path / "v1"])) == 0


def test_a_changed_chunk_size_reembeds_the_passages_it_changes(corpus, tmp_path):
    build_folder(corpus, [FakeEmbedder()], tmp_path / "v1", max_chars=1200)
    model = RecordingEmbedder(FakeEmbedder())
    pool = VectorPool.from_folders([tmp_path / "v1"])
    build_folder(corpus, [model], tmp_path / "v2", max_chars=300, overlap=40, reuse=pool)
    assert not model.questions  # the questions are the same texts
    assert model.passage_calls and pool.embedded == sum(map(len, model.passage_calls))
    full = np.load(tmp_path / "v2" / keys_file("vectors.faiss"))
    assert len(full) == read_manifest(tmp_path / "v2").vector_count


@pytest.fixture
def settings(tmp_path: Path, corpus: Corpus) -> Settings:
    return Settings(index_dir=tmp_path / "index", data_dir=tmp_path / "data", keep_versions=2, calibration_set=None)


def test_an_ingest_reuses_the_served_versions_vectors_and_counts_the_changes(corpus, settings, fake_models):
    first = build_loaded(corpus, settings.index_dir, settings, fake_models)
    assert first.changes is not None and first.changes.reused_from is None and first.changes.texts_reused == 0
    assert first.changes.added == len(corpus.entries) and first.changes.changed == first.changes.removed == 0

    again = build_loaded(corpus, settings.index_dir, settings, fake_models)  # nothing changed: nothing embedded
    assert again.changes is not None and again.changes.texts_embedded == 0
    assert again.changes.texts_reused == first.changes.texts_embedded and again.changes.reused_from == first.version

    second = build_loaded(changed(corpus), settings.index_dir, settings, fake_models)
    c = second.changes
    assert c is not None and (c.added, c.changed, c.removed) == (1, 3, 1) and c.reused_from == again.version
    assert 0 < c.texts_embedded < c.texts_reused
    served = resolve(settings.index_dir)[0]
    assert served.name == second.version and read_manifest(served).entry_count == len(corpus.entries)


def test_a_reingest_calibrates_as_a_full_build_and_embeds_only_new_calibration_questions(corpus, settings, tmp_path):
    """Label-free calibration keeps the questions it embedded (terse versions, off-topic lines) with the index
    (index.disk.known.CALIBRATION_QUERIES): the next ingest's calibration takes them from the served version, and
    its norms, threshold and answers are the full build's."""
    build_loaded(corpus, settings.index_dir, settings, recording())
    after = changed(corpus)
    again = recording()
    second = build_loaded(after, settings.index_dir, settings, again)
    full_models = recording()
    full_dir = tmp_path / "full-index"
    full = build_loaded(after, full_dir, settings.model_copy(update={"index_dir": full_dir}), full_models)
    assert second.calibrated.calibration == full.calibrated.calibration  # norms, threshold, scale, off-topic lines, query bank
    assert second.calibrated.calibration.norms is not None and second.calibrated.calibration.method == "label-free"

    asked_again = [(m.name, t) for m in again for t in m.questions]
    asked_full = [(m.name, t) for m in full_models for t in m.questions]
    assert set(asked_again) < set(asked_full) and len(asked_again) * 10 < len(asked_full)
    assert not set(asked_again) & {(m.name, normalize(q)) for m in again for q in off_topic_questions("dev")}

    models = [FakeEmbedder(), fake_use()]
    answerers = [open_answerer(d, RetrievalConfig(), models) for d in (settings.index_dir, full_dir)]
    for question in QUESTIONS:
        answers = [a.answer(question) for a in answerers]
        assert [h.entry_id for h in answers[0].hits] == [h.entry_id for h in answers[1].hits], question
        assert answers[0].outcome == answers[1].outcome and answers[0].confidence == answers[1].confidence


def test_an_entry_moved_in_its_file_is_not_counted_as_changed(corpus, settings, fake_models):
    """Entries are compared by what they say (question, answer, section, title, url, lang, phrasings), not by their
    character offsets or line: an edit above an entry of a .txt or .md file moves every entry below it."""
    build_loaded(corpus, settings.index_dir, settings, fake_models)
    entries = [replace(e, start=e.start + 40, end=e.end + 40, answer_start=e.answer_start + 40, line=e.line + 2)
               for e in corpus.entries]
    entries[3] = replace(entries[3], answer=entries[3].answer + " Voir aussi la page des tarifs.")
    moved = build_loaded(replace(corpus, entries=tuple(entries), checksum=corpus.checksum + "-moved"), settings.index_dir,
                         settings, fake_models)
    assert moved.changes is not None and (moved.changes.added, moved.changes.changed, moved.changes.removed) == (0, 1, 0)


def test_faq_ingest_json_prints_one_object(tmp_path, fake_everywhere, faq_env):
    from cli.main import app

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    page = "# Pedal & Co\n\n## Booking\n\n### How do I book a bike?\nOnline or at the shop.\n\n### Can I cancel?\nUp to 48 hours before.\n"
    (corpus / "pedal.en.md").write_text(page, encoding="utf-8")
    faq_env(index_dir=tmp_path / "index", data_dir=tmp_path / "data", corpus=corpus)
    first = CliRunner().invoke(app, ["ingest", "--json"])
    assert first.exit_code == 0, first.output
    out = json.loads(first.stdout)
    assert out["entries"] == 2 and out["entries_added"] == 2 and out["texts_reused"] == 0 and out["texts_embedded"] > 0
    assert out["switched"] is True and out["version"] == resolve(tmp_path / "index")[1]

    (corpus / "pedal.en.md").write_text(page.replace("Up to 48 hours before.", "Up to 24 hours before."), encoding="utf-8")
    second = json.loads(CliRunner().invoke(app, ["ingest", "--json"]).stdout)
    assert (second["entries_added"], second["entries_changed"], second["entries_removed"]) == (0, 1, 0)
    assert second["texts_reused"] > 0 and second["reused_from"] == out["version"] and second["version"] != out["version"]

    (corpus / "pedal.en.md").write_text("not a faq", encoding="utf-8")
    failed = CliRunner().invoke(app, ["ingest", "--json"])
    assert failed.exit_code == 1
    refused = json.loads(failed.stdout)
    assert refused["switched"] is False and refused["version"] == second["version"] and refused["reason"]


def test_the_keys_are_the_stored_rows_keys(corpus, tmp_path):
    """Each vectors file's keys name its rows: records order, questions then passages (index.disk.build)."""
    build_folder(corpus, [FakeEmbedder()], tmp_path / "v1")
    keys = np.load(tmp_path / "v1" / keys_file("vectors.faiss"))
    assert keys.shape == (read_manifest(tmp_path / "v1").vector_count, 16) and len({k.tobytes() for k in keys}) > 1




def test_with_a_database_an_ingest_on_another_replica_reuses_the_published_vectors(fake_everywhere, pg_url, tmp_path):
    """Published versions carry their keys, so a replica that follows the database has the vectors to reuse."""
    from replication.follower import Follower
    from replication.published import published_versions
    from usecases.versions import build_version

    from conftest import CORPUS

    def on(host: str) -> Settings:
        return Settings(index_dir=tmp_path / host, corpus=CORPUS, data_dir=tmp_path / f"data-{host}", database_url=pg_url)

    first = build_version(CORPUS, tmp_path / "a", on("a"))
    assert first.published and first.changes is not None and first.changes.texts_embedded > 0
    with published_versions(pg_url) as registry:
        Follower(registry, tmp_path / "b", keep=3).step()
    assert (resolve(tmp_path / "b")[0] / keys_file("vectors.faiss")).exists()
    second = build_version(CORPUS, tmp_path / "b", on("b"))
    assert second.published and second.changes is not None and second.changes.reused_from == first.version
    assert second.changes.texts_embedded == 0 and second.changes.texts_reused == first.changes.texts_embedded


def test_a_text_given_twice_in_one_build_is_embedded_once_and_both_rows_get_its_vector(corpus, tmp_path):
    entries = list(corpus.entries)
    shared = "Puis-je retourner une montre achetée en solde ?"
    entries[0] = replace(entries[0], alt_questions=(*entries[0].alt_questions, shared))
    entries[3] = replace(entries[3], alt_questions=(*entries[3].alt_questions, shared))
    twice = replace(corpus, entries=tuple(entries), checksum=corpus.checksum + "-twice")
    model, pool = RecordingEmbedder(FakeEmbedder()), VectorPool()
    build_folder(twice, [model], tmp_path / "v1", reuse=pool)
    assert model.questions.count(normalize(shared)) == 1
    assert pool.embedded == len(model.questions) + sum(map(len, model.passage_calls))
    assert pool.embedded + pool.reused == read_manifest(tmp_path / "v1").vector_count
    plain = tmp_path / "v2"
    build_folder(twice, [FakeEmbedder()], plain)  # a deterministic model: the same vectors as embedding each row
    assert files(tmp_path / "v1") == files(plain)
