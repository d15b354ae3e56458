"""Quality floors with the default configuration, set just below what was measured: a regression fails CI.

Measured on 2026-11-28 (test split, default configuration): watch-faq hit@1 0.828, hit@3 0.966,
end-to-end 0.797; quebec-fr (test half) hit@1 0.768, MRR 0.839. The floors sit one or two questions
below, so that losing one of the things calibration learns fails them.
"""

import pytest

from eval.clients import in_process
from eval.datasets import load_dataset
from eval.run import evaluate
from eval.systems import SYSTEMS, build_system

pytestmark = pytest.mark.model


def measure(dataset: str, split: str, tmp_cache) -> dict:
    full = load_dataset(dataset)
    run = evaluate(full.split(split), in_process(build_system(SYSTEMS["default"], full, tmp_cache)), "default", show_progress=False)
    return run["overall"]


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("eval-index")


def test_watch_faq_test_split_floor(cache):
    m = measure("watch-faq", "test", cache)
    # measured 0.828 / 0.966 / 0.797 (58 in-scope questions: one is 0.017; 74 questions: one is 0.0135).
    # Without background words hit@1 is 0.741; without known out-of-scope questions end-to-end is 0.770.
    assert m["hit@1"] >= 0.79
    assert m["hit@3"] >= 0.93
    assert m["end_to_end_accuracy"] >= 0.775


@pytest.mark.slow
def test_quebec_fr_paraphrases_floor(cache):
    m = measure("quebec-fr", "all", cache)
    assert m["questions"] == 662
    # measured 0.770 / 0.843; 0.745 / 0.819 without the query bank
    assert m["hit@1"] >= 0.755
    assert m["mrr@10"] >= 0.83


# a word or two in another script than the French watch FAQ's, as a search box gets them (written for this test; the
# entry ids of enigme-ba793-faq). Measured 2026-12-08 on the first 25: 19 first; 17 with USE weighed as for a Latin
# language (`default-cross-script`), 15 before they were told by their script as well (faq.language.by_script: 20 were
# "unknown"); on the 14 of Han alone, 11 first, 9 while they were "unknown".
ONE_WORD = {
    "الضمان": "3.1", "الإرجاع": "4.1", "الشحن": "2.1", "استرداد": "4.3", "تتبع الطلب": "2.3", "إصلاح": "3.2", "الدفع": "1.1",
    "إلغاء الطلب": "1.3", "гарантия": "3.1", "возврат": "4.1", "доставка": "2.1", "оплата": "1.1", "ремонт": "3.2",
    "отслеживание": "2.3", "отмена заказа": "1.3", "배송": "2.1", "환불": "4.3", "반품": "4.1", "보증": "3.1", "수리": "3.2",
    "गारंटी": "3.1", "रिफंड": "4.3", "डिलीवरी": "2.1", "キャンセル": "1.3", "ワランティ": "3.1",
    # Han alone: Chinese or Japanese, taken as Chinese over this French FAQ (faq.language.Detector)
    "返品": "4.1", "送料": "2.1", "保修": "3.1", "退款": "4.3", "运费": "2.1", "修理": "3.2", "保証": "3.1", "配送": "2.1",
    "付款": "1.1", "取消订单": "1.3", "追踪": "2.3", "退货": "4.1", "返金": "4.3", "支払い方法": "1.1",
}


def test_a_word_or_two_in_another_script_finds_its_entry_floor(cache):
    ask = build_system(SYSTEMS["default"], load_dataset("watch-faq"), cache)
    right = sum(ask(text).ranked[:1] == [f"enigme-ba793-faq:{entry}"] for text, entry in ONE_WORD.items())
    assert right >= 29  # measured 30 of 39


# misspelt French questions as a search box gets them (written for this test; index.ranking.spelling). Measured
# 2026-12-08: 20 of the 22 first and answered (label-free 19), 17 searched as typed (`default-as-typed`; label-free 17
# first, 15 answered).
MISSPELT = {
    "moyens de paiemnt": "1.1", "vous aceptez paypal ?": "1.1", "statu de ma comande": "1.2", "ou en est ma commnade": "1.2",
    "anuler ma commande": "1.3", "modifer ma comande": "1.3", "frais de livraisn": "2.1", "modes d'expedtion": "2.1",
    "delai de livraison": "2.2", "combien de tems pour recevoir ma commande": "2.2", "suivre mon colsi": "2.3",
    "numero de suivi": "2.3", "garantei": "3.1", "que couvre la garnatie": "3.1", "demander une reparation": "3.2",
    "comment fair réparer": "3.2", "retuor d'un article": "4.1", "comment effectuer un retuor": "4.1",
    "article endomagé": "4.2", "colis recu abimé": "4.2", "rembousement": "4.3", "délai de remboursemnt": "4.3",
}


def test_misspelt_questions_find_their_entry_floor(cache):
    ask = build_system(SYSTEMS["default"], load_dataset("watch-faq"), cache)
    answered = [ask(text) for text in MISSPELT]
    right = sum(p.answerable and p.ranked[:1] == [f"enigme-ba793-faq:{entry}"] for p, entry in zip(answered, MISSPELT.values()))
    assert right >= 19  # measured 20 of 22; 17 as typed
