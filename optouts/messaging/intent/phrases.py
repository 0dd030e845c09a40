"""The phrase table: what an inbound text's words mean for consent, rule by rule, with the source
or the reasoning of each.

Every pattern is a regular expression over one clause of plain words as
optouts/messaging/intent/text.py makes them (lower case, no accents, "don't" -> "dont", SMS
spellings and slips undone), with the vocabulary of optouts/messaging/intent/grammar.py written
as <NAME>. A pattern matches whole words only. The kinds, in the order they are tried on a
clause:

- ORDINARY: the words are about something else (a stop payment, a visit, "don't stop"); their
  span is set aside, so no later rule reads it as a revocation.
- REVOKE: a clear revocation: opted out at once, as the contact (channel SMS).
- CONSENT: a clear wish to be texted again after a stop (conservative: a missed opt-in costs the
  contact one START, a false one texts someone who said stop).
- QUALIFY: limits a revocation in the same clause (or, `scope="body"`, anywhere in the text) to a
  time, a frequency, a topic or another channel: the revocation goes to a person instead.
- REVIEW: may revoke consent, or is a refusal, deferral or lost lead: a person decides (inbox).

Sources: the FCC rule and order (47 CFR 64.1200(a)(10), FCC 24-24: any reasonable means, the
seven keywords, other words when a reasonable person would understand them as revoking), the
CTIA Messaging Principles and Best Practices, court readings of natural-language revocations,
carriers' keyword lists and the common Spanish and French phrasings. docs/compliance.md lists
them and what the table cannot catch.
"""

from __future__ import annotations

from optouts.messaging.intent.grammar import (
    CONSENT,
    HELP,
    ORDINARY,
    QUALIFY,
    REVIEW,
    REVOKE,
    Rule,
)
from optouts.messaging.intent.grammar import rule as _r

FCC_KEYWORDS = (
    "47 CFR 64.1200(a)(10) (FCC 24-24): stop, quit, end, revoke, opt out, cancel and "
    "unsubscribe revoke consent, in any sentence"
)
FCC_REASONABLE = (
    "47 CFR 64.1200(a)(10) (FCC 24-24): other words revoke when a reasonable person would "
    "understand them as a request to stop (totality of the circumstances)"
)
CTIA = "CTIA Messaging Principles and Best Practices (2023) 5.1.3: honour opt-out requests"
RANDO = (
    "Rando v. Edible Arrangements (D.N.J. 2018): 'take my contact info off' and 'stop the "
    "messages' read as clearly asking to stop"
)

# --- The table ---------------------------------------------------------------------------------

# fmt: off
RULES: tuple[Rule, ...] = (
    # ORDINARY: words that only look like a revocation. Tried first; their span is set aside.
    _r("ordinary.visit", ORDINARY,
       r"stop(?:ping|ped|s)? (?:by|in|over|at|off at|through)(?! (?:mistake|accident|error))",
       "'stop by / in / over' is a visit (the keyword list already excepts it)"),
    _r("ordinary.stop_noun", ORDINARY,
       r"(?:a|the|one|bus|next|last|first|full|pit|truck|rest|quick) stop",
       "'stop' as a noun (a bus stop, a full stop)"),
    _r("ordinary.negated_stop", ORDINARY,
       r"^(?!.*\bwhy\b).*?(?P<span>(?:dont|do not|never|cant|cannot|can not|wont|will not|"
       r"didnt|did not|shouldnt|should not|not|please dont)(?! you\b)(?: \w+)? "
       r"(?:stop|quit|cease|end|cancel|unsubscribe)(?:ping)?)",
       "a negated stop ('please don't stop sending these', 'don't stop the process') asks "
       "for more, not less; a question ('why won't you stop') is not negated"),
    _r("ordinary.domain_object", ORDINARY,
       r"(?:stop|stopping|stopped|quit|quitting|cancel|canceling|cancelling|cancelled|end|remove|"
       r"ending|halt|pause|cease|terminate|opt out of|opting out of|opted out of|"
       r"unsubscribe from|unsubscribing from|cancelar|annuler|anular)"
       r"(?: (?:<DET>|to|of|from))?"
       r"(?: (?!(?:sending|texting|messaging|contacting|calling|emailing|writing|me|us|all|"
       r"these|those|them|text|texts|messages|message|sms|number|phone|cell|contact|info|"
       r"information|name|details)\b)[a-z0-9]+){0,2}? <DOMAIN>"
       r"(?! (?:texts?|messages?|alerts|offers|updates|notifications|emails|calls|promos|"
       r"spam|ads|reminders))",
       "banking, loan and scheduling objects: 'stop payment', 'stop the wire', 'cancel the "
       "lock', 'quit my job', 'end the call', 'opt out of escrow' are about the loan"),
    _r("ordinary.schedule_move", ORDINARY,
       r"(?:take|remove|move|switch|drop|put|cancel) (?:me|us) (?:off|from|out of|on|to|for) "
       r"(?:<DET> )?(?:[a-z0-9]+ ){0,2}<DOMAIN>",
       "moving the contact on a schedule or a loan ('take me off the 10am slot')"),
    _r("ordinary.end_noun", ORDINARY,
       r"(?:end (?:of|up|date|result|goal|game|user)|(?:the|a|an|month|year|week|day|weekend|"
       r"dead|front|back|high|low|deep|loose|rear) end)",
       "'end of the month', 'end up with': the noun or a phrasal verb"),
    _r("ordinary.quit_subject", ORDINARY,
       r"(?:contractor|he|she|they|employer|boss|builder|realtor|agent|processor|seller|"
       r"buyer|appraiser|roommate|tenant) quit",
       "someone else quitting ('our contractor quit halfway')"),
    _r("ordinary.unsubscribe_elsewhere", ORDINARY,
       r"(?:unsubscribe|unsubscribing|unsubscribed|opt out|opted out|opting out|cancel|"
       r"cancelling|canceling) (?:from|of) my (?!texts|messages|number|phone|sms)[a-z]+",
       "unsubscribing from the contact's own things ('unsubscribing from my gym')"),
    _r("ordinary.doc_by_text", ORDINARY,
       r"(?:dont|do not|please dont) (?:text|send|message|email|msg) (?:me|us) "
       r"(?:the|that|those|a|an|my|your|any|this)(?: [a-z0-9]+)? <DOC>",
       "one document kept off SMS ('don't text me the SSN form, email it') is about that "
       "document, not consent"),
    _r("ordinary.no_more_than", ORDINARY,
       r"no mas de|no more than|not more than|pas plus de",
       "'no más de 300 mil' is a budget ('no more than'), not 'no more'"),
    _r("ordinary.wrong_number_of", ORDINARY,
       r"wrong number (?:on|in|for|of|from|to call)",
       "a wrong number on a form or for someone else, not 'you have the wrong number'"),
    _r("ordinary.sick_leave", ORDINARY,
       r"arret (?:maladie|de travail)|en arret",
       "French 'arrêt maladie' is sick leave, not the ARRÊT keyword"),
    # REVOKE: clear revocations, English.
    _r("en.stop_alone", REVOKE, r"^(?:<FILL> )*<STOPW>(?: (?:<FILL>|<STOPW>))*$",
       f"{FCC_KEYWORDS}; a clause that is only a stop word ('This is the 3rd time. STOP.', "
       "'pls stop', 'Enough!')"),
    _r("en.stop_messages", REVOKE,
       r"(?:stop|stopping|quit|cease|halt|discontinue|end|cancel|terminate|kill|put an end to|"
       r"unsubscribe from|opt out of|opt me out of)(?: <FILL>)*"
       r"(?: (?:<OTHER_CHANNEL>) (?:and|or))? (?:<DET> |all the |all these |all of (?:the|these|"
       r"your) )?(?:\w+ )?(?:<MSG_GERUND>|<MSG_NOUN>)",
       f"{FCC_KEYWORDS}; with our texts as their object ('quit texting me', 'end these "
       f"messages', 'stop sending these'). {RANDO}"),
    _r("en.stop_pronoun", REVOKE,
       r"(?:stop|quit|cease)(?: <FILL>)* <PRONOUN>(?: <FILL>)*$",
       f"{FCC_KEYWORDS}; 'how do I stop these?', 'stop this now': the texts are the only "
       "thing in view"),
    _r("en.stop_tail", REVOKE,
       r"(?:you|u|to|make (?:it|this|them|these)|let it)(?: <FILL>)* (?:stop|quit)(?: <FILL>)*$",
       f"{FCC_KEYWORDS}; 'I already told you to stop', 'make it stop'"),
    _r("en.messages_stop", REVOKE,
       r"<MSG_NOUN> (?:\w+ ){0,3}(?:stop|cease)(?: <FILL>)*$",
       f"{FCC_KEYWORDS}; 'these texts need to stop'"),
    _r("en.dont_text", REVOKE,
       r"(?:<NEG>|stop|quit)(?: <FILL>)* (?:ever )?(?:(?:<MSG_VERB>)(?:ing)? (?:<ME>|these|them|"
       r"to me|to us)|(?:text|message|contact|sms|txt|msg)(?:ing)?(?: (?:again|anymore|"
       r"any more|ever|<FILL>))*$)",
       f"{FCC_REASONABLE}: 'don't text me', 'do not contact me again', 'never text this "
       "number again' ask in plain words for no more texts"),
    _r("en.dont_want", REVOKE,
       r"(?:dont|do not|no longer|never) (?:want|wish|need)(?: to (?:get|receive|be sent|"
       r"hear from you))?(?: (?:any|your|these|those|the|more|any more|anymore|this))* "
       r"(?:<MSG_NOUN>|to be (?:texted|contacted|messaged)|to hear from you)",
       f"{FCC_REASONABLE}: 'I don't want these messages'"),
    _r("en.no_more", REVOKE, r"no more (?:<MSG_NOUN>|<MSG_GERUND>)|^no (?:<MSG_NOUN>)(?: <FILL>)*$",
       f"{FCC_REASONABLE}: 'no more messages'; Spanish 'no más' is the same (below)"),
    _r("en.remove_from_list", REVOKE,
       r"(?:remove|take|delete|drop|erase|scratch|strike|get|pull|unenroll|unlist|purge|"
       r"unsubscribe|opt) <ME>(?: out)? (?:off|from|out of|of)(?: of)? (?:<DET> |ur )?"
       r"(?:<LIST_KIND> )*<LIST>",
       f"{FCC_REASONABLE}; {RANDO}; 'take me off your list', 'remove this number from your "
       "system'"),
    _r("en.off_the_list", REVOKE,
       r"(?:want|need|get|put) (?:me |us )?(?:off|out of) (?:<DET> |ur )?(?:<LIST_KIND> )*"
       r"<LIST>|get rid of <ME>|(?:done|finished) with (?:<DET> )?(?:<MSG_NOUN>)",
       f"{FCC_REASONABLE}: 'I want off this list', 'get rid of my number', 'done with these "
       "texts'"),
    _r("en.remove_me", REVOKE,
       r"(?:remove|delete|erase|unsubscribe|drop|purge|lose|forget|take off|take|cancel) <ME>"
       r"(?: (?:off|out))?(?: <FILL>)*$",
       f"{FCC_REASONABLE}: 'remove me', 'lose my number', 'delete my number'"),
    _r("en.leave_alone", REVOKE,
       r"leave (?:me|us)(?: the (?:hell|fuck))?(?: <FILL>)* alone|(?:go|get) (?:away|lost)|"
       r"(?:fuck|piss|bugger|buzz|back|f) off|get a (?:life|clue)|stop bothering me|"
       r"stop harassing me|cut it out|knock it off|take a hint|not (?:interested|buying) "
       r"(?:so )?(?:stop|quit)",
       f"{FCC_REASONABLE}: refusing all contact ('leave me alone', 'go away')"),
    _r("en.wrong_number", REVOKE,
       r"wrong (?:number|person|phone|guy|girl|lady|man|contact|cell)|not (?:my|the right) number|"
       r"(?:no one|noone|nobody) (?:here )?(?:by|named|called)(?: (?:that|this|the))?|"
       r"(?:new|different) (?:owner|person|user)s? (?:of|on|for|with) (?:this|the) "
       r"(?:number|phone)|(?:this|that) (?:is )?(?:not|isnt|is not) (?:\w+ )?(?:number|phone)|"
       r"(?:doesnt|does not|no longer|dont|do not) (?:have|has|use|uses|own|owns) this "
       r"(?:number|phone)|number (?:was|has been|got) reassigned",
       f"{FCC_REASONABLE}; the FCC's reassigned-numbers rules (47 CFR 64.1200(m)): the person "
       "who consented is not the one reading; nobody here may be texted"),
    _r("en.do_not_call_list", REVOKE,
       r"do not (?:call|contact|text|disturb)(?: me)? (?:list|registry|register)|dnc|dnd|"
       r"(?:national|federal|state) (?:do not call|dnc)|do not contact|do not text",
       f"{FCC_REASONABLE}; 47 CFR 64.1200(c)(2) and (d): naming the do-not-call list "
       "asks for no calls or texts"),
    _r("en.report_block", REVOKE,
       r"(?:report|reported|reporting|flag|flagged|flagging|mark|marked|marking)"
       r"(?: (?:you|this|this number|it|your number|this message|these|them|u))?"
       r"(?: (?:as|for))? (?:spam|junk|harassment)|"
       r"(?:report|reporting|reported) (?:you|u|your company|this number|yall)|"
       r"(?:report|reporting|reported|complain\w*) (?:\w+ )?to (?:the )?"
       r"(?:fcc|ftc|bbb|cfpb|attorney general|ag|authorities|carrier)|"
       r"(?:block|blocked|blocking|blacklist\w*) (?:you|u|yall|this number|your number|"
       r"this sender|these (?:texts|messages|numbers))|(?:sue|suing) (?:you|u|your|yall)|"
       r"tcpa|(?:this is|such|more|fucking|freaking|stop the|quit the) (?:spam|harassment)|"
       r"^spam$|^(?:blocked|blocking|block|block(?:ing)? (?:you|u))(?: <FILL>)*$",
       f"{FCC_REASONABLE}: reporting, blocking or threatening suit shows the texts are "
       "unwanted; CTIA 5.1.3 counts spam reports (7726) against the sender"),
    _r("en.cease_and_desist", REVOKE, r"cease and desist|cease (?:all )?(?:contact|communication)",
       f"{FCC_REASONABLE}: the legal demand to stop ('cease and desist', 'cease all contact')"),
    _r("en.revoke_consent", REVOKE,
       r"(?:revoke|revoking|revoked|withdraw|withdrawing|withdrawn|rescind|rescinding|retract|"
       r"cancel|cancelling|canceling) (?:my |all |any |your )?(?:consent|permission|"
       r"authorization|opt in|agreement)|"
       r"(?:never|did not|didnt) (?:gave|give|given|sign|signed|opt|opted|agree|agreed|"
       r"consent|consented|authorize|authorized|ask|asked|subscribe|subscribed|request|"
       r"requested)(?: (?:up|in|you|to|me|anyone|anybody|you guys|yall|your company))* "
       r"(?:(?:for |to )?(?:this|these|that|it|them|texts|messages|"
       r"any of (?:this|these|it))|(?:my |any |you )?(?:consent|permission)|to (?:be "
       r"(?:texted|contacted)|receive|get|text me|contact me|message me)|$)|"
       r"(?:never|did not|didnt) (?:sign|signed|opt|opted) (?:up|in)$",
       f"{FCC_KEYWORDS} ('revoke'); denying ever having consented revokes whatever consent "
       "the sender thinks it has"),
    _r("en.enough", REVOKE,
       r"enough (?:with |of )?(?:the |your |these |all the |this |all these )?"
       r"(?:<MSG_NOUN>|<MSG_GERUND>|already|is enough|of this|of you)|(?:thats|that is) enough",
       f"{FCC_REASONABLE}: 'enough with the texts'"),
    _r("en.told_you", REVOKE,
       r"(?:said|texted|replied|sent|typed|wrote|told you|asked you|asked|requested)(?: you)?"
       r"(?: to)?(?: be)? (?:stop|unsubscribe|opt out|remove me|removed|taken off|quit)"
       r"(?! by)(?!.*\b(?:mistake|accident|accidentally|error)\b)",
       f"{FCC_REASONABLE}: a revocation repeated ('I already said stop', 'I asked to be "
       "removed')"),
    _r("en.unsubscribe_me", REVOKE,
       r"(?:unsubscribe|unsubscribed|unsubscribing|unenroll|optout|opt out|opted out|"
       r"opt me out|opt us out)(?: (?:me|us|this number|my number))?(?: <FILL>)*$",
       f"{FCC_KEYWORDS}: 'unsubscribe me pls', 'how do I opt out?'"),
    _r("en.cancel_me", REVOKE,
       r"cancel(?:ar)? (?:me|us|my number|this number|(?:my |mi |la |the )?(?:subscription|"
       r"suscripcion|abonnement))",
       f"{FCC_KEYWORDS} ('cancel'): 'cancel my subscription', 'cancelar suscripción'"),
    # REVOKE: Spanish.
    _r("es.no_me_manden", REVOKE,
       r"no (?:me|nos) (?:<ES_SEND>)(?: (?:mas|ya|nunca mas))?",
       f"{FCC_REASONABLE}: 'no me manden/envíen/escriban (más)' = don't send me (any more)"),
    _r("es.dejen_de", REVOKE,
       r"(?:dejen|deja|deje|paren|para|pare|basta) de (?:mandar|enviar|escribir|textear|"
       r"contactar|molestar|llamar)(?:me|nos)?|"
       r"(?:dejenme|dejame|dejeme|dejanos|dejennos) (?:en paz|tranquil[oa])|"
       r"no (?:me|nos) molest\w+",
       f"{FCC_REASONABLE}: 'dejen de mandarme textos' (stop sending me texts), 'déjenme en "
       "paz' (leave me alone)"),
    _r("es.no_quiero", REVOKE,
       r"no (?:quiero|queremos|deseo)(?: (?:recibir|mas|sus|los|ningun\w*|estos|tus))* "
       r"(?:mensajes|textos|sms|mensaje|texto)",
       f"{FCC_REASONABLE}: 'ya no quiero recibir mensajes'"),
    _r("es.no_mas", REVOKE,
       r"(?:^|ya )no mas(?: (?:mensajes|textos|sms|por favor|gracias|please|<FILL>))*$|"
       r"(?:^|ya )basta(?: (?:ya|por favor|<FILL>))*$|ya basta",
       "common Spanish revocations ('No más', 'Basta ya'); 'no más' is the FCC-comment "
       "example of a non-English revocation"),
    _r("es.quitenme", REVOKE,
       r"(?:quitenme|quiteme|quitame|sacenme|saqueme|sacame|borrenme|borreme|borrame|"
       r"eliminenme|elimineme|eliminame|desuscribanme|denme de baja|darme de baja|"
       r"dar de baja|deme de baja|dame de baja|desuscribir\w*|desinscribir\w*)|"
       r"^baja(?: <FILL>)*$|"
       r"(?:eliminen|borren|quiten|saquen|eliminar|borrar|quitar|saquen) (?:mi|este) "
       r"(?:numero|telefono|celular|contacto)",
       f"{FCC_REASONABLE}: 'quítenme de su lista', 'eliminen mi número', 'darme de baja' "
       "(unsubscribe me)"),
    _r("es.numero_equivocado", REVOKE,
       r"(?:numero|persona) (?:equivocad[oa]|incorrect[oa]|errone[oa])|"
       r"equivoca\w* de (?:numero|persona)|"
       r"no (?:es|soy) (?:la persona|esa persona)",
       f"{FCC_REASONABLE}: wrong number ('número equivocado')"),
    # REVOKE: French (Canadian numbers share +1; CWTA/CRTC practice honours French).
    _r("fr.arretez_de", REVOKE,
       r"(?:arretez|arrete|cessez|cesse|stoppez) de (?:m |me |nous )?(?:envoyer|ecrire|"
       r"texter|contacter|appeler|harceler|deranger|relancer)|"
       r"ne (?:m|me|nous) (?:\w+ )?(?:ecrivez|envoyez|contactez|textez|ecris|envoie|contacte|"
       r"texte|derangez|appelez|relancez)(?: \w+)? plus|ne plus (?:m |me |nous )?(?:ecrire|"
       r"envoyer|contacter|texter)",
       f"{FCC_REASONABLE}: 'arrêtez de m'envoyer des messages', 'ne m'écrivez plus'"),
    _r("fr.retirez_moi", REVOKE,
       r"(?:retirez|enlevez|supprimez|effacez|radiez|desabonnez|desinscrivez|retire|enleve|"
       r"supprime|desabonne) (?:moi|mon numero|mon nom|nous)|(?:je me )?desabonn\w*|"
       r"desinscri\w*|(?:laissez|laisse) (?:moi|nous) (?:tranquille|en paix)|"
       r"(?:je |nous )?ne (?:veux|voulons|souhaite|souhaitons|desire) plus (?:recevoir|avoir) "
       r"(?:de |des |vos |ces |tes )?(?:messages|textos|sms|textes|nouvelles)|"
       r"(?:fichez|foutez|fiche|fous) (?:moi|nous) la paix|mauvais (?:numero|personne)|"
       r"(?:erreur|faux) (?:de )?numero|(?:^|non )plus de (?:messages|sms|textos|textes)"
       r"(?: <FILL>)*$",
       f"{FCC_REASONABLE}: 'retirez-moi de votre liste', 'désabonner', 'mauvais numéro'"),
    # CONSENT: a clear wish to be texted again (only acted on for a number a stop put on the list).
    _r("consent.start_alone", CONSENT,
       r"^(?:<FILL> )*(?:start|unstop|resubscribe|re subscribe)(?: (?:again|back|<FILL>))*$",
       "CTIA 5.1.3 and carriers: START and UNSTOP resubscribe; a clause that is only one "
       "('START - I want the alerts back')"),
    _r("consent.opt_back_in", CONSENT,
       r"(?:opt|sign) (?:me |us )?back (?:in|up)|opt back in|(?:opt|sign) (?:me |us )?"
       r"(?:in|up) again|resubscribe|re subscribe|subscribe (?:me |us )?(?:again|back)|"
       r"(?:add|put|place) (?:me|us|my number|this number) back (?:on|in|to|into)",
       "an explicit request to be resubscribed"),
    _r("consent.text_me_again", CONSENT,
       r"(?:you can|you may|u can|feel free to|go ahead and|its ok to|it is ok to|ok to|"
       r"okay to|please|pls|ok|okay|sure|yes) (?:start |resume |continue )?"
       r"(?:text|message|contact|msg|send)(?:ing)? (?:me|us) (?:again|once again|anew)|"
       r"(?:start|resume|restart|continue) (?:texting|messaging|"
       r"sending|contacting) (?:me|us)(?: again)?|"
       r"(?:want|like) (?:the |your |my )?(?:\w+ )?(?:texts|messages|alerts|updates|"
       r"notifications) (?:back|again)",
       "permission to resume, said as such ('you can text me again'); 'text me the link "
       "again' is not"),
    _r("consent.stop_by_mistake", CONSENT,
       r"(?:texted|replied|sent|typed|hit|said|pressed|answered)(?: [a-z]+){0,2} "
       r"(?:stop|unsubscribe|cancel)(?: [a-z]+){0,2} (?:by (?:mistake|accident)|"
       r"accidentally|in error|on accident)",
       "a stop disowned as a mistake is a request to be texted again"),
    _r("consent.es", CONSENT,
       r"(?:quiero|queremos|deseo) volver a recibir|(?:quiero|deseo) recibir (?:\w+ )*"
       r"(?:otra vez|de nuevo|nuevamente)|(?:pueden|puede|puedes) (?:volver a )?"
       r"(?:mandarme|enviarme|escribirme|textearme|contactarme)(?: \w+)* (?:otra vez|de nuevo|"
       r"nuevamente)|vuelvan a (?:mandarme|enviarme|escribirme)|suscribanme|suscribeme",
       "Spanish resubscription ('quiero volver a recibir sus mensajes', 'suscríbanme')"),
    _r("consent.fr", CONSENT,
       r"(?:vous pouvez|tu peux|pouvez vous) (?:m |me |nous )?(?:ecrire|envoyer|contacter|"
       r"texter)(?: \w+)* (?:a nouveau|de nouveau|encore)|reabonnez moi|reinscrivez moi",
       "French resubscription ('vous pouvez m'écrire à nouveau')"),
    # QUALIFY: a revocation limited to a time, a frequency, a topic or another channel.
    _r("qualify.time", QUALIFY,
       r"(?:so|too) (?:early|late)|at night|in the (?:morning|evening|afternoon)|"
       r"on <DAY>|during (?:the )?\w+|while (?:im|i am|at)|at (?:work|school|church|dinner)|"
       r"(?:before|after|until|till|til) (?:\d+|<MONTH>|next|noon|midnight|i|we|work|"
       r"tomorrow|the (?:holidays|new year|weekend))|for (?:now|a (?:while|bit|few))|"
       r"at the moment|for the time being",
       "a time limit ('stop texting so early', 'don't text me on Sundays') asks for other "
       "hours, not for no texts: a person decides"),
    _r("qualify.frequency", QUALIFY,
       r"(?:so|too|way too|that|this) (?:many|much|often|frequently)|as (?:many|much|often)|"
       r"(?:less|fewer)(?! than)|every (?:day|single day|hour|morning|week)|\d+ ?x|"
       r"\d+ times|twice a",
       "a frequency complaint ('stop sending so many') asks for fewer: a person decides"),
    _r("qualify.topic", QUALIFY,
       r"about (?:the|my|your|this|that|rates?|promos?|refinanc\w*)|regarding|unless|except|"
       r"(?:rate|promo|promotional|marketing|sales) (?:alerts|texts|messages|offers)|"
       r"(?:promos|promotions|marketing|ads|advertising)",
       "a topic limit ('don't text about the house', 'stop the rate alerts') may leave "
       "other texts wanted: a person decides"),
    _r("qualify.texts_ok", QUALIFY,
       r"(?:texts?|texting|messages?|sms)(?: \w+){0,4} (?:are|is) (?:ok|okay|fine|good|"
       r"welcome|alright|all right)|but keep|keep (?:the|my) \w+ (?:reminders|updates|alerts)|"
       r"(?:only|just) (?:text|message|contact) (?:me|us) (?:about|for|when|if|with)",
       "the contact says some texts are still wanted: a person decides", scope="body"),
    _r("review.other_channel", REVIEW,
       r"(?:stop|quit|dont|do not|never|no) (?:<OTHER_CHANNEL>)(?: (?:me|us))?|"
       r"instead of (?:text|texting|texts|messages|messaging|sms)|"
       r"(?:email|call|mail|phone) (?:me |us )?(?:instead|only)|"
       r"(?:prefer|rather) (?:you )?(?:email|call|phone|a call|calls|emails|mail)|"
       r"(?:only|just) (?:email|call) (?:me|us)|(?:contact|reach) (?:me|us) (?:only )?(?:by|via|"
       r"through) (?:email|e mail|phone|mail|letter)",
       "asking for calls or e-mail instead of texts, or for no calls: whether texts are "
       "revoked is for a person"),
    _r("review.texts_limited", REVIEW,
       r"(?:texts?|texting|messages?|sms)(?: \w+){0,4} (?:are|is) (?:ok|okay|fine|good|"
       r"welcome|alright|all right)|(?:only|just) (?:text|message|contact) (?:me|us) "
       r"(?:about|for|when|if|with|on|at|in|after|before|during|between)|"
       r"(?:not|no) (?:promos|promotions|marketing|ads|advertising|"
       r"offers|sales)|(?:text|message|contact) (?:me|us) (?:[a-z0-9]+ ){0,3}only",
       "some texts still wanted, others not: a partial revocation, a person decides"),
    _r("review.dont_text", REVIEW,
       r"(?:dont|do not|never|please dont)(?: <FILL>)* (?:ever )?(?:text|message|contact|txt|"
       r"msg|sms)(?:ing)?",
       "'don't text' with a limit after it ('about the house right now'): a person decides"),
    _r("qualify.other_channel", QUALIFY,
       r"(?:stop|quit|dont|do not|never|no) (?:<OTHER_CHANNEL>)(?: (?:me|us))?|"
       r"instead of (?:text|texting|texts|messages|messaging|sms)|"
       r"(?:email|call|mail|phone) (?:me |us )?(?:instead|only)|"
       r"(?:prefer|rather) (?:you )?(?:email|call|phone|a call|calls|emails|mail)|"
       r"(?:only|just) (?:email|call) (?:me|us)|newsletter",
       "calls or e-mail are another channel: whether texts are revoked too is for a person"),
    # REVIEW: may revoke, or refuses, defers or is lost: a person decides.
    _r("review.not_interested", REVIEW,
       r"(?:not|no longer|never|nt|no) (?:really |very |that |too |at all |even )?"
       r"interested|uninterested|no interest|not for me|no me interesa|no (?:estoy|estamos) "
       r"interesad\w+|(?:pas|plus) interess\w*",
       "a refusal without a stop request: the FCC's reasonable-person test may read it as "
       "one; a person decides"),
    _r("review.decline", REVIEW,
       r"^(?:(?:no|nah|nope|naw|non|no thanks|no thank you|no gracias|non merci|pass|"
       r"ill pass|i will pass|i pass|im good|were good|im ok|im okay|im all set|all set|"
       r"no way|hard pass|no no|not for me|im fine|were fine|no estoy)(?: <FILL>)*(?: |$))+$",
       "a text that only says no ('No', 'I'll pass', 'No gracias'): answer or revocation, a "
       "person decides", scope="body"),
    _r("review.defer", REVIEW,
       r"not (?:right )?now|not at (?:this|the) (?:time|moment)|not (?:today|this (?:year|month))|"
       r"(?:maybe|perhaps|possibly) (?:later|another time|next (?:year|month|time|week)|"
       r"in the future|down the road)|^later$|"
       r"(?:ill|i will|we will|well|i ll) (?:reach out|let you know|get back to you|"
       r"be in touch|get in touch|contact you)|(?:check|circle|touch) back (?:later|in|next)|"
       r"hold off|(?:pause|hold) (?:the |my |all |your )?(?:<MSG_NOUN>|texting|messages)|"
       r"no (?:por ahora|por el momento|ahorita|ahora)|ahorita no|ahora no|"
       r"(?:por|en) (?:el|este) momento|(?:luego|despues|mas tarde) (?:les|te|le|los) "
       r"(?:aviso|llamo|escribo|contacto|digo)|pas (?:maintenant|pour (?:l|le) (?:instant|"
       r"moment)|cette annee)|pour (?:l|le) (?:instant|moment)|plus tard",
       "a deferral ('not right now', 'ahorita no'): a person decides whether to keep texting"),
    _r("review.lost_lead", REVIEW,
       r"already (?:refinanced|refied|refid|refinance|closed|bought|purchased|have (?:a|an|my) "
       r"(?:loan|lender|mortgage)|got (?:a|an) (?:loan|lender|mortgage)|went with|"
       r"found (?:a|another)|working with)|(?:found|chose|picked|went with|going with|using|"
       r"got|closed with|signed with) (?:another|a different|other|a new|an other|different) "
       r"(?:lender|bank|broker|company|loan officer|lo|credit union|mortgage)|"
       r"(?:another|a different) lender|(?:we|i|weve|ive|just) (?:already |just )?(?:refinanced|"
       r"refied|refid)|"
       r"went with (?!(?:the|a|an|your|you|u|that|this|it)\b)[a-z]+(?: (?:bank|lending|"
       r"mortgage|loans?|home loans|financial|credit union))?$|not (?:refinancing|buying|selling|"
       r"borrowing|moving forward|going forward|proceeding)|"
       r"sold (?:the|my|our) (?:house|home|property|place|condo)|"
       r"(?:dont|do not|no longer) need (?:a |the |any |to )?(?:refi|refinance|refinancing|"
       r"loan|mortgage|heloc|your (?:help|services))|not (?:looking|planning|trying|going) "
       r"to (?:refinance|refi|buy|sell|move|borrow|apply)|rates? (?:are|is) (?:still |way )?"
       r"too high|(?:ya|already) refinanci\w*|ya (?:tengo|tenemos) (?:un |una |mi )?"
       r"(?:prestamo|credito|hipoteca|lender|banco)|(?:otro|otra) (?:banco|prestamista|"
       r"compania|lender)|(?:vendi|vendimos) (?:la|mi|nuestra) casa|deja (?:refinance|vendu)|"
       r"(?:autre|un autre) (?:banque|preteur|courtier)",
       "a lost lead ('already refinanced', 'found another lender'): the sender should ask "
       "whether texts are still wanted; a person decides"),
    _r("review.not_the_person", REVIEW,
       r"(?:im|i am|this is|were|we are) not the (?:homeowner|borrower|owner|applicant|buyer|"
       r"person|account holder)|(?:my|the) <PERSON> (?:is|was)$|"
       r"(?:work|business|office) (?:phone|number|cell|line)|use my (?:cell|other|personal|"
       r"home|mobile|new)|(?:passed away|died|deceased|is dead|no longer with us)|"
       r"(?:ya )?no vivo (?:en|ahi|alli)|(?:moved|no longer live|dont live|do not live|"
       r"not living) (?:there|here|at|in|away|out)|"
       r"(?:we|i) (?:have )?moved(?: (?:out|away|to \w+))?$|"
       r"(?:remove|delete|take|drop) (?:my|his|her|their|the) <PERSON> (?:number|phone|cell|"
       r"info|name)|(?:remove|delete|take) (?:me|my number|this number) (?:off|from|out of)",
       "the texts may reach the wrong person (not the borrower, a work phone, someone who "
       "died or moved): a person decides"),
    _r("review.frequency", REVIEW,
       r"(?:too|so|way too) many (?:<MSG_NOUN>)|(?:<MSG_NOUN>|texting (?:me )?)(?: \w+){0,4} "
       r"(?:is|are|its) (?:a (?:bit|little|lot) )?(?:much|too much|excessive|a lot)|"
       r"<ORDINAL> (?:<MSG_NOUN>)|<COUNT> more (?:times|<MSG_NOUN>)|"
       r"(?:you|u|yall|they) keep (?:texting|messaging|sending|contacting)|"
       r"demasiados (?:mensajes|textos)|"
       r"tantos (?:mensajes|textos)|trop de (?:messages|sms|textos)|"
       r"(?:text|message|contact|txt|msg)\w* (?:me |us )?(?:every|each|all) (?:day|single day|"
       r"hour|morning|week|night|the time)",
       "a complaint about how many texts arrive: may mean stop; a person decides"),
    _r("review.annoyed", REVIEW,
       r"why (?:do|are|does|did|would|is|the hell|tf) (?:you|u|yall|this|they|y all)"
       r"(?: \w+)? (?:keep|still|continue|text|message|contact|keep on|texting|messaging|"
       r"sending)|how did (?:you|u) get (?:my|this) (?:number|info|phone)|(?:who|where) "
       r"(?:gave|did you get|sold) (?:you )?(?:my|this) (?:number|info)|annoyedface|"
       r"(?:were|we are|im|i am) (?:so )?done(?: here| with (?:this|you|it|talking))?$|"
       r"scam|scammers?|(?:cancel|end|cancelar|annuler) (?:it|that|this|everything|all)$",
       "annoyance, sarcasm or a consent challenge ('how did you get my number?'): a person "
       "decides"),
    _r("review.opens_with_stop_word", REVIEW,
       r"^(?:stop|stopall|unsubscribe|cancel|end|quit|revoke|opt out|optout|remove|alto|arret)",
       f"{FCC_KEYWORDS}: a clause that opens with one of them, its object unexplained ('Cancel "
       "everything?', 'End.'): a person decides"),
    _r("review.stop_word", REVIEW,
       r"stop|unsubscribe|unsubscribed|opt out|optout|revoke|revoking|remove me|stopall",
       f"{FCC_KEYWORDS}: a stop word left unexplained by every other rule; a person decides"),
)
# fmt: on

# HELP: read on the text's first clause only ("Help - how do I contact you", "INFO??").
HELP_RULES: tuple[Rule, ...] = (
    _r(
        "help.first_clause",
        HELP,
        r"^(?:<FILL> )*(?:help|info|ayuda|aide|information|informacion)(?: <FILL>)*$|"
        r"^(?:help|info|ayuda|aide)(?: <FILL>)* (?:what|who|whos|whats|how|why|which|where|is|"
        r"are|que|quien|como|qui|quoi|comment)",
        "CTIA 5.1.3 and carriers: HELP, INFO (and Spanish AYUDA, French AIDE) ask who is "
        "texting and how to stop; also when a question follows",
    ),
)

# Decisions made before the table: the provider's own reading, and the keyword lists of
# optouts/messaging/keywords.py.
KEYWORD_SOURCES = {
    "provider.opt_out_type": "the provider classified the message (Twilio Advanced Opt-Out's "
    "OptOutType)",
    "keyword.stop": f"{FCC_KEYWORDS}; CTIA 5.1.3 and carriers (STOP ALL, REMOVE); Spanish ALTO, "
    "French ARRET (CWTA/CRTC)",
    "keyword.leading_stop": f"{FCC_KEYWORDS}: a text that begins with an unambiguous stop word",
    "keyword.start": "CTIA 5.1.3 and carriers: START and UNSTOP resubscribe",
    "keyword.help": "CTIA 5.1.3 and carriers: HELP and INFO; Spanish AYUDA, French AIDE",
    "ordinary.echo_question": "a stop word asked back as a question and answered no "
    "('Unsubscribe?? No way, keep them coming') is the opposite of a stop",
}

RULES_BY_ID = {rule.id: rule for rule in (*RULES, *HELP_RULES)}
assert len(RULES_BY_ID) == len(RULES) + len(HELP_RULES), "rule ids must be unique"
