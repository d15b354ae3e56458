"""Questions that are not questions: emoji, keyboard mash, a lone "merci".

Similarity scores cannot be trusted on these: an embedding of "asdfghjkl" or "bonjour" still lands
near some entry, and on a small or loosely calibrated FAQ it can clear the threshold. So they are
refused by three plain rules before any score, whatever the index:

- no words: no letter or digit at all ("😀😀", "???");
- greeting or thanks only: every word belongs to a pleasantry of `PLEASANTRIES` (fr/en/es/de/it/pt/nl/sv/tr/pl/ru/ar/hi/zh/ja/ko),
  after lowercasing, accent folding and dropping punctuation ("ok merci", "thanks!", "hi there");
- keyboard mash: every word is mash (`is_mash`): a letter repeated, keys along one keyboard row, or no
  vowel on one row ("jjjjjjj", "asdfghjkl", "xcvbn").

A question with one real word in it is never junk: "merci, et pour la garantie ?", "pffff ma montre
ne marche plus". Pure: no index, model or service imports.
"""

from __future__ import annotations

import re

from faq.text import WORD, normalize, strip_accents

# folded forms (lowercase, no accents, punctuation as a space): "d'accord" is "d accord"
PLEASANTRIES: frozenset[str] = frozenset(
    {
        # fr
        "bonjour", "bonsoir", "salut", "coucou", "hello", "bjr", "slt", "re", "merci", "merci beaucoup", "merci bien",
        "mille mercis", "merci a vous", "merci a toi", "ok", "okay", "oki", "d accord", "super", "top", "parfait",
        "cool", "genial", "tres bien", "au revoir", "bonne journee", "bonne soiree", "bonne nuit",
        "a bientot", "a plus", "svp", "s il vous plait", "s il te plait",
        # en
        "hi", "hey", "hi there", "hey there", "hello there", "good morning", "good afternoon", "good evening",
        "thanks", "thank you", "thank you very much", "thanks a lot", "many thanks", "thx", "ty", "great", "perfect",
        "nice", "awesome", "bye", "goodbye", "see you", "cheers", "please",
        # es
        "hola", "buenos dias", "buenas tardes", "buenas noches", "buenas", "gracias", "muchas gracias",
        "mil gracias", "vale", "perfecto", "adios", "hasta luego", "chao", "por favor",
        # de
        "hallo", "guten morgen", "guten tag", "guten abend", "servus", "moin", "gruss gott", "gruezi", "danke",
        "danke schon", "danke schoen", "danke sehr", "vielen dank", "tschuss", "auf wiedersehen", "alles klar",
        "prima", "bitte",
        # it
        "ciao", "salve", "buongiorno", "buonasera", "grazie", "grazie mille", "molte grazie", "perfetto",
        "va bene", "arrivederci", "prego", "ottimo",
        # pt
        "ola", "oi", "bom dia", "boa tarde", "boa noite", "obrigado", "obrigada", "muito obrigado",
        "muito obrigada", "valeu", "perfeito", "tchau", "ate logo",
        # nl
        "goedemorgen", "goedemiddag", "goedenavond", "dag", "dank je", "dank u", "dankjewel", "dank je wel", "dank u wel",
        "bedankt", "tot ziens", "doei", "alstublieft",
        # sv
        "hej", "hej hej", "tack", "tack sa mycket", "tusen tack", "god morgon", "god dag", "god kvall", "hej da", "varsagod",
        # tr (ı has no accent to fold: "teşekkürler" is "tesekkurler", "tamam" stays)
        "merhaba", "selam", "tesekkurler", "tesekkur ederim", "cok tesekkurler", "cok tesekkur ederim", "sagol", "sag ol",
        "gunaydin", "gunaydın", "iyi gunler", "iyi aksamlar", "tamam", "lutfen", "hosca kal", "gorusuruz",
        # pl
        "dzien dobry", "czesc", "witam", "dziekuje", "dziekuje bardzo", "dzieki", "bardzo dziekuje", "do widzenia", "prosze",
        # ru
        "привет", "здравствуйте", "добрый день", "доброе утро", "добрый вечер", "спасибо", "спасибо большое",
        "большое спасибо", "благодарю", "пожалуйста", "хорошо", "ок", "до свидания", "пока",
        # ar (marks are kept: the forms with and without tanween)
        "مرحبا", "مرحبًا", "اهلا", "أهلا", "أهلًا", "السلام عليكم", "صباح الخير", "مساء الخير", "شكرا", "شكرًا",
        "شكرا جزيلا", "شكرًا جزيلًا", "مع السلامة", "تمام", "من فضلك",
        # hi
        "नमस्ते", "नमस्कार", "धन्यवाद", "बहुत धन्यवाद", "शुक्रिया", "बहुत शुक्रिया", "ठीक है", "अलविदा", "कृपया",
        # zh (no spaces: a greeting is one word)
        "你好", "您好", "嗨", "谢谢", "謝謝", "谢谢你", "谢谢您", "多谢", "非常感谢", "感谢", "再见", "再見", "好的", "早上好", "晚上好",
        # ja
        "こんにちは", "こんばんは", "おはよう", "おはようございます", "ありがとう", "ありがとうございます", "ありがとうございました",
        "どうも", "どうもありがとう", "さようなら", "よろしくお願いします", "了解です",
        # ko
        "안녕하세요", "안녕", "감사합니다", "고맙습니다", "고마워요", "고마워", "네", "좋아요", "안녕히 계세요",
    }
)
_JOINERS = frozenset({"et", "and", "y", "und", "e", "en", "och", "ve", "i", "и", "و", "और"})  # between two of them: "merci et bonne journée", "ok and thanks"
_PHRASES: frozenset[tuple[str, ...]] = frozenset(tuple(p.split()) for p in PLEASANTRIES)
_PHRASE_WORDS: frozenset[str] = frozenset(w for p in _PHRASES for w in p)
_LONGEST = max(len(p) for p in _PHRASES)

# letter rows of the qwerty, azerty and qwertz layouts
_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm", "azertyuiop", "qsdfghjklm", "wxcvbn", "qwertzuiop", "yxcvbnm")
_ROW_RUN = 5
_ROW_RUNS: frozenset[str] = frozenset(
    row[i : i + _ROW_RUN] for r in _ROWS for row in (r, r[::-1]) for i in range(len(row) - _ROW_RUN + 1)
)
_ROW_SETS: tuple[frozenset[str], ...] = tuple(frozenset(r) for r in _ROWS)
_VOWELS = frozenset("aeiouy")  # accents are folded first: "é" is "e"
_LATIN = re.compile(r"[a-z]+")
_STRETCH = re.compile(r"(.)\1{2,}")  # "merciii", "coool"


def fold(question: str) -> list[str]:
    """The question's words, lowercased and accent-folded; punctuation, emoji and symbols dropped."""
    return WORD.findall(strip_accents(normalize(question)).casefold())  # letters (with their marks) and digits of any script


def is_mash(word: str) -> bool:
    """A folded word that no language spells: one letter ≥ 4 times ("jjjj"), ≥ 5 keys along a keyboard
    row either way ("asdfgh", "qsdfgh"), or ≥ 5 letters without a vowel all from one row ("dfkjg",
    "xcvbn"). One row, because acronyms without vowels mix rows: "chsld" (Quebec), "https"; "USDC"
    and Czech "prst" are shorter. Words with digits or other scripts never are ("FR123456")."""
    if not _LATIN.fullmatch(word):
        return False
    if len(word) >= 4 and len(set(word)) == 1:
        return True
    if any(word[i : i + _ROW_RUN] in _ROW_RUNS for i in range(len(word) - _ROW_RUN + 1)):
        return True
    return len(word) >= _ROW_RUN and not _VOWELS.intersection(word) and any(set(word) <= r for r in _ROW_SETS)


def _unstretched(word: str) -> str:
    """"merciii" -> "merci", "coool" -> "cool": the form in the pleasantries, when there is one."""
    for form in (word, _STRETCH.sub(r"\1", word), _STRETCH.sub(r"\1\1", word)):
        if form in _PHRASE_WORDS:
            return form
    return word


def only_pleasantries(words: list[str]) -> bool:
    """Whether the words are a sequence of whole pleasantries ("ok" + "merci"; "au revoir" but not "au")."""
    words = [_unstretched(w) for w in words if w not in _JOINERS]
    if not words or not _PHRASE_WORDS.issuperset(words):
        return False
    ends = {0}  # positions reachable by whole pleasantries
    for i in range(len(words)):
        if i in ends:
            ends.update(i + n for n in range(1, min(_LONGEST, len(words) - i) + 1) if tuple(words[i : i + n]) in _PHRASES)
    return len(words) in ends


def junk_reason(question: str) -> str | None:
    """Why this is not a question the FAQ could answer, or None for anything that may be one."""
    words = fold(question)
    if not words:
        return "no words"
    if only_pleasantries(words):
        return "greeting or thanks only"
    if all(is_mash(w) for w in words):
        return "keyboard mash"
    return None
