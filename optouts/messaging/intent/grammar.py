"""The grammar the phrase table (optouts/messaging/intent/phrases.py) is written in: the kinds of
rule, the shared vocabulary (<NAME> in a pattern) and the Rule itself.

A pattern is a regular expression over one clause of plain words, as
optouts/messaging/intent/text.py makes them; it matches whole words only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

ORDINARY, REVOKE, CONSENT, QUALIFY, REVIEW, HELP = (
    "ordinary",
    "revoke",
    "consent",
    "qualify",
    "review",
    "help",
)

# --- Vocabulary --------------------------------------------------------------------------------

VOCAB = {
    # Words that add nothing to a request: "please stop already", "stop it now!!"
    "FILL": (
        r"(?:please|just|now|right now|already|immediately|asap|thanks|thank you|for real|"
        r"seriously|ok|okay|man|dude|lol|omg|sir|maam|guys|yall|for good|forever|permanently|"
        r"again|at once|today|por favor|svp|merci|gracias|bye|oh|god|damn|dammit|then|so|"
        r"omfg|wtf|tf|fucking|freaking|frigging|the fuck|the hell|ffs|ya|yes|bro|"
        r"everything|all|s il vous plait|immediatement)"
    ),
    "MSG_NOUN": (
        r"(?:texts?|text messages?|messages?|sms|smss|notifications?|alerts?|promos?|"
        r"promotions?|promotional \w+|marketing|ads|advertising|spam|solicitations?|"
        r"communications?|updates|reminders|offers|robotexts?|texting|messaging|contact|"
        r"subscription|mensajes|textos|messages texte)"
    ),
    "MSG_GERUND": (
        r"(?:texting|messaging|contacting|writing|bothering|harassing|spamming|pestering|"
        r"bugging|hounding|soliciting|blowing up my phone|blowing me up|hitting me up|"
        r"sending(?: me| us)?(?: (?:these|this|that|those|them|your|the|all|any|more|stuff|"
        r"things|junk|crap|shit|garbage|<MSG_NOUN>))*)"
    ),
    "OTHER_CHANNEL": (
        r"(?:calling|calls|call|phoning|phone calls|emailing|emails|email|e mails|mailing|"
        r"mail|letters|voicemails|llamadas|llamar|llamen|llames|appels|appeler|appelez|correos)"
    ),
    "PRONOUN": (
        r"(?:it|this|that|these|those|them|everything|all of (?:it|this|these|them)|all this|"
        r"this (?:crap|shit|nonsense|garbage|bs|spam|junk))"
    ),
    "MSG_VERB": r"(?:text|message|contact|sms|write|send|hit me up|reach out to|txt|msg)",
    "DET": r"(?:the|a|an|my|our|your|that|this|these|those|his|her|their|any|some|all|old|new)",
    # What "stop", "cancel", "end" or "quit" are about when they are not about our texts.
    "DOMAIN": (
        r"(?:payments?|pay|paying|paid|checks?|cheques?|wires?|wiring|transfers?|drafts?|"
        r"autodraft|autopay|auto draft|auto pay|deposits?|withdrawals?|debits?|ach|charges?|"
        r"fees?|bills?|billing|process|processing|application|app|loans?|refi|refinance|"
        r"closing|escrow|pmi|mi|insurance|policy|coverage|lock|rate lock|float|appraisal|"
        r"inspection|contract|sale|purchase|listing|appointments?|appt|meeting|call|slot|"
        r"schedule|order|job|work|renting|rent|lease|leasing|smoking|drinking|account|card|"
        r"credit card|membership|gym|construction|contractor|project|search|underwriting|"
        r"paperwork|docs|documents|forms?|mortgage|title|deed|hoa|tax|taxes|heloc|"
        r"transaction|funding|disbursement|direct deposit|renovation|reno|cita|pago|"
        r"rendez vous|rdv|paiement|prestamo|pret|borrower|co borrower|cosigner|co signer|"
        r"address|late fee|lien)"
    ),
    # Things one may ask not to be texted while still being texted: "don't text me the form".
    "DOC": (
        r"(?:forms?|links?|documents?|docs?|files?|pdfs?|ssn|social|statements?|paystubs?|"
        r"pay stubs?|w2s?|info|details|password|codes?|photos?|pictures?|pics?|copy|copies|"
        r"disclosures?|estimates?|quotes?|address|account number|bank details|attachments?)"
    ),
    "LIST": (
        r"(?:list|lists|database|system|records|contacts|texts|messages|distribution|"
        r"everything|all|program|campaign|service|contact list|registry)"
    ),
    "LIST_KIND": (
        r"(?:text|texting|sms|mailing|contact|call|calling|marketing|message|messaging|"
        r"distribution|solicitation|subscriber|subscription|phone|do not call)"
    ),
    "ME": (
        r"(?:me|us|this number|my number|my (?:phone|cell|cell phone|mobile)(?: number)?|"
        r"my (?:contact )?(?:info|information|details|data)|my contact|this phone|my name)"
    ),
    "PERSON": (
        r"(?:wifes?|husbands?|spouses?|partners?|sons?|daughters?|kids?|moms?|mothers?|dads?|"
        r"fathers?|brothers?|sisters?|boyfriends?|girlfriends?|exs?|roommates?|bosss?|"
        r"parents?|grandmas?|grandpas?|friends?|family|tenants?)"
    ),
    "DAY": (
        r"(?:sundays?|mondays?|tuesdays?|wednesdays?|thursdays?|fridays?|saturdays?|"
        r"weekends?|weekdays|holidays|sabados?|domingos?|dimanches?)"
    ),
    "MONTH": (
        r"(?:january|february|march|april|may|june|july|august|september|october|november|"
        r"december|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec|enero|febrero|marzo)"
    ),
    "ORDINAL": (
        r"(?:second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|twentieth|hundredth|"
        r"\d+(?:st|nd|rd|th)|umpteenth|millionth|yet another)"
    ),
    "COUNT": r"(?:\d+|two|three|four|five|six|seven|eight|nine|ten|twenty|fifty|a hundred)",
    "NEG": r"(?:dont|do not|never|dont ever|do not ever|never ever|please dont|no)",
    "STOPW": (
        r"(?:stop|stop all|stopall|quit|cease|halt|unsubscribe|opt out|optout|revoke|enough|"
        r"basta|no mas|no more|remove me|unsubscribe me|opt me out|desabonner|desabonnez moi|"
        r"desinscrire|desinscrivez moi|arret|arretez|alto|stop it|quit it|cut it out|"
        r"knock it off|stop this|stop that|stop these|stop them|enough already)"
    ),
    "ES_SEND": (
        r"(?:envien|envies|envie|enviar|manden|mandes|mande|mandar|escriban|escribas|escriba|"
        r"escribir|textees|texteen|textear|contacten|contactes|contacte|contactar|molesten|"
        r"molestes|moleste|vuelvan a (?:escribir|mandar|enviar|contactar))"
    ),
}


@dataclass(frozen=True)
class Rule:
    """One line of the table. `id` is what the records keep (stable: never reuse one for a
    different meaning); `source` is why the rule exists; `scope` is "clause" or "body"."""

    id: str
    kind: str
    pattern: str
    source: str
    scope: str = "clause"
    regex: re.Pattern = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        text = self.pattern
        for _ in range(3):  # vocabulary may name vocabulary
            text = re.sub(r"<([A-Z_]+)>", lambda m: VOCAB[m[1]], text)
        wrapped = rf"(?<![a-z0-9])(?:{text})(?![a-z0-9])"
        object.__setattr__(self, "regex", re.compile(wrapped))


def rule(rule_id, kind, pattern, source, scope="clause") -> Rule:
    """One line of the table."""
    return Rule(rule_id, kind, pattern, source, scope)
