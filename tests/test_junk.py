"""Junk is never answered, on any index; real questions, however short, are never taken for junk."""

import ast
from pathlib import Path

import pytest

from faq.junk import is_mash, junk_reason
from index.deciding.answer import Answerer
from index.disk.calibration import Calibration

from conftest import ROOT

NO_WORDS, GREETING, MASH = "no words", "greeting or thanks only", "keyboard mash"

JUNK = [
    ("😀😀", NO_WORDS), ("👍", NO_WORDS), ("🙏🏽", NO_WORDS), ("❤️", NO_WORDS), ("🤷\u200d♂️", NO_WORDS), ("✌️ ☀️", NO_WORDS), ("???", NO_WORDS), ("...", NO_WORDS), ("?!", NO_WORDS),
    ("-_-", NO_WORDS), ("« » ; : !", NO_WORDS),
    ("asdfghjkl", MASH), ("qsdfgh", MASH), ("jjjjjjj", MASH), ("xcvbn", MASH), ("QWERTY", MASH), ("azertyuiop", MASH),
    ("lkjhgf", MASH), ("dfkjg", MASH), ("asdfgh jjjj", MASH), ("qwertz!!", MASH), ("zzzz", MASH),
    ("hello", GREETING), ("bonjour", GREETING), ("merci", GREETING), ("merci beaucoup", GREETING), ("thanks!", GREETING),
    ("ok merci", GREETING), ("gracias", GREETING), ("danke", GREETING), ("grazie", GREETING), ("obrigado", GREETING),
    ("salut", GREETING), ("hi there", GREETING), ("coucou", GREETING), ("Bonjour !", GREETING), ("MERCI !!!", GREETING),
    ("merciiii", GREETING), ("coool", GREETING), ("Merci et bonne journée", GREETING), ("au revoir", GREETING),
    ("okay thx", GREETING), ("ty", GREETING), ("bye", GREETING), ("super, parfait", GREETING), ("top", GREETING),
    ("thank you very much", GREETING), ("muchas gracias", GREETING), ("Danke schön", GREETING), ("tschüß", GREETING),
    ("vielen Dank", GREETING), ("grazie mille", GREETING), ("muito obrigada", GREETING), ("bom dia", GREETING),
    ("d'accord, merci", GREETING), ("s'il vous plaît", GREETING), ("ok 👍", GREETING),
]

REAL = [
    # fr
    "garantie ?", "prix", "retour", "frais", "SAV ?", "mdp oublié", "cb refusée", "rdv", "sms", "24 mois", "FR123456",
    "BA-793", "pffff ma montre ne marche plus", "merci, et pour la garantie ?", "Combien de temps dure la garantie ?",
    "bonjour, ma commande n'est pas arrivée", "au", "et", "suivit de colis comment ca marche", "CHSLD ?",
    # en
    "track my order", "hello, how do I return a watch?", "paypal", "dhl", "DHL", "USDC", "refund", "https",
    "thanks, and the warranty?", "ok so where is my parcel",
    # es
    "¿Cuánto dura la garantía?", "envío", "hola, ¿puedo pagar con tarjeta?", "gracias, ¿y los gastos de envío?",
    # de
    "Schnellversand", "Wie lange dauert die Garantie?", "Rücksendung", "Hallo, wo ist mein Paket?",
    # it
    "Quanto dura la garanzia?", "spedizione", "grazie, e il reso?",
    # pt
    "Quanto tempo dura a garantia?", "devolução", "obrigado, e o frete?",
    # other scripts and clusters: not the list's languages, never mash
    "保修多久", "Сколько длится гарантия?", "strč prst skrz krk", "Gwarancja?", "wszystko",
]


@pytest.mark.parametrize(("question", "reason"), JUNK)
def test_junk_is_recognised(question, reason):
    assert junk_reason(question) == reason


@pytest.mark.parametrize("question", REAL)
def test_real_questions_are_not_junk(question):
    assert junk_reason(question) is None


def test_mash_needs_every_sign():
    assert is_mash("sdfgh") and is_mash("jjjj") and is_mash("xcvbn")
    assert not is_mash("jjj") and not is_mash("usdc") and not is_mash("chsld") and not is_mash("fr123456")
    assert not is_mash("schnellversand") and not is_mash("typewriter")


def test_a_long_run_of_thanks_is_quick():
    assert junk_reason("merci " * 20_000) == GREETING
    assert junk_reason("merci " * 20_000 + "garantie") is None


def test_junk_rules_import_no_index_service_or_eval_code():
    tree = ast.parse(Path(ROOT / "faq" / "junk.py").read_text(encoding="utf-8"))
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)} | {
        a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert not {m for m in imported if m and m.split(".")[0] in {"index", "ingest", "service", "eval"}}


@pytest.mark.parametrize("question", ["😀😀", "asdfghjkl", "merci"])
def test_junk_gets_no_answer_from_the_service(fake_client, question):
    body = fake_client.post("/v1/query", json={"question": question}).json()
    assert body["answerable"] is False and body["confidence"] == 0.0 and body["answer"] is None


@pytest.mark.model
def test_a_real_question_is_still_answered_by_the_service(client):
    body = client.post("/v1/query", json={"question": "Combien de temps dure la garantie ?"}).json()
    assert body["answerable"] is True and body["answer"] is not None


@pytest.mark.parametrize("calibration", [None, Calibration(threshold=-10.0, scale=0.05)], ids=["uncalibrated", "answers-everything"])
def test_junk_is_refused_whatever_the_calibration(fake_searcher, calibration):
    answerer = Answerer(fake_searcher, calibration)
    for junk in ("👍", "qsdfgh", "ok merci", "hi there"):
        answer = answerer.answer(junk)
        assert not answer.answerable and answer.confidence == 0.0, junk
    assert answerer.answer("Combien de temps dure la garantie ?").answerable
