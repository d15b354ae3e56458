"""Text rules in every script (issue #31): accents folded only where they are accents, words kept whole,
unspaced scripts cut into bigrams, and an index built before analyzer 2 still ranking exactly as it did."""

from __future__ import annotations

import json
import shutil
import unicodedata
from pathlib import Path

import bm25s
import numpy as np
import pytest

from faq.junk import fold, junk_reason
from faq.language import detect
from faq.text import WORD, slugify, strip_accents, strip_all_marks
from index.deciding.evidence import CorpusTerms
from index.pipeline import build_index
from index.ranking.entries import open_index
from index.ranking.lexical import ANALYZER, Analyzer, analyzer, bigrams, normalize_arabic
from ingest.corpus import load_corpus

V1 = Path(__file__).parent / "fixtures" / "lexical-v1"

# (language, word, folded): a word comes out of strip_accents unchanged, or with its accents folded
FOLDING = [
    ("fr", "réparation", "reparation"), ("fr", "garçon", "garcon"), ("fr", "Noël", "Noel"),
    ("es", "señal", "senal"), ("pt", "devolução", "devolucao"), ("de", "Größe", "Große".replace("ö", "o")),
    ("it", "perché", "perche"), ("nl", "beëindigen", "beeindigen"), ("sv", "återbetalning", "aterbetalning"),
    ("pl", "zwrot pieniędzy", "zwrot pieniedzy"), ("pl", "Łódź", "Łodz"), ("tr", "şifre değiştir", "sifre degistir"),
    ("cs", "objednávka", "objednavka"), ("vi", "Tiếng Việt", "Tieng Viet"), ("hu", "szállítás", "szallitas"),
    ("el", "παραγγελία", "παραγγελια"), ("el", "Ελλάδα", "Ελλαδα"), ("el", "ΐ", "ι"),
    ("ru", "ёлка", "елка"), ("ru", "мой заказ", "мой заказ"), ("ru", "йогурт", "йогурт"), ("uk", "їжак", "їжак"),
    ("bg", "поръчка", "поръчка"), ("sr", "поруџбина", "поруџбина"),
    ("ja", "カード", "カード"), ("ja", "ガイド", "ガイド"), ("ja", "ぱんだ", "ぱんだ"), ("ja", "届きません", "届きません"),
    ("zh", "我的订单", "我的订单"), ("ko", "한국어 카드", "한국어 카드"),
    ("hi", "क्या", "क्या"), ("hi", "घड़ी", "घड़ी"), ("mr", "परतावा", "परतावा"), ("ne", "फिर्ता", "फिर्ता"),
    ("bn", "অর্ডার", "অর্ডার"), ("ta", "பணம்", "பணம்"), ("te", "ఆర్డర్", "ఆర్డర్"), ("gu", "ઓર્ડર", "ઓર્ડર"),
    ("th", "ขอบคุณ", "ขอบคุณ"), ("lo", "ຂອບໃຈ", "ຂອບໃຈ"), ("km", "អរគុណ", "អរគុណ"), ("my", "ကျေးဇူး", "ကျေးဇူး"),
    ("ar", "أرسل", "أرسل"), ("ar", "بِطَاقَة", "بِطَاقَة"), ("ar", "مسؤول", "مسؤول"), ("fa", "سفارش", "سفارش"),
    ("he", "הַזְמָנָה", "הַזְמָנָה"), ("hy", "պատվեր", "պատվեր"), ("ka", "შეკვეთა", "შეკვეთა"), ("am", "ትዕዛዝ", "ትዕዛዝ"),
]


@pytest.mark.parametrize(("lang", "word", "folded"), FOLDING, ids=[f"{la}-{w}" for la, w, _ in FOLDING])
def test_accents_fold_on_latin_and_greek_letters_only(lang: str, word: str, folded: str) -> None:
    assert strip_accents(word) == unicodedata.normalize("NFC", folded)
    assert strip_accents(unicodedata.normalize("NFD", word)) == unicodedata.normalize("NFC", folded)  # NFC out, whatever came in


def test_the_table_covers_fifteen_languages_and_the_old_rule_is_what_the_issue_says() -> None:
    assert len({la for la, _, _ in FOLDING}) >= 15
    assert (strip_all_marks("カード"), strip_all_marks("क्या"), strip_all_marks("ขอบคุณ")) == ("カート", "कया", "ขอบคณ")


@pytest.mark.parametrize("word", ["क्या", "ขอบคุณ", "घड़ी", "பணம்", "ကျေးဇူး", "réparation", "カード"])
def test_a_word_keeps_its_marks(word: str) -> None:
    assert WORD.findall(f"« {word} ? »") == [word]
    assert fold(f"{word} !") == [strip_accents(word).casefold()]


def test_slugs_stay_ascii() -> None:
    assert slugify("Réparation d'une montre") == "reparation-d-une-montre"
    assert slugify("カード") == "x"


@pytest.mark.parametrize(("lang", "text", "terms"), [
    ("ja", "カードが届きません", ["カー", "ード", "ドが", "が届", "届き", "きま", "ませ", "せん"]),
    ("ja", "iPhoneのケース", ["iphone", "のケ", "ケー", "ース"]),
    ("ja", "ｶｰﾄﾞ ＡＢＣ", ["カー", "ード", "abc"]),  # half-width Kana and full-width Latin as their usual forms
    ("zh", "我的订单", ["我的", "的订", "订单"]),
    ("ko", "카드", ["카드"]),
    ("th", "ขอบคุณ", ["ขอ", "อบ", "บคุ", "คุณ"]),  # no bigram parts a vowel from its consonant
    ("fr", "L'état de réparation", ["etat", "repar"]),
    ("en", "Where are the orders?", ["where", "order"]),
    ("ru", "Где мой заказ? Ёлка", ["заказ", "елк"]),
    ("el", "Πού είναι η παραγγελία μου;", ["παραγγελ"]),
    ("ar", "بِطَاقَة البطاقة", ["طاق", "بطاق"]),
    ("ar", "الطلبات طلبي", ["طلب", "طلب"]),
    ("hi", "क्या मेरी घड़ी", ["क्य", "मेर", "घड़"]),
])
def test_the_analyzer_by_language(lang: str, text: str, terms: list[str]) -> None:
    assert analyzer(lang).terms(text) == terms


def test_arabic_normalisation_and_stopwords() -> None:
    assert normalize_arabic("أإآٱىة" + "ـ" + "بَ") == "اااايهب"
    assert analyzer("ar").terms("هل لم") == []  # stopwords-iso's Arabic list
    assert analyzer("hi").terms("है की") == []


def test_bigrams() -> None:
    assert bigrams("届") == ["届"] and bigrams("") == []
    assert bigrams("订单号") == ["订单", "单号"]


def test_latin_text_gets_the_same_terms_from_both_analyzers() -> None:
    text = "Où en est ma commande ? L'article est arrivé cassé, je voudrais un remboursement. Thanks!"
    for lang in ("fr", "en", "de", "es", "it", "pt", "nl"):
        assert Analyzer(lang, 1).terms(text) == Analyzer(lang, ANALYZER).terms(text)


def test_an_index_built_before_analyzer_2_loads_and_ranks_exactly_as_before(tmp_path: Path, fake_embedder) -> None:
    """bm25/ and scores.json were written by the code before this change (lexical-v1/make.py says how)."""
    path = tmp_path / "index"
    build_index(load_corpus(V1 / "corpus"), [fake_embedder], path)
    assert json.loads((path / "bm25" / "lexical.json").read_text(encoding="utf-8"))["format"] == 2
    fresh = open_index(path).table.lexical
    assert fresh.analyzers == [ANALYZER] * 5
    shutil.rmtree(path / "bm25")
    shutil.copytree(V1 / "bm25", path / "bm25")
    manifest = json.loads((path / "bm25" / "lexical.json").read_text(encoding="utf-8"))
    manifest["bm25s"] = bm25s.__version__  # written by 0.3.16; another bm25s would rebuild it, as for any index
    (path / "bm25" / "lexical.json").write_text(json.dumps(manifest), encoding="utf-8")
    old = open_index(path)
    assert old.table.analyzer.version == 1
    lexical = old.table.lexical
    assert lexical.analyzers == [1] * 5
    assert [type(bm25._model.scores["data"]) for _, bm25 in lexical.parts] == [np.memmap] * 5  # loaded, not rebuilt
    recorded = json.loads((V1 / "scores.json").read_text(encoding="utf-8"))
    for question, scores in recorded.items():
        np.testing.assert_array_equal(lexical.score(question).scores, np.asarray(scores, dtype=np.float32), err_msg=question)
    # the same index built now finds the Japanese and Arabic entries the old analyzer missed
    assert fresh.score("カードが使えない").scores[2] > 0 and not recorded["カードが使えない"][2]
    assert fresh.score("注文が届かない").scores[3] > 0


def _old_index(tmp_path: Path, fake_embedder) -> Path:
    """An index of lexical-v1's corpus whose BM25 is the one written before analyzer 2."""
    path = tmp_path / "index"
    build_index(load_corpus(V1 / "corpus"), [fake_embedder], path)
    shutil.rmtree(path / "bm25")
    shutil.copytree(V1 / "bm25", path / "bm25")
    manifest = json.loads((path / "bm25" / "lexical.json").read_text(encoding="utf-8"))
    manifest["bm25s"] = bm25s.__version__
    (path / "bm25" / "lexical.json").write_text(json.dumps(manifest), encoding="utf-8")
    return path


def test_the_decisions_term_evidence_uses_the_analyzers_the_index_was_built_with(tmp_path: Path, fake_embedder) -> None:
    """Coverage and known terms compare the question's terms with BM25's vocabulary: an old index's are analyzer 1's,
    so the question and the entries must be analysed with 1 too (analyzer 2's क्या, घड़ी are not in its vocabulary)."""
    old = open_index(_old_index(tmp_path, fake_embedder)).table
    terms = CorpusTerms(old)
    question = "क्या घड़ी की वारंटी है"
    asked = terms.question_terms(question)
    assert asked == set(Analyzer(old.lang, 1).terms(question)) and asked <= terms.vocabulary
    assert asked <= terms.of_entry("shop:5")  # the Hindi entry, analysed as its BM25 part was
    assert terms.of_entry("shop:3") == frozenset(Analyzer("ja", 1).terms("支払い カードが使えません カードの有効期限と住所をご確認ください。"
                                                                          "カートに商品を入れてから決済してください。"))
    assert old.analyzer_of("ko").version == 1  # a language the index has no part for: the index's version
    shutil.rmtree(tmp_path / "index" / "bm25")  # built again now: analyzer 2 throughout
    fresh = open_index(tmp_path / "index").table
    assert {fresh.analyzer_of(lang).version for lang in ("fr", "ja", "hi", "ko")} == {ANALYZER}
    assert CorpusTerms(fresh).question_terms(question) == set(analyzer(fresh.lang).terms(question))


@pytest.mark.parametrize("message", [
    "谢谢！", "您好", "ありがとうございます。", "こんにちは", "감사합니다!", "안녕하세요", "शुक्रिया", "नमस्ते", "धन्यवाद",
    "شكرًا جزيلًا", "مرحبا و شكرا", "السلام عليكم", "Спасибо большое!", "Здравствуйте", "Teşekkürler", "Merhaba",
    "Dziękuję bardzo", "Cześć", "Tack så mycket", "Hej", "Dank je wel", "Goedemorgen",
])
def test_greetings_and_thanks_in_every_listed_language_are_refused(message: str) -> None:
    assert junk_reason(message) == "greeting or thanks only"


@pytest.mark.parametrize("question", ["谢谢，我的订单在哪里？", "Спасибо, а где мой заказ?", "こんにちは、注文はいつ届きますか",
                                      "شكرا، أين طلبي؟", "धन्यवाद, मेरा ऑर्डर कहाँ है?", "Teşekkürler, siparişim nerede?"])
def test_a_question_after_thanks_is_not_junk(question: str) -> None:
    assert junk_reason(question) is None


@pytest.mark.parametrize(("lang", "text"), [
    ("ar", "كيف أتتبع شحنتي؟"), ("zh", "我的订单什么时候发货？"), ("ja", "注文はいつ届きますか？"), ("ko", "배송은 얼마나 걸리나요?"),
    ("hi", "मेरा ऑर्डर कब आएगा?"), ("ru", "Когда придёт мой заказ?"), ("tr", "Siparişim ne zaman gelir?"),
    ("pl", "Kiedy przyjdzie moje zamówienie?"), ("nl", "Wanneer komt mijn bestelling aan?"), ("sv", "När kommer min beställning?"),
    ("fr", "Quand vais-je recevoir ma commande ?"), ("en", "When will my order arrive?"),
])
def test_the_question_language_among_the_common_ones(lang: str, text: str) -> None:
    assert detect(text) == lang


@pytest.mark.parametrize(("text", "lang"), [
    ("शिपिंग चार्ज", "hi"), ("पार्सल ट्रैकिंग", "hi"), ("रिफ़ंड मूल कार्ड", "hi"), ("क्या पेरिस में आपकी कोई दुकान है?", "hi"),
    ("বিনামূল্যে ডেলিভারি", "bn"), ("مرحبًا، أصلحت ساعتي", "ar"),
])
def test_a_short_question_in_a_script_that_writes_vowels_as_marks_is_long_enough_to_tell(text: str, lang: str) -> None:
    # a letter's combining marks are part of its word: "शिपिंग" is one word of several letters, not letters between marks
    assert detect(text, (lang, "fr", "en")) == lang


@pytest.mark.parametrize("text", ["ok", "bjr 👍", "❤️ ❤️", "BA-793", "é", "残高", "运费"])
def test_under_two_words_of_two_letters_is_still_too_short_to_tell(text: str) -> None:
    # in Latin script, or in Han alone (Chinese or Japanese), or without letters
    assert detect(text) == "unknown"


@pytest.mark.parametrize(("text", "lang"), [
    ("الرصيد", "ar"), ("गया", "hi"), ("잔액", "ko"), ("Баланс", "ru"), ("ざんだか", "ja"),
    ("送料 かかる", "ja"), ("Google Pay 支払い", "ja"), ("google pay 付款", "unknown"), ("รีฟันด์", "unknown"),
])
def test_a_word_too_short_to_identify_is_told_by_its_script_when_one_common_language_writes_it(text: str, lang: str) -> None:
    # among the common languages (Thai is not one of them: found only when it is among the FAQ's, below)
    assert detect(text) == lang


def test_a_word_or_two_of_han_alone_is_the_faqs_chinese_or_japanese_else_chinese() -> None:
    from faq.language import Detector

    assert Detector(["fr"])("返品") == "zh" and Detector(["fr"])("保修") == "zh"  # cross-script either way
    assert Detector(["ja", "fr"])("返品") == "ja" and Detector(["zh"])("返品") == "zh"
    assert Detector(["fr"])("ok") == "unknown" and Detector(["fr"])("BA-793") == "unknown"


def test_a_script_written_by_a_faq_language_alone_is_that_language() -> None:
    assert detect("รีฟันด์", ("th", "fr", "en")) == "th"
    assert detect("ελληνικά", ("el", "fr")) == "el"
    assert detect("الرصيد", ("fa", "ar", "en")) == "unknown"  # Persian and Arabic share it
