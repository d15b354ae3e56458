"""A customer's whole message into the questions it asks, for the agent's suggestion panel.

Greetings, thanks and signatures are dropped; each question keeps the statements just before it,
since "Que dois-je faire ?" means nothing without "Ma montre est arrivée cassée." A message with no
recognisable question is one question.
"""

from __future__ import annotations

import re

_SPLIT = re.compile(r"(?<=[.!?…])\s+|\n+")
_GREETING = re.compile(
    r"^(bonjour|bonsoir|salut|coucou|allo|hello|hi|hey|dear\b.*|good (morning|afternoon|evening)|cher\b.*|ch[eè]re\b.*|"
    r"madame|monsieur|madame,? monsieur|hola|buenos d[ií]as|buenas tardes|guten (tag|morgen|abend)|hallo|ciao|buongiorno|"
    r"buonasera|ol[aá]|bom dia|boa tarde)\b[\s,!.\w-]{0,30}$",
    re.IGNORECASE,
)
_CLOSING = re.compile(
    r"^(merci|cordialement|bien (à vous|cordialement)|bonne (journée|soirée)|salutations|thanks?|thank you|regards|"
    r"best( regards)?|cheers|sincerely|kind regards|gracias|saludos|danke|viele grüße|mit freundlichen grüßen|grazie|"
    r"cordiali saluti|obrigad[oa]|atenciosamente)\b.{0,60}$",
    re.IGNORECASE,
)
_ASKING = re.compile(
    r"\b(je (voudrais|souhaite|veux|aimerais) (savoir|connaître|comprendre)|pouvez-vous|pourriez-vous|est-ce que|"
    r"comment|combien|quand|où|pourquoi|quel(le)?s?|i('d| would) like to know|can you|could you|how|when|where|why|"
    r"what|which|do you|is it|wie|wann|wo|warum|cómo|cuándo|dónde|come|quando|dove|como)\b",
    re.IGNORECASE,
)
MAX_QUESTIONS = 5


def split_questions(message: str) -> list[str]:
    """The questions of a message, in order, each with the context sentences right before it."""
    sentences = [s.strip() for s in _SPLIT.split(message) if s and s.strip()]
    body = [s for s in sentences if not _GREETING.match(s) and not _CLOSING.match(s) and not _is_signature(s)]
    questions: list[str] = []
    context: list[str] = []
    for sentence in body:
        if sentence.endswith("?") or _ASKING.search(sentence):
            questions.append(" ".join([*context[-2:], sentence]))
            context = []
        else:
            context.append(sentence)
    if not questions:
        whole = " ".join(body).strip() or message.strip()
        return [whole]
    if context and questions:  # trailing statements belong to the last question
        questions[-1] = " ".join([questions[-1], *context])
    return questions[:MAX_QUESTIONS]


def _is_signature(sentence: str) -> bool:
    """A lone name or initial line such as "Marie D." or "— Paul"."""
    words = sentence.strip("-—– .").split()
    return 0 < len(words) <= 3 and all(w[:1].isupper() for w in words) and not sentence.endswith("?")
