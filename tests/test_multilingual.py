"""One FAQ in several languages: group keys, the question's language, one result per group in that language."""

from __future__ import annotations

from pathlib import Path

import pytest

from eval.datasets import DATASETS, load_dataset
from faq.errors import CorpusError
from faq.language import detect
from faq.retrieval import RetrievalConfig
from index.deciding.answer import Answerer
from index.pipeline import build_index, open_answerer
from index.ranking.search import Filters
from ingest.corpus import load_corpus
from ingest.parse_jsonl import parse_jsonl
from ingest.parse_markdown import parse_markdown
from service.present import to_short_answer

MULTI = DATASETS / "watch-faq-multi"


def test_jsonl_rows_take_group_and_url() -> None:
    text = ('{"id": "a", "question": "Q?", "answer": "A.", "group": "returns", "url": "https://x/a"}\n'
            '{"id": "b", "question": "R?", "answer": "B.", "group": 7}\n{"id": "c", "question": "S?", "answer": "C."}\n')
    entries = parse_jsonl(Path("f.jsonl"), text, "doc", "en").entries
    assert [(e.group, e.url) for e in entries] == [("returns", "https://x/a"), ("7", ""), ("", "")]


def test_markdown_group_line_is_the_key_not_the_answer() -> None:
    text = "# Shop\n## Returns\n### How do I return?\n<!-- group: returns-policy -->\nWithin 30 days.\n### Other?\nYes.\n"
    first, second = parse_markdown(Path("f.md"), text, "doc", "en").entries
    assert (first.group, first.answer) == ("returns-policy", "Within 30 days.")
    assert (second.group, second.answer) == ("", "Yes.")
    with pytest.raises(CorpusError, match="empty group key"):
        parse_markdown(Path("f.md"), "## S\n### Q?\n<!-- group: -->\nA.\n", "doc", "en")


def test_translations_in_one_folder_get_ids_per_language(tmp_path: Path) -> None:
    (tmp_path / "shop-faq.fr.md").write_text("## Retours\n### Comment retourner ?\n<!-- group: r -->\nSous 30 jours.\n", encoding="utf-8")
    (tmp_path / "shop-faq.en.md").write_text("## Returns\n### How to return?\n<!-- group: r -->\nWithin 30 days.\n", encoding="utf-8")
    (tmp_path / "other.fr.md").write_text("## A\n### B ?\nC.\n", encoding="utf-8")
    corpus = load_corpus(tmp_path)
    assert sorted(d.id for d in corpus.documents) == ["other", "shop-faq-en", "shop-faq-fr"]
    assert {e.group for e in corpus.entries if e.document_id.startswith("shop")} == {"r"}


def test_a_file_that_declares_no_language_gets_the_language_of_its_text(tmp_path: Path) -> None:
    (tmp_path / "faq.md").write_text("## Lieferung\n### Was kostet die Lieferung?\nDie Lieferung kostet 2,50 € "
                                     "und ist ab einem Bestellwert von 25 € kostenlos.\n", encoding="utf-8")
    corpus = load_corpus(tmp_path)
    assert corpus.documents[0].lang == "de" and {e.lang for e in corpus.entries} == {"de"}


def test_a_declared_language_beats_the_detected_one(tmp_path: Path) -> None:
    german = "## Lieferung\n### Was kostet die Lieferung?\nDie Lieferung kostet 2,50 € und ist ab 25 € kostenlos.\n"
    (tmp_path / "named.en.md").write_text(german, encoding="utf-8")
    (tmp_path / "manifested.md").write_text(german, encoding="utf-8")
    (tmp_path / "manifested.manifest.json").write_text('{"lang": "it"}', encoding="utf-8")
    assert {d.id: d.lang for d in load_corpus(tmp_path).documents} == {"named": "en", "manifested": "it"}


def test_a_file_too_short_to_tell_keeps_the_default_language(tmp_path: Path) -> None:
    (tmp_path / "faq.md").write_text("## A\n### B?\nC.\n", encoding="utf-8")
    assert load_corpus(tmp_path).documents[0].lang == "fr"


@pytest.mark.parametrize(("text", "lang"), [
    ("Comment puis-je suivre mon colis ?", "fr"), ("How can I track my parcel?", "en"),
    ("¿Cuánto tiempo tarda el envío de mi pedido?", "es"), ("Wie lange dauert der Versand meiner Bestellung?", "de"),
    ("Quanto tempo ci vuole per la spedizione del mio ordine?", "it"), ("Quanto tempo demora o envio da minha encomenda?", "pt"),
    ("ok", "unknown"), ("👍👍", "unknown"), ("", "unknown"),
])
def test_detector_on_clear_sentences(text: str, lang: str) -> None:
    assert detect(text) == lang


@pytest.fixture(scope="module")
def fake_multi(tmp_path_factory: pytest.TempPathFactory, fake_models: list) -> Answerer:
    path = tmp_path_factory.mktemp("multi") / "index"
    build_index(load_corpus(MULTI), fake_models, path)
    return open_answerer(path, RetrievalConfig(), fake_models)


def test_answer_comes_in_the_question_language(fake_multi: Answerer) -> None:
    en = fake_multi.answer("How can I track my parcel?")
    fr = fake_multi.answer("Comment puis-je suivre mon colis ?")
    assert (en.question_lang, en.lang, en.hits[0].entry_id) == ("en", "en", "enigme-ba793-faq-en:2.3")
    assert (fr.question_lang, fr.lang, fr.hits[0].entry_id) == ("fr", "fr", "enigme-ba793-faq-fr:2.3")
    assert en.short_answer is not None and "tracking number" in en.short_answer.text
    out = to_short_answer(en)
    assert out is not None and out.lang == "en"


def test_one_result_per_group(fake_multi: Answerer) -> None:
    answer = fake_multi.answer("How can I track my parcel?", top_k=20)
    groups = [h.entry_id.split(":")[1] for h in answer.hits]
    assert len(groups) == len(set(groups)) == 12  # 24 entries, 12 groups
    assert all(h.chunk.lang == "en" for h in answer.hits)  # every group has an English version


def test_filtered_language_is_the_best_available(fake_multi: Answerer) -> None:
    """A language the filters exclude is not shown: the best-ranked allowed version is, with its language."""
    answer = fake_multi.answer("How can I track my parcel?", filters=Filters(langs=frozenset({"fr"})))
    assert {h.chunk.lang for h in answer.hits} == {"fr"} and answer.lang == "fr" and answer.question_lang == "en"


def test_spanish_question_gets_a_marked_language(fake_multi: Answerer) -> None:
    answer = fake_multi.answer("¿Cómo puedo rastrear mi paquete?")
    assert answer.question_lang == "es" and answer.lang in ("fr", "en") and answer.lang == answer.hits[0].chunk.lang


def test_bm25_has_one_part_per_language(fake_multi: Answerer) -> None:
    from index.ranking.signals import LexicalSignal

    lexical = next(s for s, _ in fake_multi.searcher.signals if isinstance(s, LexicalSignal))
    assert sorted(b.analyzer.lang for _, b in lexical.parts) == ["en", "fr"]


def test_multi_eval_set_counts_either_version() -> None:
    evalset = load_dataset("watch-faq-multi")
    first = evalset.queries[0]
    assert first.relevant == {"enigme-ba793-faq-fr:2.3", "enigme-ba793-faq-en:2.3"}
    ids = {e.id for e in load_corpus(evalset.corpus).entries}
    assert all(q.relevant <= ids for q in evalset.queries)


@pytest.mark.model
def test_real_models_answer_in_the_question_language(tmp_path: Path, embedder, use_embedder) -> None:
    models = [embedder, use_embedder]
    build_index(load_corpus(MULTI), models, tmp_path / "index")
    answerer = open_answerer(tmp_path / "index", RetrievalConfig(), models)
    en = answerer.answer("How long does delivery take?")
    fr = answerer.answer("Combien de temps prend la livraison ?")
    assert (en.question_lang, en.lang, en.hits[0].entry_id) == ("en", "en", "enigme-ba793-faq-en:2.2")
    assert (fr.question_lang, fr.lang, fr.hits[0].entry_id) == ("fr", "fr", "enigme-ba793-faq-fr:2.2")


def test_api_gives_question_lang_and_answer_lang(fake_client) -> None:
    body = fake_client.post("/v1/query", json={"question": "Comment puis-je suivre mon colis ?"}).json()
    assert body["question_lang"] == "fr" and body["results"][0]["lang"] == "fr"
    assert body["answer"] is None or body["answer"]["lang"] == "fr"
    suggestions = fake_client.post("/v1/suggest", json={"message": "Bonjour. How can I track my parcel?"}).json()["suggestions"]
    assert suggestions and all(s["question_lang"] in ("en", "fr", "unknown") for s in suggestions)
    assert suggestions[-1]["question_lang"] == "en"


def test_candidates_add_the_faq_languages_the_model_knows() -> None:
    from faq.language import COMMON, candidates

    assert candidates(["fr", "und"]) == tuple(sorted(COMMON))
    assert "sv" in candidates(["sv", "xx"]) and "xx" not in candidates(["sv", "xx"])
