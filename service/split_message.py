"""A customer's whole message into the questions it asks, for the agent's suggestion panel.

First the parts that are not the customer's message are cut, line by line and by rule (fr/en/es/de/it/pt):
a "--" signature delimiter and all after it, a quoted reply ("Le lun. 3 mars 2025, X a écrit :",
"On Mon, … wrote:", lines starting with ">") and all after it, device lines ("Sent from my iPhone",
"Envoyé de mon iPhone", "Get Outlook for Android") and a sign-off ("Cordialement, Julie",
"Bien à vous,\\nMarc Dupont", "Merci d'avance, Paul") with the name lines after it.

Then greetings, thanks-only sentences (faq/junk.py's rule: "Merci beaucoup !" is not a question) and
lone names are dropped; each question keeps the statements just before it, since "Que dois-je faire ?"
means nothing without "Ma montre est arrivée cassée." A message with statements but no recognisable
question is one question; a message with nothing left (thanks, greetings, a signature) has none.
"""

from __future__ import annotations

import re

from faq.junk import junk_reason

_SPLIT = re.compile(r"(?<=[.!?…])\s+|\n+")
_GREETING = re.compile(
    r"^(bonjour|bonsoir|salut|coucou|allo|hello|hi|hey|good (morning|afternoon|evening)|hola|buenos d[ií]as|buenas tardes|"
    r"guten (tag|morgen|abend)|hallo|ciao|buongiorno|buonasera|ol[aá]|oi|bom dia|boa tarde)\b",
    re.IGNORECASE,
)
# a salutation with a title: whatever short words follow ("Dear support team,", "Madame, Monsieur,")
_SALUTATION = re.compile(
    r"^(dear|cher|ch[eè]re|madame|monsieur|mesdames|messieurs|estimad[oa]s?|sehr geehrte[rn]?|liebe[rs]?|gentile|"
    r"egregi[oa]|prezad[oa]s?|car[oa]s?)\b",
    re.IGNORECASE,
)
# sign-off formulas; "merci", "thanks", "gracias"… alone are faq/junk.py's pleasantries
_SIGN_OFF = re.compile(
    r"^(cordialement|bien (à|a) (vous|toi)|bien cordialement|très cordialement|salutations( distinguées)?|"
    r"sinc[eè]rement|amicalement|bisous|merci (d'avance|par avance)( pour votre (aide|réponse|retour))?|merci (de|pour) votre (aide|réponse|retour)|"
    r"(best|kind|warm|many)( regards| wishes)?|regards|sincerely( yours)?|yours (truly|sincerely|faithfully)|"
    r"thanks in advance|thank you in advance|cheers|"
    r"saludos( cordiales)?|un saludo|atentamente|gracias de antemano|cordialmente|"
    r"mit freundlichen gr(ü|ue)(ß|ss)en|freundliche gr(ü|ue)(ß|ss)e|viele gr(ü|ue)(ß|ss)e|beste gr(ü|ue)(ß|ss)e|"
    r"liebe gr(ü|ue)(ß|ss)e|lg|mfg|danke im voraus|"
    r"cordiali saluti|distinti saluti|saluti|un saluto|grazie in anticipo|"
    r"atenciosamente|cumprimentos|abraços?|obrigad[oa] desde j[áa])\b",
    re.IGNORECASE,
)
_DEVICE = re.compile(
    r"^(sent from my|sent from (outlook|mail|yahoo)|get outlook for|envoy[ée] (de|depuis) (mon|ma|l'|outlook|yahoo)|"
    r"enviado (desde|do|de) (mi|meu|o|outlook)|von meinem .* gesendet|gesendet von|inviato da|obtenir outlook pour|"
    r"obtener outlook para|scarica outlook per)\b",
    re.IGNORECASE,
)
_QUOTE_HEADER = re.compile(
    r"(a [ée]crit|wrote|escribi[óo]|schrieb|ha scritto|scrisse|escreveu)\s*:?\s*$"
    r"|^-{2,}\s*(original message|message d'origine|mensaje original|urspr(ü|ue)ngliche nachricht|messaggio originale|"
    r"mensagem original)\s*-*$",
    re.IGNORECASE,
)
_QUOTE_START = re.compile(r"^(le|on|el|am|il|em)\b", re.IGNORECASE)
_DELIMITER = re.compile(r"^\s*(--|__+|—)\s*$")
_ASKING = re.compile(
    r"\b(je (voudrais|souhaite|veux|aimerais) (savoir|connaître|comprendre)|pouvez-vous|pourriez-vous|est-ce que|"
    r"comment|combien|quand|où|pourquoi|quel(le)?s?|i('d| would) like to know|can you|could you|how|when|where|why|"
    r"what|which|do you|is it|wie|wann|wo|warum|cómo|cuándo|dónde|come|quando|dove|como)\b",
    re.IGNORECASE,
)
_NAME_WORD = re.compile(r"^[^\W\d_][\w.'’-]*$")
MAX_QUESTIONS = 5


def split_questions(message: str) -> list[str]:
    """The questions of a message, in order, each with the context sentences right before it; [] when the
    message asks nothing (only thanks, greetings or a signature)."""
    kept = strip_signature(message)
    sentences = [s.strip() for s in _SPLIT.split(kept) if s and s.strip()]
    body = [s for s in sentences if not _is_pleasantry(s) and not _is_signature(s)]
    questions: list[str] = []
    context: list[str] = []
    for sentence in body:
        if _is_question(sentence):
            questions.append(" ".join([*context[-2:], sentence]))
            context = []
        else:
            context.append(sentence)
    if not questions:
        whole = " ".join(body).strip()
        return [whole] if whole else []
    if context:  # trailing statements belong to the last question
        questions[-1] = " ".join([questions[-1], *context])
    return questions[:MAX_QUESTIONS]


def strip_signature(message: str) -> str:
    """The message without its signature, device line, sign-off and quoted reply (line-based rules)."""
    lines = message.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    kept: list[str] = []
    signed_off = False
    for line in lines:
        text = line.strip()
        if _DELIMITER.match(line) or text.startswith(">"):
            break
        if _QUOTE_HEADER.search(text):
            if kept and _QUOTE_START.match(kept[-1].strip()) and not _QUOTE_START.match(text):
                kept.pop()  # "On Mon, 3 Mar 2025 at 10:00, Anna <a@b.c>" wrapped before "wrote:"
            break
        if _DEVICE.match(text):
            continue
        if signed_off:
            if text.endswith("?"):  # "P.S. Et pour la garantie ?" after "Cordialement"
                kept.append(line)
            continue
        if _is_sign_off(text):
            signed_off = True
            continue
        kept.append(line)
    return "\n".join(kept)


def _is_question(sentence: str) -> bool:
    return sentence.endswith("?") or bool(_ASKING.search(sentence))


def _names_only(rest: str) -> bool:
    """Up to four capitalised words and initials: "Julie", "Marc Dupont", "Marie D.", "l'équipe" is not."""
    words = rest.strip(" ,.;:!-—–").split()
    return len(words) <= 4 and all(_NAME_WORD.match(w) and w[:1].isupper() for w in words)


def _is_sign_off(line: str) -> bool:
    """"Cordialement", "Best regards, Anna", "Merci d'avance, Paul": a formula, then at most a name."""
    found = _SIGN_OFF.match(line)
    return found is not None and not line.endswith("?") and _names_only(line[found.end():])


def _is_pleasantry(sentence: str) -> bool:
    """Only thanks or greetings (faq/junk.py), maybe addressed to someone ("Bonjour Marie,", "Dear team,")."""
    if junk_reason(sentence) is not None:
        return True
    if _is_question(sentence):
        return False
    if (found := _GREETING.match(sentence)) and _names_only(sentence[found.end():]):
        return True
    if _SALUTATION.match(sentence) and len(sentence.split()) <= 6 and sentence.rstrip().endswith((",", ":")):
        return True
    return _is_sign_off(sentence)


def _is_signature(sentence: str) -> bool:
    """A lone name or initial line such as "Marie D." or "— Paul"."""
    words = sentence.strip("-—– .").split()
    return 0 < len(words) <= 3 and all(w[:1].isupper() for w in words) and not sentence.endswith("?")
