"""The agent panel's message splitter: signatures, sign-offs, quoted replies and thanks-only sentences (no models)."""

import pytest

from service.split_message import split_questions

Q = "Combien de temps dure la garantie ?"

CASES = [
    # thanks / greetings only: no question
    ("Merci beaucoup !", []),
    ("merci", []),
    ("Thanks a lot!", []),
    ("Bonjour,\nMerci beaucoup !\nBonne journée", []),
    ("Muchas gracias", []),
    ("Vielen Dank!", []),
    ("Grazie mille", []),
    ("Muito obrigada", []),
    ("Merci beaucoup !\nCordialement, Julie", []),
    ("😀😀", []),
    # a real question is never dropped
    ("Merci, et pour la garantie ?", ["Merci, et pour la garantie ?"]),
    ("Merci. Et pour la garantie ?", ["Et pour la garantie ?"]),
    ("Hello how do I reset my watch", ["Hello how do I reset my watch"]),
    ("Bonjour, pouvez-vous m'aider avec ma commande", ["Bonjour, pouvez-vous m'aider avec ma commande"]),
    # device lines
    (f"{Q}\n\nSent from my iPhone", [Q]),
    (f"{Q}\n\nEnvoyé de mon iPhone", [Q]),
    (f"{Q}\n\nGet Outlook for Android", [Q]),
    (f"{Q}\nEnviado desde mi iPhone", [Q]),
    (f"{Q}\nVon meinem iPhone gesendet", [Q]),
    # sign-offs, with or without a name
    (f"{Q}\nCordialement, Julie", [Q]),
    (f"{Q}\nCordialement,\nJulie Martin", [Q]),
    (f"{Q}\nBien à vous,\nMarc Dupont", [Q]),
    ("How long is the warranty?\nBest regards, Anna", ["How long is the warranty?"]),
    ("How long is the warranty?\nKind regards,\nAnna Smith\nAcme Ltd\n+44 20 7946 0958", ["How long is the warranty?"]),
    (f"{Q}\nMerci d'avance, Paul", [Q]),
    (f"{Q}\nMerci d'avance pour votre réponse,\nPaul", [Q]),
    ("¿Cuánto dura la garantía?\nSaludos, Ana", ["¿Cuánto dura la garantía?"]),
    ("Wie lange gilt die Garantie?\nMit freundlichen Grüßen\nKlaus", ["Wie lange gilt die Garantie?"]),
    ("Quanto dura la garanzia?\nCordiali saluti", ["Quanto dura la garanzia?"]),
    ("Quanto tempo dura a garantia?\nAtenciosamente", ["Quanto tempo dura a garantia?"]),
    (f"Bonjour Marie,\n{Q}\nCordialement, Julie", [Q]),
    (f"{Q}\nCordialement,\nJulie\nP.S. Et pour la livraison ?", [Q, "Et pour la livraison ?"]),
    # "--" and everything after it
    (f"{Q}\n--\nJulie Martin\nService achats, Où sommes-nous ?", [Q]),
    (f"{Q}\n-- \nJulie", [Q]),
    # quoted replies
    (f"{Q}\n\nLe lun. 3 mars 2025, Service client a écrit :\n> Bonjour, quelle est votre question ?", [Q]),
    ("Where is my order?\n\nOn Mon, Mar 3, 2025 at 10:00 AM Anna <a@b.c> wrote:\n> How can I help?", ["Where is my order?"]),
    ("Where is my order?\nOn Mon, Mar 3, 2025 at 10:00 AM Anna <a@b.c>\nwrote:\n> How can I help?", ["Where is my order?"]),
    (f"{Q}\n> Quel est votre numéro de commande ?\n> Merci", [Q]),
    # the historical two-question message
    ("Bonjour,\nJ'ai reçu ma montre hier mais le verre est rayé. Que dois-je faire ?\n"
     "Et combien de temps faut-il pour être remboursé ?\nMerci d'avance,\nMarie D.",
     ["J'ai reçu ma montre hier mais le verre est rayé. Que dois-je faire ?",
      "Et combien de temps faut-il pour être remboursé ?"]),
    ("garantie combien de temps", ["garantie combien de temps"]),
]


@pytest.mark.parametrize(("message", "expected"), CASES, ids=[m[:40] for m, _ in CASES])
def test_split_questions(message, expected):
    assert split_questions(message) == expected


def test_no_signature_text_is_left_in_any_question():
    for message, _ in CASES:
        for q in split_questions(message):
            for leftover in ("iPhone", "Outlook", "Cordialement", "regards", "a écrit", "wrote", "Saludos", "Grüßen", "saluti", "Atenciosamente"):
                assert leftover not in q, (message, q)
