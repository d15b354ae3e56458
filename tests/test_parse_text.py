"""The seed FAQ's plain-text format parses to its exact structure."""



from faq.text import normalize, strip_accents
from ingest import load_corpus
from ingest.decode import read_text
from ingest.parse_text import parse_text

from conftest import DOC, SEED

SECTIONS = ["Commandes et paiements", "Expédition et livraison", "Garantie et réparation",
            "Retours, échanges et remboursements"]
QUESTIONS = [
    "Quels moyens de paiement acceptez-vous ?",
    "Comment vérifier le statut de ma commande ?",
    "Puis-je modifier ou annuler ma commande ?",
    "Quels modes d'expédition proposez-vous et quels sont les frais de livraison ?",
    "Combien de temps faudra-t-il pour que ma commande arrive ?",
    "Comment puis-je suivre mon colis ?",
    "Que couvre précisément la politique de garantie ?",
    "Comment demander une réparation ?",
    "Y a-t-il des frais pour les réparations de montres ?",
    "Comment effectuer un retour ?",
    "J'ai reçu un article endommagé.",
    "Combien de temps faut-il pour traiter un remboursement ?",
]


def test_seed_has_four_sections_and_twelve_entries(corpus):
    assert [e.section for e in corpus.entries][::3] == SECTIONS
    assert [e.question for e in corpus.entries] == QUESTIONS
    assert [e.local_id for e in corpus.entries][:4] == ["1.1", "1.2", "1.3", "2.1"]


def test_document_comes_from_its_manifest(corpus):
    (doc,) = corpus.documents
    assert (doc.id, doc.title, doc.lang) == (DOC, "Série Énigme BA-793 — FAQ", "fr")


def test_answers_keep_the_original_text_and_span(corpus):
    source = read_text(SEED)
    for entry in corpus.entries:
        assert source[entry.answer_start : entry.end] == entry.answer
        assert source[entry.start : entry.answer_start].strip().endswith(entry.question)
    warranty = corpus.entries[6]
    assert warranty.answer.startswith("La garantie BTOMIC couvre tous les défauts de fabrication survenus dans les 24 mois")
    assert "l’usure normale" in warranty.answer  # typographic apostrophe kept for display


def test_multi_paragraph_answers_are_whole(corpus):
    modify = corpus.entries[2]
    assert modify.answer.count("\n") == 2
    assert modify.answer.endswith("nous ne pourrons pas l'intercepter.")


def test_trailing_blank_lines_are_ignored(corpus):
    assert corpus.entries[-1].answer.endswith("Consultez nos Conditions de vente complètes.")


def test_header_lines_become_the_title_hint():
    parsed = parse_text(SEED, read_text(SEED), "x", "fr")
    assert parsed.title_hint == "Série Énigme BA-793 FAQ"


def test_normalize_folds_typography():
    assert normalize("l’usure\u00a0normale e\u2011mail « x »") == "l'usure normale e-mail \" x \""
    assert normalize("e\u0301te\u0301") == "été"
    assert strip_accents("Réparation ÉTÉ") == "Reparation ETE"


def test_corpus_checksum_is_stable(corpus):
    assert load_corpus(SEED.parent).checksum == corpus.checksum
