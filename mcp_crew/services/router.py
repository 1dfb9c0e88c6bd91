"""Request routing: which crew, tool, business intent or knowledge answers a
message — decided without an LLM, ranked and explained.

The router reads the message the way a search engine reads a query: language
(Portuguese or English), content words folded and stemmed in that language,
entities (e-mails, quantities, record references, quoted names). It scores
every target the adapter describes — crews (description, routing keywords,
example requests), MCP tools (name and description), fixed business intents
(patterns) — with three signals:

* ``bm25``: Okapi BM25 of the message against the target's text, with the
  inverse document frequencies of this set of targets, so words every target
  uses count for little;
* ``keywords``: share of the target's routing keywords (stemmed phrases)
  found in the message;
* ``examples``: best word overlap with one of the target's example requests.

Explicit tool commands (``/tool server.name {"arg": 1}``) and intents whose
pattern matches win outright. A knowledge answer wins when the adapter's
knowledge search found a strong match for a question *about the same things*:
the item must cover the request's key terms and every code in it (``M8``,
``BH-200``), and a request that asks for work (compare, calculate, change…)
goes to a crew when an LLM can run one. Crews need an LLM: with none
configured the decision says so (``llm_required``) and names the crew that
would have answered.

With an LLM, no request is refused. The general-purpose (fallback) crew takes
what is its work whatever specialist words a request holds: a question about a
concept ("o que é ICMS-ST?"), a text to write that no crew claims clearly, and
one request for the work of two crews ("pesquisa o preço ... e já cria o
orçamento"), which no specialist has every tool for. When the words do not claim a
request clearly, a semantic step decides: what the crews' example requests say
of the request's words, weighed together (:mod:`.example_evidence`: each
shipped crew lists some 150 real requests), averaged with the opinion of the
adapter's optional ``semantic`` callable (the knowledge base's embeddings of
each crew's description and example requests, asked then too; or the crews'
own LLM classifying the request, asked only when the words are unsure: see
:data:`ASKED_WHEN_UNSURE`). Both are recorded in the candidates' signals
(``evidence``, ``semantic``). A specialist is chosen only when clearly likelier
than the fallback crew (a general-purpose crew flagged ``fallback``), which
takes the rest.

MCP tools are described in English whatever their users speak: a small glossary
of ERP words (:data:`GLOSSARY`) lets a Portuguese request name a tool, and a
knowledge item in one language cover a question in the other.

Every decision carries the ranked candidates and the signals behind each score.
"""

import collections
import dataclasses
import functools
import heapq
import json
import math
import re

import snowballstemmer

from . import errors, example_evidence, text
from .router_words import GLOSSARY, ITEM_FACTS, PRODUCT_KINDS, TIME_UNIT

_STEMMERS = {
    "pt": snowballstemmer.stemmer("portuguese"),
    "en": snowballstemmer.stemmer("english"),
}
# Words that carry no routing signal in a request, beyond the usual stop words,
# with the informal spellings of chat ("vc", "pra", "tá": "você", "para", "está").
# "vendo" is "seeing" in chat ("tô vendo o CFW500"), not "I sell": its stem must
# not read as the sales reports' "vendas".
_REQUEST_FILLER = frozenset(
    (
        "por favor favor quero queria preciso gostaria pode poderia podes posso podemos vendo "
        "consegue consigo me mim voce voces vc vcs eu nos nosso nossa meu minha fazer faz "
        "faca tem ter sobre isso esse essa foram sera seria estava ta pra pras pro pros "
        "pq oq tb tbm ate mesmo mesma gente ja ai hj "
        "please want need would like could can you your i me my we our us do does did "
        "make tell show give get let lets just also some any all he him his she her they "
        "them their without much many very whats got something anything someone sem "
        "usually normally typically geralmente normalmente usualmente roughly approximately "
        "aproximadamente menos ou "
        "don doesn didn isn aren wasn weren won wouldn couldn shouldn haven hasn"
    ).split()
)
_STOPWORDS = frozenset().union(*text.STOPWORDS.values()) | _REQUEST_FILLER
# How chat abbreviates words that the router's patterns (intents, questions,
# asks joined in one request) spell out; only abbreviations no word shares.
_CHAT_SPELLINGS = {
    "q": "que",
    "oq": "o que",
    "pq": "porque",
    "tb": "também",
    "tbm": "também",
    "vc": "você",
    "vcs": "vocês",
    "qto": "quanto",
    "qnto": "quanto",
    "qta": "quanta",
    "qts": "quantos",
    "qnts": "quantos",
    "qtos": "quantos",
    "qdo": "quando",
    "qnd": "quando",
    "hj": "hoje",
    "msm": "mesmo",
    "td": "tudo",
    "tds": "todos",
    "mto": "muito",
    "dps": "depois",
    "agr": "agora",
    "cmg": "comigo",
    "pfv": "por favor",
    "pfvr": "por favor",
    "pagto": "pagamento",
    "qtd": "quantidade",
    "qtde": "quantidade",
    "obg": "obrigado",
    "vlw": "valeu",
    "c/": "com",
    "p/": "para",
    "u": "you",
    "ur": "your",
    "pls": "please",
    "plz": "please",
    "thx": "thanks",
    "w/": "with",
}
_CHAT_ABBREVIATION = re.compile(
    r"(?<![\w/.-])(?:%s)(?![\w/.-])"
    % "|".join(re.escape(word) for word in sorted(_CHAT_SPELLINGS, key=len, reverse=True)),
    re.I,
)

# "send it back": one verb, "return" (the word of return policies and crews).
_SENT_BACK = re.compile(
    r"\bsend(?:ing)?\s+(?P<what>(?:(?:it|them|something|stuff|(?:the\s+|their\s+)?\w+)\s+)?)back\b",
    re.I,
)

_TOOL_COMMAND = re.compile(r"^\s*/(?:tool|ferramenta)\s+(?P<name>[\w.:-]+)(?P<args>.*)$", re.S)
_KEY_VALUE = re.compile(r"(\w+)=(\"[^\"]*\"|'[^']*'|\S+)")
_QUESTION_START = re.compile(
    r"^\s*(qual|quais|quanto|quantos|quantas|quando|onde|como|por que|porque|o que|"
    r"existe|tem|what|which|how|when|where|why|who|is|are|does|do|can)\b",
    re.I,
)
# A question asked at its end, as people chat ("garantia da parafusadeira é quanto
# tempo", "o frete pra MG fica quanto"), with no question mark.
_TRAILING_QUESTION = re.compile(
    r"\b(?:é|e|eh|s[ãa]o|fica|ficam|d[áa]|tem)\s+(?:de\s+)?(?:quanto|quanta|quantos|quantas|qual|"
    r"quais|quando|onde)\b[^.!?]*$",
    re.I,
)
# A question passed on ("cliente quer saber até quantos graus aguenta…", "customer
# is asking whether…"): a question, about what follows the frame.
_REPORTED_QUESTION = re.compile(
    r"^\W*(?:(?:o|a|um|uma|meu|nosso|the|our|an?)\s+)?(?:[\w-]+\s+)?(?:cliente|customer|client)\s+"
    # Where the customer is, in a word or two: "cliente de Sorocaba perguntou…", "A
    # customer in Manaus is asking…".
    r"(?:(?:de|do|da|in|from)\s+[^\W\d_][\w-]*(?:\s+[^\W\d_][\w-]*)?\s+)?"
    r"(?:quer|queria|t[áa]\s+perguntando|est[áa]\s+perguntando|perguntou|pergunta|"
    r"wants\s+to\s+know|is\s+asking|asks|asked)\s+(?:saber\s+)?(?:se\s+|if\s+|whether\s+)?"
    # or after it: "… mais ou menos, o cliente tá perguntando".
    r"|\W+(?:(?:o|a|the|our)\s+)?(?:cliente|customer|client)\s+(?:t[áa]\s+perguntando|"
    r"est[áa]\s+perguntando|perguntou|is\s+asking|asked)\W*$",
    re.I,
)
# A question about how long someone has to do something ("quantos dias o cliente tem
# pra devolver?", "how many days does a customer have to send it back?") asks for a
# rule, which a policy states, whatever crew's words it is told in.
_TIME_ALLOWED = (
    r"(?:at[ée]\s+)?(?:quantos|quanto)\s+(?:dias|tempo|meses|horas)|qual\s+[oé]\s+prazo|"
    r"how\s+(?:many\s+days|long|much\s+time)"
)
_RULE_QUESTION = re.compile(
    r"\b(?:" + _TIME_ALLOWED + r")\s+(?:\w+\s+){0,4}?(?:tem|t[êe]m|temos|tenho|have|has|pode|podem|"
    r"can)\s+\w+"
    r"|\b(?:tem|t[êe]m|have|has)\s+(?:" + _TIME_ALLOWED + r")\s+(?:pra|para|de|to)\b"
    # How long something takes ("leva quantos dias pra chegar no Nordeste?", "how
    # long does it take to reach Manaus?"): a lead time a policy states.
    r"|\b(?:leva|levam|demora|demoram)\s+(?:" + _TIME_ALLOWED + r")\b"
    r"|\b(?:" + _TIME_ALLOWED + r")\s+(?:leva|levam|demora|demoram)\b"
    r"|\bhow\s+long\s+(?:does|do|will)\b.{0,60}?\btake\b",
    re.I,
)
# A question about a past period asks for data, which no item states ("qual foi o
# frete médio no último trimestre?"): a crew's work.
_PAST_PERIOD = re.compile(
    r"\b(?:(?:[úu]ltim[oa]s?|passad[oa]|last|previous)\s+(?:\d+\s+)?(?:trimestres?|m[eê]s(?:es)?|"
    r"anos?|semestres?|semanas?|quarters?|months?|years?|semesters?|weeks?)|"
    r"(?:trimestre|m[eê]s|ano|semestre|semana)\s+passad[oa]|qual\s+foi|quais\s+foram|what\s+was|"
    r"what\s+were)\b",
    re.I,
)
# Verbs that ask for work to be done (not only for a fact): a crew's job when an
# LLM is there, even if the knowledge base knows something about the subject.
_WORK_VERB = (
    r"(compar\w*|calcul\w*|analis\w*|analy[sz]\w*|simul\w*|estim\w*|"
    r"converta|converter|convert|mude|mudar|change|altere|alterar|atualiz\w*|update|"
    r"crie|cria|criar|create|cadastr\w*|register|registr\w*|agend\w*|schedule|"
    r"gere|gerar|generate|envie|enviar|send|cancel\w*|"
    r"abr[ae]|abrir|open|process[ae]|processar|process|"
    r"recomend\w*|recommend\w*|sugir\w*|suggest\w*|prepar\w*|escrev\w*|write|"
    r"redij\w*|draft|planej\w*|plan|resum\w*|summari[sz]e|show|list|mostr\w*|list[ea])\b"
)
# Asked of the assistant: the verb opens a sentence, perhaps after courtesy ("Compare
# os preços.", "can you compare...?", "pode criar..."). Inside a question it is a
# fact being asked ("Which documents must a new supplier send us?").
_WORK_REQUEST = re.compile(
    r"(?:^|[.!?;:\n]|\b(?:and|e)\b)\s*"
    r"(?:(?:please|pls|por favor|pfv|now|then|agora|ent[ãa]o|j[áa]|can|could|would|will|you|vc|"
    r"voce|você|pode|poderia|consegue|me|mim|pra|para|i need you to|preciso que|quero que)"
    r"\s+)*" + _WORK_VERB,
    re.I,
)
# A question about what a concept is or means, or how something works in general
# ("o que é ICMS-ST?", "what's the difference between a lead and an opportunity?",
# "me explica como funciona o drawback"): the general-purpose crew's explanation,
# even when a specialist's words appear in it. Not when it names a code (M8,
# SO0452, BH-200): "what's the difference between the 6205 and the 6206?" is research.
_CONCEPT_QUESTION = re.compile(
    r"\b(?:o\s+que\s+(?:é|e|são|sao|significa|quer\s+dizer)|"
    r"qual\s+(?:é\s+|e\s+)?a\s+diferen[çc]a\s+entre|"
    # "markup e margem, qual a diferença?": the things named before it.
    r"qual\s+(?:é\s+|e\s+)?a\s+diferen[çc]a(?=\s*(?:\?|$|mesmo\b))|"
    r"what(?:'?s|\s+is)\s+the\s+difference(?=\s*(?:\?|$))|"
    # "what's the practical difference between…", "I'd like to understand the
    # difference between a credit note and a refund".
    r"what(?:'?s|\s+is)\s+the\s+(?:main\s+|practical\s+|real\s+)difference\s+between|"
    r"(?:understand|entender)\s+(?:the\s+|a\s+)?(?:difference|diferen[çc]a)\s+(?:between|entre)|"
    # "how do I explain 'lead time' to a customer?": what it is, in other words.
    r"how\s+(?:do|can|should)\s+i\s+explain|como\s+(?:eu\s+)?(?:explico|explicar)|"
    r"explica\w*\s+(?:pra\s+mim\s+)?(?:a\s+diferen[çc]a|o\s+que\s+[ée])|"
    r"explain\s+(?:to\s+me\s+)?(?:in\s+(?:a\s+few|\w+)\s+(?:lines|words)\s+)?the\s+difference|"
    # How to do something in the software: "how I export a list to Excel in Odoo?".
    r"(?:how\s+(?:do\s+|can\s+)?i|como\s+(?:eu\s+)?(?:fa[çc]o|consigo|posso))\s+\w+"
    r"(?=.{0,60}\b(?:in|on|no|na|pelo)\s+(?:the\s+|o\s+)?(?:odoo|system|sistema|erp)\b)|"
    r"como\s+funcionam?|^\W*(?:the\s+|a\s+)?(?:difference\s+between|diferen[çc]a\s+entre)|"
    r"what(?:'?s|\s+is)\s+(?:an?|the\s+difference\s+between)|what\s+are\s+(?!the\b)|"
    # An acronym asked about: "What exactly is DIFAL on ICMS?".
    r"what(?:'?s|\s+is|\s+exactly\s+is)\s+(?-i:[A-Z]{2,})(?=\s*(?:\?|$|on\b|in\b))|"
    r"what\s+does\s+.{1,40}?\s+mean|how\s+does\s+.{1,40}?\s+work|explain\s+(?:what|how)|"
    # How a kind of thing does something: "how does a VFD save energy?".
    r"how\s+does\s+an?\s+\w+|como\s+(?:é\s+que\s+)?(?:um|uma)\s+\w+\s+\w+)\b",
    re.I,
)
# What a designation means is a concept question even though it looks like a
# code ("what does IP55 mean?", "o que significa 2RS?").
_MEANING_QUESTION = re.compile(
    r"\b(?:what\s+does\s+.{1,40}?\s+mean|o\s+que\s+(?:significa|quer\s+dizer)|"
    r"what\s+is\s+the\s+meaning\s+of|significado\s+d[eoa]s?)\b",
    re.I,
)
# A measure to convert between units ("3/4 de polegada dá quantos mm?", "convert
# 1 3/16 inch to mm"): arithmetic, not a product's data (money is the tools').
_UNITS = (
    r"(?:mm|cm|metros?|m|polegadas?|pol|inch(?:es)?|in|p[ée]s?|feet|ft|kg|lbs?|libras?|psi|bar|"
    r"°?[cf])"
)
_UNIT_CONVERSION = re.compile(
    r"\b(?:convert\w*|convers[ãa]o)\b.{0,40}?\d.{0,20}?\b%(units)s\b.{0,20}?"
    r"\b(?:pra|para|em|to|into|in)\s+%(units)s\b"
    r"|\d\s*(?:de\s+)?%(units)s\s+(?:d[áa]|s[ãa]o|is|are|equals?|=)\s+"
    r"(?:quantos|quantas|how\s+many)\s+%(units)s\b"
    r"|\b(?:quantos|quantas|how\s+many)\s+%(units)s\s+(?:tem|t[êe]m|s[ãa]o|d[áa]|is|are|in)\s+"
    r"(?:a\s+|an\s+|um\s+|uma\s+)?[\d/.,\s]*%(units)s\b" % {"units": _UNITS},
    re.I,
)
# A sum to work out ("calcula 12% de 8.450", "what's 18% of 12,500?", "450 + 40"):
# arithmetic, unless it names a record ("10% de desconto no S01234" is the order's).
# Not "x": it gives sizes ("retentor 40x62x8").
_ARITHMETIC = re.compile(
    r"\d[\d.,]*\s*%\s*(?:de|of|off|sobre)\s+(?:R\$|US\$|\$|€)?\s*\d|\b\d[\d.,]*\s*[+*]\s*\d|"
    r"\d[\d.,]*\s+(?:minus|plus|menos)\s+(?:an?\s+|um\s+|uma\s+)?(?:R\$|US\$|\$|€)?\s*\d|"
    # "quanto dá 48 caixas de 25 cada mais 130?"
    r"\bquanto\s+d[áa]\s+\d",
    re.I,
)
# A request that opens by asking for a translation: the text after it is what to
# translate, not what the request is about ("traduz pro inglês: Prezado fornecedor…").
_TRANSLATION = re.compile(
    r"^\W*(?:(?:pode|poderia|can\s+you|could\s+you|please|pls|por\s+favor)\s+)?(?:me\s+)?"
    r"(?:traduz\w*|translate)\b"
    # Or how to say something in a language: "how do I say 'lead time' in Portuguese?".
    r"|\b(?:how\s+(?:do\s+i|to|would\s+you|should\s+i)\s+say|como\s+(?:eu\s+)?(?:digo|falo|escrevo))"
    r"\b.{0,80}?\b(?:in|em)\s+(?:portuguese|english|spanish|portugu[êe]s|ingl[êe]s|espanhol)\b",
    re.I,
)
# A question about the assistant itself ("quem é vc?", "what can you do for me?"):
# small talk, whatever it goes on to name.
_ABOUT_THE_ASSISTANT = re.compile(
    r"\b(?:quem\s+(?:é|e)\s+(?:vc|voc[êe])|who\s+are\s+you|"
    # What it can do, said of nothing else: "what can you do for a late order?" is work.
    r"what\s+can\s+you\s+do(?:\s+for\s+me)?|"
    r"o\s+que\s+(?:vc|voc[êe])\s+(?:consegue|pode|sabe)\s+fazer(?:\s+por\s+mim|\s+pra\s+mim)?)"
    r"\s*(?:[?!.]|$)",
    re.I,
)
# A text the request gives to be summarised or rewritten ("Summarize this email from
# the customer: '…'"): the text is not what the request is about.
_TEXT_GIVEN = re.compile(
    r"^\W*(?:(?:pode|poderia|can\s+you|could\s+you|please|pls|por\s+favor)\s+)?(?:me\s+)?"
    r"(?:summari[sz]e|resum\w*|rewrite|reescrev\w*)\s+(?:this|these|the\s+following|ess[ea]s?|"
    r"est[ea]s?|o\s+seguinte|a\s+seguinte)\s+(?:e-?mail|message|text|note|mensagem|texto|"
    r"recado|nota)",
    re.I,
)
# Thanks for an answer ("thanks a lot, that report saved my afternoon"): small
# talk, whatever subject it names, unless it goes on to ask something.
_THANKS = re.compile(
    r"^\W*(?:thanks|thank\s+you|thx|ty|obrigad[oa]|valeu|vlw|brigad\w*|agrade[çc]o)\b", re.I
)
# A text to be written (an e-mail, a message, a letter): the general-purpose crew
# writes it unless a specialist's words claim it clearly ("write a reply to the
# customer complaining about the leaking hoses" is customer service's).
_WRITING_REQUEST = re.compile(
    r"\b(?:escrev\w*|redij\w*|redigir|redija|modelo\s+de|rascunho|write|draft|template)\b"
    r".{0,60}?\b(?:e-?mail|mensagem|message|texto|text|carta|letter|comunicado|aviso|"
    r"notice|announcement|post)\b"
    # A translation is a text to write too.
    r"|\b(?:translate|traduz\w*|tradu[çc][ãa]o)\b",
    re.I,
)
# Who a text is for is not what it is about: "um email pro time de vendas lembrando
# da convenção" is no sales analysis.
_TEXT_RECIPIENT = re.compile(
    r"\b(?:pro|pra|para\s+[oa]s?|ao|aos|à|às|to|for|with)\s+(?:the\s+|our\s+|my\s+|nosso\s+|nossa\s+)?"
    r"(?:time|equipe|pessoal|setor|departamento|[áa]rea|team|staff|department|folks|guys)"
    r"(?:\s+(?:de|do|da|of)\s+|\s+)\w+",
    re.I,
)
# How a request's parts name an ask for a tool: this and its name.
_TOOL_ASK = "tool "
# The last plain "and" of a request, where it may join a tool's ask to a crew's.
_PLAIN_AND = re.compile(r"\s+(?:e|and)\s+(?!.*\s(?:e|and)\s)", re.I | re.S)
# How a request's parts name an ask for a text that no specialist claims.
_TEXT_TO_WRITE = "a text to write"
# Where one request joins a second ask to the first: "... and also ...", "... and
# then ...", "... e já cria ...", "... e me diz ...". Only these: a plain "and" or a
# second sentence more often says more about the same ask ("battery and chuck
# size", "Subiu muito esse ano?"). Each part is then routed on its own.
_CLAUSE_BREAK = re.compile(
    r",?\s+\b(?:and\s+(?:also|then)|e\s+(?:também|tambem|já|ja|depois|ainda|me))\s+"
    # "..., then create a lead", "..., depois cadastra".
    r"|,\s+(?:then|depois)\s+"
    # A plain "and" before a verb that asks for work starts an ask of its own
    # ("vê quais clientes pararam de comprar e cadastra uma oportunidade"); before
    # anything else it joins words of one ask ("compare X and Y").
    r"|,?\s+\b(?:and|e)\s+(?=" + _WORK_VERB + ")",
    re.I,
)
# A list of asks ends with ", and …" / ", e …": "what did they buy last quarter, do they
# have any open complaints, and book a follow-up". Its items are split at commas
# (a list's commas only: elsewhere a comma more often adds to the same ask).
_LIST_END = re.compile(r",[^,]+,\s+(?:and|e)\s+\w", re.I)
# A list is read in a request of one sentence: in a longer text, commas and "and"
# tell a story more often than they list asks.
_INNER_SENTENCE_END = re.compile(r"[.!?]\s")
_LIST_ITEM_BREAK = re.compile(r"[,:;]\s+(?:(?:and|e)\s+)?", re.I)
# An item of fewer content words is a detail of the one before it ("full specs of
# the contactor: AC-3 rating, aux contacts, and …"), not an ask.
_MIN_LIST_ITEM_TERMS = 3
# How many words (greetings, "please", "você pode") may come before the ask's verb.
_OPENING_REACH = 3
# Where a sentence ends, or a dash sets a question apart from its story.
_SENTENCE_BREAK = re.compile(r"[.!?;:](?:\s+|$)|\s[—–-]\s")
# Where a request's opening clause ends.
_CLAUSE_END = re.compile(r"[,;:.!?](?:\s|$)")
# What opens a clause that adds to the one before it.
_GOES_ON = re.compile(r"\s*(?:and|e|or|ou)\b", re.I)
# A part with fewer content words than this is no ask of its own ("... and then me").
_MIN_CLAUSE_TERMS = 2
# Cognate stems of the other language ("support"/"suporte", "salesperson"/
# "salespeople") are the same subject: this long a shared start, or one letter apart.
_COGNATE_PREFIX = 6
_MIN_COGNATE_LENGTH = 5
# Words of one language only that short requests are made of ("Quanto é 2 + 40?",
# "Confirme o pedido S00101", "Thanks a lot!"), beyond the function words:
# greetings, courtesy, question words and the nouns of everyday requests.
_REQUEST_MARKERS = {
    "pt": frozenset(
        (
            "ola oi obrigado obrigada valeu bom boa dia tarde noite tudo bem voce vc "
            "pfv quanto quanta quantos quantas cade pedido pedidos cliente clientes "
            "fornecedor fornecedores preco precos vendas fatura nota estoque entrega "
            "ajuda ajude preciso quero mostre liste confirme crie cancele faca"
        ).split()
    ),
    "en": frozenset(
        (
            "hi hello hey thanks thank please you your my order orders customer customers "
            "supplier suppliers price prices sales invoice stock delivery help need want "
            "show list confirm create cancel"
        ).split()
    ),
}
# Words shorter than this are never corrected as typos.
_MIN_CORRECTED_LENGTH = 6
# "e-mail" is one word, as "email" is: an item giving the "E-mail:" answers "qual o email".
_E_MAIL = re.compile(r"\be-mail", re.I)
# A model number and a short suffix of a digit and letters after it ("6205 2rs").
_SPACED_SUFFIX = re.compile(r"\b(\d{3,})\s+(\d[a-z]{1,3}|[a-z]{1,2}\d)\b")
# Tokens with a digit (M8, BH-200, 10mm): they name the thing asked about.
# Decimals belong to the code: "7.5cv" is not the "5cv" of another motor.
_CODE = re.compile(r"\b(?=[\w.,-]*\d)(?:[\w-]|(?<=\d)[.,](?=\d)){2,}\b")
# What follows "which tools" when they are someone's to use, not goods on sale.
_WHOSE_TOOLS = (
    r"(?=\s*(?:[/?]|$|(?:voc[êe]|tem|t[êe]m|h[áa]|existem|dispon\w*|are|can|could|do|does|is|"
    r"i|eu|you|posso|consigo|est[ãa]o|que|the\s+assistant|o\s+assistente|exposed|available)\b))"
)
# The fixed business intents every company has, answered without an LLM
# (``(name, description, patterns)``); adapters add their own.
BUILTIN_INTENTS = (
    (
        "list_tools",
        "List the MCP tools available. Listar as ferramentas disponíveis.",
        (
            # An assistant's tools are its "functions" too.
            # Followed by who has them: the company sells tools too ("quais
            # ferramentas Bosch a gente mais vendeu?" is not about the assistant's).
            # "quais ferramentas e integrações você…": the kinds may be listed.
            r"^\s*(quais|que)\s+(s[ãa]o\s+as\s+)?(ferramentas|fun[çc][õo]es)"
            r"(\s+(e|ou)\s+(ferramentas|fun[çc][õo]es|integra[çc][õo]es))?" + _WHOSE_TOOLS,
            # A Spanish-speaking partner: "¿qué herramientas tenés conectadas?".
            r"\bqu[ée]\s+(herramientas|funciones)(\s+(y|o)\s+(herramientas|funciones|"
            r"integraciones))?\s+(ten[ée]s|tienes|tiene|hay|est[áa]n|pod[ée]s|puedes)\b",
            r"^\s*(which|what)\s+(\w+\s+(or|and)\s+|mcp\s+)?(tools|functions)"
            r"(\s+(or|and)\s+(tools|functions|integrations))?" + _WHOSE_TOOLS,
            r"^\s*(me\s+)?(list|lista|listar|liste|mostre|mostra|show)\s+(me\s+)?"
            r"(the\s+list\s+of\s+|a\s+lista\s+d[aeo]s?\s+)?"
            r"(the\s+|as\s+|your\s+|ur\s+|suas\s+|tuas\s+)?"
            r"(tools|functions|integrations|ferramentas|fun[çc][õo]es|integra[çc][õo]es)\b",
            # What the assistant reaches: "o que vc consegue acessar?", "what do you
            # have access to?", "tem integração com o quê?".
            r"\b(what|o\s+que|que)\s+(can\s+you|do\s+you\s+have|(vc|voc[êe])\s+"
            r"(consegue|pode|tem))\s+(access|acessar|acesso|call|chamar)\b",
            r"\b(tem|have|has)\s+(alguma\s+|any\s+)?integra(tions?|[çc][ãa]o|[çc][õo]es)\b",
            r"\b(which|what|quais|que)\s+integra(tions|[çc][õo]es)\b",
            r"\b(ferramentas?|fun[çc][õo]es)\s+(dispon[íi]ve(is|l)|que\s+(voc[êe]|vc|tenho|temos))\b",
            r"\b(acesso|access)\s+(a|to)\s+(quais|which|what)\s+(ferramentas|tools|functions|"
            r"fun[çc][õo]es)\b",
            r"\b(tools|functions)\s+(are\s+)?available\b",
            # Asked mid-sentence: "which tools are connected to this assistant?",
            # "você acessa quais funções?", "quais funções tem aí pra você chamar".
            r"\b(tools|functions|integrations|ferramentas|fun[çc][õo]es|integra[çc][õo]es)\s+"
            r"(are\s+|est[ãa]o\s+)?(connected|conectad[ao]s)\b",
            r"\b(voc[êe]|you)\s+(\w+\s+){0,2}(quais|que|which|what)\s+(outr[oa]s\s+|other\s+)?"
            r"(ferramentas|fun[çc][õo]es|tools|functions|sistemas|systems|integra\w+)\b",
            r"\b(ferramentas?|fun[çc][õo]es)\b.{0,30}\b(pra|para)\s+(voc[êe]|te)\s+"
            r"(chamar|usar|executar|acessar)\b",
        ),
    ),
    (
        "server_status",
        "State of the MCP servers. Estado dos servidores MCP.",
        (
            r"\b(status|estado|situa[çc][ãa]o)\s+(dos|dos\s+nossos|of\s+the|of)\s+"
            r"(servidores|servers)\b",
            r"^\s*(are\s+the\s+servers|os\s+servidores\s+est[ãa]o)\b",
            r"^\W*(status|estado)\s+(d[oa]s?\s+)?(mcp|servidores|servers)\W*$",
            r"\b(check|checa|ver|v[êe])\s+(the\s+|o\s+)?(mcp|servers?)\s+(status|health)\b",
            # What comes first: "tá tudo no ar com os servidores?".
            r"\b(down|offline|online|no\s+ar|fora\s+do\s+ar|funcionando|respondendo)\b.{0,20}"
            r"\b(servers|servidores)\b",
            r"\b(server|servers|servidor|servidores|integra[çc][ãa]o|integra[çc][õo]es|integrations?)\b"
            r".{0,40}\b(down|up|offline|online|"
            r"working|fora(?:\s+do\s+ar)?|no\s+ar|ca[íi]u|ca[íi]ram|ca[íi]dos?|funcionando|respondendo|"
            r"responding|answering|reachable|unreachable|acess[íi]vel|inacess[íi]vel|ativos?|"
            r"inativos?|active|inactive|running|rodando|lent[oa]s?|slow)\b",
            r"\b(is|are)\s+(the\s+)?\w+\s+(server|servers)\s+(down|up|offline|online)\b",
        ),
    ),
)
_ENTITY_PATTERNS = {
    "email": text.EMAIL,
    "quantity": re.compile(
        r"\b(\d+(?:[.,]\d+)?)\s*(unidades?|unid|un|pe[çc]as?|caixas?|kg|units?|pieces?|"
        r"boxes?|pcs)\b",
        re.I,
    ),
    "reference": re.compile(r"\b(?:[A-Z]{1,5}[/-]?\d{2,}(?:[/-]\d+)*)\b"),
    "quoted": re.compile(r"[\"“']([^\"”']{2,80})[\"”']"),
    "date": re.compile(r"\b(\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}/\d{2,4})\b"),
}


@dataclasses.dataclass(frozen=True)
class Target:
    """Something a request can be routed to, as the adapter describes it.

    ``kind`` is ``crew``, ``tool`` or ``intent``; ``ident`` what the adapter
    needs to run it (a crew id, ``"<server_id>:<tool>"``, an intent name);
    ``patterns`` (intents only) are regular expressions that trigger it.
    """

    kind: str
    ident: str
    name: str
    description: str = ""
    keywords: tuple = ()
    examples: tuple = ()
    patterns: tuple = ()
    # The crew that takes, with an LLM, what no other target claims.
    fallback: bool = False


@dataclasses.dataclass(frozen=True)
class Candidate:
    kind: str
    ident: str
    name: str
    score: float
    signals: dict


@dataclasses.dataclass(frozen=True, kw_only=True)
class Decision:
    """Where a message goes, with everything that explains it (keywords only:
    ten fields read wrongly by position are a silent misroute)."""

    kind: str
    ident: str
    name: str
    confidence: float
    language: str
    reason: str
    terms: tuple = ()
    entities: dict = dataclasses.field(default_factory=dict)
    arguments: dict = dataclasses.field(default_factory=dict)
    candidates: tuple = ()
    # False when the crew should answer without being offered tools: an explanation
    # of a concept needs none, and small models call whatever tool they are offered.
    offer_tools: bool = True

    def as_dict(self):
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True)
class RouterSettings:
    # Below this a crew is not a confident match (a crew still needs an LLM).
    crew_threshold: float = 0.12
    # A tool chosen from plain language (not a /tool command) needs more: its
    # arguments must then come from the message, which the adapter checks.
    tool_threshold: float = 0.45
    # A knowledge hit at least this good answers a question directly...
    knowledge_threshold: float = 0.45
    # ...when its text covers this share of the request's key terms (and every code,
    # kind of product and fact asked for), or this smaller share when the question
    # is in other words than the item's and no crew's words claim it clearly.
    knowledge_coverage: float = 0.6
    knowledge_partial_coverage: float = 0.3
    # Two crews closer than this are too close to call lexically: the semantic step decides.
    crew_margin: float = 0.04
    # The words claim a request clearly when the best crew matches this share of its
    # keywords (1.0: two keyword words) and leads the next crew by this much: a text
    # to write that is not claimed so goes to the default crew.
    clear_keywords: float = 1.0
    clear_margin: float = 0.1
    # The semantic step picks a specialist crew only when this much likelier than
    # the default crew; else the lexical choice (or the default crew) stands.
    semantic_margin: float = 0.2
    bm25_k1: float = 1.2
    bm25_b: float = 0.5
    weights: tuple = (("bm25", 0.45), ("keywords", 0.35), ("examples", 0.20))


# When a semantic scorer is asked (its ``asked_when``): only when the words are
# unsure (no crew qualifies, or two are too close to call), or also when they do
# not claim the request clearly. Measured on 140 requests that the router of
# their time had not seen (two held-out halves, each replayed with the router it
# was measured against, the crews listing the tuning half's requests as examples):
# words alone, 126 right; the crews' LLM (Qwen2.5-Coder 1.5B) classifying, 130
# asked when unsure and 129 when unclear; embeddings (multilingual-e5-small),
# 131 and 133.
ASKED_WHEN_UNSURE = "unsure"
ASKED_WHEN_UNCLEAR = "unclear"


def detect_language(message):
    """The language routing uses for ``message``: ``pt``, ``en`` or ``simple``."""
    return text.detect_language(message, default="simple", markers=_REQUEST_MARKERS)


def terms(message, language="simple"):
    """Content-word stems; a message of unknown language gets both stemmers' stems."""
    return tuple(stem for stem, _word in _stemmed_words(message, language))


@functools.cache
def _marker_stems():
    """The stems of :data:`_REQUEST_MARKERS`: a tool's description that shares only
    these with a request ("order") is not what the request asks for."""
    return frozenset(
        stem
        for language, words in _REQUEST_MARKERS.items()
        for stem in terms(" ".join(words), language)
    )


def _tokens(message):
    """The words of ``message`` as the router reads them: :func:`text.tokens`, with
    "e-mail" one word, "email" (requests, items and targets alike)."""
    return text.tokens(_E_MAIL.sub("email", message))


def _stemmed_words(message, language):
    """``(stem, word position)`` of each content word, per stemmer of ``language``;
    the position is the word's among all of the message's words, so a message
    and its spelling corrected (word for word) have the same positions."""
    # Stemmed with their accents (the Portuguese stemmer knows "-ções"), folded after.
    words = [
        (position, word)
        for position, word in enumerate(_tokens(message))
        if len(word) > 1 and text.strip_accents(word) not in _STOPWORDS
    ]
    languages = [language] if language in _STEMMERS else list(_STEMMERS)
    return [(_stem(lang, word), position) for lang in languages for position, word in words]


@functools.lru_cache(maxsize=50_000)
def _stem(language, word):
    """One word's stem, accents folded. Cached: every request stems its words
    and its best knowledge item's, and the words of requests repeat."""
    return text.strip_accents(_STEMMERS[language].stemWord(word))


def _glossary_stems():
    """Stem → the stems of its translations in :data:`GLOSSARY`, both ways (each
    word under both stemmers: a request or item of unknown language has both)."""
    table = collections.defaultdict(set)
    for portuguese, english in GLOSSARY:
        sides = [
            {_stem(lang, word) for word in side.split() for lang in _STEMMERS}
            for side in (portuguese, english)
        ]
        for stem in sides[0]:
            table[stem] |= sides[1]
        for stem in sides[1]:
            table[stem] |= sides[0]
    return {stem: frozenset(stems - {stem}) for stem, stems in table.items()}


_GLOSSARY_STEMS = _glossary_stems()


def _product_kinds():
    """Stem of a kind of product's word → a pattern of that kind in an item (any
    of its words in either language, starting or ending a word of the item's:
    "Mobilgrease XHP 222" is a grease)."""
    table = {}
    for pair in PRODUCT_KINDS:
        words = sorted(text.strip_accents(" ".join(pair)).split(), key=len, reverse=True)
        spellings = "|".join(map(re.escape, words))
        pattern = re.compile(r"\b(?:%s)|(?:%s)\b" % (spellings, spellings))
        for word in words:
            for language in _STEMMERS:
                table[_stem(language, word)] = pattern
    return table


_PRODUCT_KIND_PATTERNS = _product_kinds()
# Each fact's words as stems of both languages (a request is stemmed in its own).
_ITEM_FACT_STEMS = tuple((pattern, frozenset(terms(words))) for pattern, words in ITEM_FACTS)
# The words a question asks for a fact by, as typed ("temp range" asks for no
# "tempo", which a stem would not tell); "quanto" asks for anything.
_ASKED_FOR_WORDS = frozenset(
    text.strip_accents(word) for _pattern, words in ITEM_FACTS for word in words.split()
) - {"quanto"}


def _translated(term_set):
    """Stem of ``term_set`` → its translations that ``term_set`` lacks (stems
    with none left out)."""
    translations = {term: _GLOSSARY_STEMS.get(term, frozenset()) - term_set for term in term_set}
    return {term: stems for term, stems in translations.items() if stems}


def entities(message):
    """Entities by kind; a pattern's first group, when it has groups, is the value."""
    found = {}
    for name, pattern in _ENTITY_PATTERNS.items():
        matches = [_entity_value(name, match) for match in pattern.finditer(message)]
        if matches:
            found[name] = matches
    return found


def _entity_value(name, match):
    if name == "quantity":  # "3 unidades": number and unit
        return " ".join(match.groups())
    return match.group(1) if match.groups() else match.group(0)


def _glossary_words():
    """Word → its translations in :data:`GLOSSARY` (folded words, both ways)."""
    table = collections.defaultdict(set)
    for portuguese, english in GLOSSARY:
        for side, other in ((portuguese, english), (english, portuguese)):
            for word in text.strip_accents(side).split():
                table[word] |= set(text.strip_accents(other).split())
    return table


_GLOSSARY_WORDS = _glossary_words()


_DECIMAL = re.compile(r"\d+[.,]\d+")
# A number of days or months says when, not which thing ("10 months after purchase").
_DURATION = re.compile(r"\b\d+\s*" + TIME_UNIT, re.I)
# A temperature says where a thing works ("near an oven at around 70 °C"): no code.
_TEMPERATURE = re.compile(r"[-+]?\b\d+(?:[.,]\d+)?\s*(?:°\s*[cf]\b|graus\b|degrees\b)", re.I)


def _codes(message):
    """The codes of ``message`` (folded) that name a thing: not its durations nor
    its temperatures. A model's suffix typed apart is the model's ("6205 2rs" is
    the 6205-2RS, not the open 6205)."""
    folded = _TEMPERATURE.sub(" ", _DURATION.sub(" ", text.strip_accents(message).lower()))
    return _CODE.findall(_SPACED_SUFFIX.sub(r"\1-\2", folded))


def _code_pattern(code):
    """A pattern for ``code`` (folded) as items write it too: "2cv" is "2 cv",
    "W22" is "W-22", "4-pole" is "4 polos" (a word of the glossary in either
    language), "4p" is "4 polos" (a unit's initial after a number spaced from
    it); "6310-2rs" is not "6310-2rsh" (the caller anchors the end)."""
    pieces = [
        piece for piece in re.split(r"(?<=\d)(?=[^\W\d_])|(?<=[^\W\d_])(?=\d)|-", code) if piece
    ]
    pattern = r"[\s-]?".join(map(_piece_pattern, pieces))
    if len(pieces) > 1 and len(pieces[-1]) == 1 and pieces[-1].isalpha() and pieces[-2].isdigit():
        number = r"[\s-]?".join(map(_piece_pattern, pieces[:-1]))
        pattern = r"(?:%s|%s\s%s\w*)" % (pattern, number, re.escape(pieces[-1]))
    return pattern


def _piece_pattern(piece):
    if _DECIMAL.fullmatch(piece):  # "7.5" is "7,5"
        return r"[.,]".join(map(re.escape, re.split(r"[.,]", piece)))
    spellings = {piece} | _GLOSSARY_WORDS.get(piece, set())
    if len(spellings) == 1:
        return re.escape(piece)
    return "(?:%s)" % "|".join(map(re.escape, sorted(spellings, key=len, reverse=True)))


def _spoken_of(term, item_terms):
    """Whether ``item_terms`` (stems) hold ``term`` or a cognate of it."""
    if term in item_terms:
        return True
    if len(term) < _MIN_COGNATE_LENGTH:
        return False
    return any(
        len(other) >= _MIN_COGNATE_LENGTH
        and (
            term[:_COGNATE_PREFIX] == other[:_COGNATE_PREFIX]
            and len(term) >= _COGNATE_PREFIX
            or _one_edit_apart(term, other)
        )
        for other in item_terms
    )


def _rank(indexed):
    """Sort key of an ``(index, candidate)``: best score first, then by kind and
    name, then in the targets' order."""
    index, candidate = indexed
    return (-candidate.score, candidate.kind, candidate.name, index)


def _one_edit_apart(left, right):
    """Whether one insertion, deletion or substitution turns ``left`` into ``right``."""
    if abs(len(left) - len(right)) > 1 or left == right:
        return False
    if len(left) > len(right):
        left, right = right, left
    for index, (a, b) in enumerate(zip(left, right)):  # noqa: B905 - lengths differ by design
        if a != b:
            if len(left) == len(right):
                return left[index + 1 :] == right[index + 1 :]
            return left[index:] == right[index + 1 :]
    return True  # ``right`` is ``left`` with one more letter at the end


def _with_deletions(word):
    """``word`` and each word one deleted letter makes of it: a word one insertion,
    deletion or substitution away from ``word`` has one of these among its own
    (a transposition may share one too, which :func:`_one_edit_apart` then tells)."""
    yield word
    for index in range(len(word)):
        yield word[:index] + word[index + 1 :]


def _distinct_words(stems, words_of):
    """How many of the request's words ``stems`` stand for: a request of unknown
    language has two stems per word ("dólares": "dolar" and "dolare"), which are
    one piece of evidence, not two; a stem repeated in the request counts once."""
    groups = []
    for stem in stems:
        positions = set(words_of[stem])
        for group in [group for group in groups if group & positions]:
            positions |= group
            groups.remove(group)
        groups.append(positions)
    return len(groups)


def _in_both_languages(term_set, words_of):
    """The request's stems with their translations (:data:`GLOSSARY`), and the
    words each stands for (a translation stands for the word it translates)."""
    translations = _translated(term_set)
    if not translations:
        return term_set, words_of
    both_words_of = collections.defaultdict(set, words_of)
    for term, stems in translations.items():
        for stem in stems:
            both_words_of[stem] = both_words_of[stem] | words_of[term]
    return term_set.union(*translations.values()), both_words_of


def _as_shares(scores, count):
    """A scorer's ``scores`` (one per crew) as shares summing to 1, negatives as
    0; ``None`` for no opinion (none given, a wrong count, or all zero)."""
    if not scores or len(scores) != count:
        return None
    weights = [max(0.0, float(score)) for score in scores]
    total = sum(weights)
    return [weight / total for weight in weights] if total > 0 else None


def _names_code(item_text, code):
    """Whether ``item_text`` (folded) names ``code``: as a whole, anchored ("6310-2rs"
    is not "6310-2rsh" nor "6310-2"; "28" is "28-day"), or a size suffix apart from
    its model ("451tc-8" is "451TC … bitola -8")."""

    def named(whole):
        return re.search(r"(?<![\w-])%s(?!\w|-\d)" % _code_pattern(whole), item_text)

    if named(code):
        return True
    model, dash, size = code.rpartition("-")
    return bool(
        dash
        and model
        and size.isdigit()
        and named(model)
        and re.search(r"(?<![\w.,])-?%s(?![\w.,])" % size, item_text)
    )


def _last_sentence_start(asked):
    """Where the last sentence of ``asked`` starts (0 for a single sentence)."""
    starts = [match.end() for match in _SENTENCE_BREAK.finditer(asked.rstrip(" ?"))]
    return starts[-1] if starts else 0


def _own_sentence(asked, positions):
    """Of ``positions`` (of ``asked``'s key words), those of the question's own
    sentence when it has two or more, else all: what comes before it may tell a
    story ("Customer bought the wrong size but never used it — how many days…?"),
    and an item answers the question if it covers the question."""
    start = _last_sentence_start(asked)
    if not start:
        return positions
    first = len(_tokens(asked[:start]))
    own = [position for position in positions if position >= first]
    return own if len(own) >= 2 else positions


def _is_question(message):
    """Whether ``message`` asks something: a "?", a question word first, a question
    passed on or one asked at its end."""
    return "?" in message or bool(
        _QUESTION_START.match(message)
        or _REPORTED_QUESTION.search(message)
        or _TRAILING_QUESTION.search(message)
    )


def _names_a_fact(message):
    """Whether ``message`` names a fact an item gives ("6205 2rs skf medida interna e
    largura"): a lookup, though no question, that an item covering all of it answers."""
    return any(text.strip_accents(word).lower() in _ASKED_FOR_WORDS for word in _tokens(message))


def _asking_clause_end(asked):
    """Where the ask of a question that opens with a question word ends (a token
    position): at its first clause's end ("how many days does a customer have to
    send it back, they just ordered the wrong size?" asks for days, not a size);
    ``None`` for other questions, whose every word may say what they ask for."""
    start = _last_sentence_start(asked)
    if not _QUESTION_START.match(asked[start:]):
        return None
    # A clause that goes on with "and" asks more: "who can supply it fastest, and at
    # what price?".
    end = next(
        (
            match
            for match in _CLAUSE_END.finditer(asked, start)
            if not _GOES_ON.match(asked, match.end())
        ),
        None,
    )
    return len(_tokens(asked[: end.start()])) if end else None


def _list_items(piece, language):
    """The items of the list of asks in ``piece`` (:data:`_LIST_END`), a short item
    joined to the one before it (:data:`_MIN_LIST_ITEM_TERMS`)."""
    items = []
    for item in _LIST_ITEM_BREAK.split(piece):
        if items and len(set(terms(item, language))) < _MIN_LIST_ITEM_TERMS:
            items[-1] += ", " + item
        else:
            items.append(item)
    return items


def spelt_out(message):
    """``message`` with the abbreviations of chat written out ("q ferramentas vc
    tem?" → "que ferramentas você tem?") and a thing sent back said as returned,
    so that patterns written for whole words, and the words of items, read it."""
    message = _CHAT_ABBREVIATION.sub(lambda match: _CHAT_SPELLINGS[match[0].lower()], message)
    return _SENT_BACK.sub(
        lambda match: " ".join(("return", match["what"].strip())).strip(), message
    )


def parse_tool_command(message):
    """``(tool name, arguments)`` of a ``/tool name {json}`` or ``key=value`` command, or None."""
    match = _TOOL_COMMAND.match(message)
    if not match:
        return None
    raw = match.group("args").strip()
    if not raw:
        return match.group("name"), {}
    if raw.startswith(("{", "[")):
        try:
            arguments = json.loads(raw)
        except ValueError as err:
            raise errors.InvalidRequest("tool arguments are not valid JSON: %s" % err) from err
        if not isinstance(arguments, dict):
            raise errors.InvalidRequest("tool arguments must be a JSON object")
        return match.group("name"), arguments
    pairs = _KEY_VALUE.findall(raw)
    if not pairs:
        raise errors.InvalidRequest(
            'tool arguments must be JSON or key=value pairs, got "%s"' % raw
        )
    return match.group("name"), {key: _scalar(value.strip("\"'")) for key, value in pairs}


def _scalar(value):
    for convert in (int, float):
        try:
            return convert(value)
        except ValueError:
            continue
    return {"true": True, "false": False}.get(value.lower(), value)


class Router:
    """Routes messages among a fixed set of targets; build one per catalog change."""

    def __init__(self, targets, settings=RouterSettings()):
        self.targets = tuple(targets)
        self.settings = settings
        self._index = {(target.kind, target.ident): i for i, target in enumerate(self.targets)}
        # Example requests are requests: read with chat's abbreviations spelt
        # out, as a request is (route), so "qto" in one matches "quanto" in the other.
        examples = [tuple(map(spelt_out, target.examples)) for target in self.targets]
        own_texts = [self._own_text_terms(target) for target in self.targets]
        documents = [
            [*own, *terms(" ".join(spelt))] for own, spelt in zip(own_texts, examples, strict=True)
        ]
        # Term frequencies and lengths once: every request scores every target.
        self._counts = [collections.Counter(document) for document in documents]
        # Evidence that a request is a target's subject counts the words of the
        # target's own text: example requests, typed by users by the dozen,
        # share stray words ("números", "filial") with any request.
        self._own_terms = [frozenset(own) for own in own_texts]
        self._lengths = [len(document) for document in documents]
        self._keywords = [self._phrases(target.keywords) for target in self.targets]
        self._crews_by_keyword = self._one_word_keywords(self.targets, self._keywords)
        # Each example's stemmed variants as entries, and per target the entries
        # holding each stem: a request is compared with the examples it shares a
        # stem with (a few of a crew's hundred), not with all of them.
        self._example_sizes, self._example_postings = [], []
        for spelt in examples:
            sizes, postings = [], collections.defaultdict(list)
            for variants in self._phrases(spelt):
                for variant in variants:
                    for stem in variant:
                        postings[stem].append(len(sizes))
                    sizes.append(len(variant))
            self._example_sizes.append(sizes)
            self._example_postings.append(postings)
        self._patterns = [
            [re.compile(pattern, re.I) for pattern in target.patterns] for target in self.targets
        ]
        # Term → the targets that can score on it: a request is scored against
        # those and the patterned ones; every other target scores zero on every
        # signal. A target's document holds its keywords' and examples' stems too.
        self._targets_by_term = collections.defaultdict(set)
        for index, counts in enumerate(self._counts):
            for term in counts:
                self._targets_by_term[term].add(index)
        self._tools_by_term = {
            term: {index for index in indexes if self.targets[index].kind == "tool"}
            for term, indexes in self._targets_by_term.items()
        }
        self._patterned = {index for index, patterns in enumerate(self._patterns) if patterns}
        count = len(documents) or 1
        self._average_length = sum(self._lengths) / count
        frequency = collections.Counter()
        for counts in self._counts:
            frequency.update(counts.keys())
        self._idf = {
            term: math.log(1 + (count - seen + 0.5) / (seen + 0.5))
            for term, seen in frequency.items()
        }
        # Every word the targets' own texts use, and every word two example
        # requests use (examples are requests as users typed them: one typo is
        # not a spelling), accent-free -> as written (first spelling wins), in a
        # stable order: what requests are spelt back to.
        self._known_words = {}
        in_examples = collections.Counter(
            word
            for spelt in examples
            for example in spelt
            for word in dict.fromkeys(_tokens(example))
        )
        for target, spelt in zip(self.targets, examples, strict=True):
            for part in (target.name, target.description, *target.keywords):
                for word in _tokens(part.replace("_", " ")):
                    self._known_words.setdefault(text.strip_accents(word), word)
            for example in spelt:
                for word in _tokens(example):
                    if in_examples[word] >= 2:
                        self._known_words.setdefault(text.strip_accents(word), word)
        # The same words, in that order, under themselves and each of their
        # one-letter deletions: two words one typo apart share one of these keys
        # (a request's unknown word is compared with the few words that share
        # one, not with every known word).
        self._known_by_deletion = collections.defaultdict(list)
        for order, folded in enumerate(self._known_words):
            for key in dict.fromkeys(_with_deletions(folded)):
                self._known_by_deletion[key].append((order, folded))
        # Most targets share no term with a request: what they score (zero on
        # every signal), ranked, once rather than per request. Their signals are
        # never changed in place (a step that adds one copies them).
        self._unmatched_ranked = sorted(
            ((index, self._unmatched(index)) for index in range(len(self.targets))), key=_rank
        )
        # What the crews' example requests say, weighed together (spelt and
        # stemmed as requests are): the semantic step's first opinion.
        crews = [index for index, target in enumerate(self.targets) if target.kind == "crew"]
        self._crews = [self.targets[index] for index in crews]
        self._evidence = example_evidence.ExampleEvidence(
            [
                [
                    self._message_terms(passage, detect_language(passage))[0]
                    for passage in (self.targets[index].name, self.targets[index].description)
                    + examples[index]
                ]
                for index in crews
            ]
        )

    @staticmethod
    def _one_word_keywords(targets, keywords):
        """Stem of a crew's one-word keyword → the crews whose keyword it is
        (:meth:`_opening_crew`); ``keywords``: each target's :meth:`_phrases`."""
        crews = collections.defaultdict(set)
        for target, phrases in zip(targets, keywords, strict=True):
            for variants in phrases if target.kind == "crew" else ():
                for variant in variants:
                    if len(variant) == 1:
                        crews[next(iter(variant))].add(target.ident)
        return crews

    @staticmethod
    def _own_text_terms(target):
        """The stems of what the target says of itself: name, description, keywords."""
        return terms(
            " ".join((target.name, target.description, *target.keywords)).replace("_", " ")
        )

    def _message_terms(self, message, language):
        """The request's stems as the targets spell its words (typos spelt back,
        each word stemmed once), and the words each stem stands for: a request of
        unknown language has two stems per word, and a keyword must not count
        one word twice."""
        stemmed = _stemmed_words(self._corrected(message), language)
        words_of = collections.defaultdict(set)
        for stem, position in stemmed:
            words_of[stem].add(position)
        return tuple(stem for stem, _word in stemmed), words_of

    @staticmethod
    def _phrases(phrases):
        """Each phrase stemmed in each language: a message matches either spelling."""
        stemmed = []
        for phrase in phrases:
            variants = {frozenset(terms(phrase, lang)) for lang in _STEMMERS}
            variants.discard(frozenset())
            if variants:
                stemmed.append(variants)
        return stemmed

    def route(
        self, message, knowledge_score=0.0, llm_available=False, knowledge_text=None, semantic=None
    ):
        """The :class:`Decision` for ``message``.

        ``knowledge_score``/``knowledge_text``: the best knowledge search hit for
        the message and its title and content (the adapter searched; without the
        text its coverage is not checked); ``llm_available``: whether crews can
        run; ``semantic``: optional ``callable(message, crew_targets)`` returning
        one non-negative score per crew, read as shares of one (or ``None`` when
        it cannot), consulted with the crews' example requests when an LLM is
        there and the words do not settle it (:meth:`_consults`).
        """
        if not isinstance(message, str) or not message.strip():
            raise errors.InvalidRequest("the message is empty")
        language, found = detect_language(message), entities(message)
        command = parse_tool_command(message)
        if command:
            return self._tool_command(command, language, terms(message, language), found)
        message = spelt_out(message)
        message_terms, _words_of, candidates = self._ranked(message, language)
        decide = dict(language=language, terms=message_terms, entities=found, arguments={})
        decide["candidates"] = tuple(candidates[:5])
        if candidates and candidates[0].signals.get("pattern"):
            best = candidates[0]
            return self._decision(best, 1.0, "pattern of intent %s" % best.name, **decide)
        claimants = self._named_tool_first(
            [c for c in candidates if not self._is_fallback(c)], message, language
        )
        best = claimants[0] if claimants else None
        qualified = bool(best and self._qualifies(best))
        coverage = self._knowledge_coverage(message, language, knowledge_text)
        clear = qualified and self._clear(claimants)
        if self._knowledge_answers(
            message, knowledge_score, coverage, clear, qualified, llm_available
        ):
            reason = "the knowledge base has a strong match (%.2f)" % knowledge_score
            if coverage is not None:
                reason += " covering %d %% of the request's key terms" % round(coverage * 100)
            return Decision(
                kind="knowledge",
                ident="",
                name="knowledge base",
                confidence=round(knowledge_score, 4),
                reason=reason,
                **decide,
            )
        fallback = next((c for c in candidates if self._is_fallback(c)), None)
        general = (
            self._general_ask(message, language, claimants) if llm_available and fallback else None
        )
        if general:
            reason, offer_tools = general
            return self._decision(
                fallback,
                fallback.score,
                reason % {"crew": fallback.name},
                offer_tools=offer_tools,
                **decide,
            )
        if llm_available and not clear:
            opening = self._opening_crew(message, claimants)
            if opening is not None:
                crew, word = opening
                return self._decision(
                    crew,
                    crew.score,
                    'the request opens with "%s", a keyword of crew %s' % (word, crew.name),
                    **decide,
                )
            consulted = semantic if self._consults(semantic, claimants, qualified) else None
            chosen = self._semantic_step(
                message, candidates, consulted, decide, lexical=best if qualified else None
            )
            if chosen is not None:
                return chosen
        if qualified:
            if best.kind == "crew" and not llm_available:
                return self._decision(
                    best,
                    best.score,
                    "crew %s would answer, but no LLM is configured" % best.name,
                    kind="llm_required",
                    **decide,
                )
            return self._decision(
                best, best.score, "best match: %s %s" % (best.kind, best.name), **decide
            )
        if llm_available and fallback is not None:
            return self._decision(
                fallback,
                best.score if best else 0.0,
                "no crew claims the request: the default crew %s answers it" % fallback.name,
                **decide,
            )
        return Decision(
            kind="llm_required",
            ident="",
            name="",
            confidence=best.score if best else 0.0,
            reason="no crew, tool or knowledge matches well enough; an LLM would be needed",
            **decide,
        )

    def _ranked(self, message, language):
        """The request's stems, the words each stands for (:meth:`_message_terms`),
        and every target as a :class:`Candidate`, best first."""
        message_terms, words_of = self._message_terms(message, language)
        term_set = frozenset(message_terms)
        tool_terms, tool_words_of = _in_both_languages(term_set, words_of)
        scored = self._patterned.union(
            *(self._targets_by_term.get(term, ()) for term in term_set),
            *(self._tools_by_term.get(term, ()) for term in tool_terms - term_set),
        )

        def score(index):
            if self.targets[index].kind == "tool":
                return self._score(index, message, tool_terms, tool_words_of)
            return self._score(index, message, term_set, words_of)

        candidates = [
            candidate
            for _index, candidate in heapq.merge(
                sorted(((index, score(index)) for index in scored), key=_rank),
                (ranked for ranked in self._unmatched_ranked if ranked[0] not in scored),
                key=_rank,
            )
        ]
        return message_terms, words_of, candidates

    def _general_ask(self, message, language, claimants):
        """``(reason, offer_tools)`` when the general-purpose (fallback) crew takes
        ``message`` whatever the specialists' words say — the reason with a
        ``%(crew)s`` for its name — or ``None``: a question about a concept
        (answered without tools), a text no crew claims clearly, or one request
        for the work of several crews, which no specialist has every tool for;
        thanks are small talk (answered without tools too)."""
        if _CONCEPT_QUESTION.search(message) and (
            not _CODE.search(message) or _MEANING_QUESTION.search(message)
        ):
            return (
                "asks what something is or how it works: the default crew %(crew)s "
                "explains it, without tools",
                False,
            )
        if _UNIT_CONVERSION.search(message):
            return "asks to convert a measure: the default crew %(crew)s works it out", False
        if _ARITHMETIC.search(message) and not _ENTITY_PATTERNS["reference"].search(message):
            return "asks for a sum: the default crew %(crew)s works it out", False
        if _TRANSLATION.search(message):
            return "asks for a translation: the default crew %(crew)s writes it", False
        if _TEXT_GIVEN.search(message):
            return (
                "gives a text to summarise or rewrite: the default crew %(crew)s writes it",
                False,
            )
        if _ABOUT_THE_ASSISTANT.search(message):
            return "asks about the assistant: the default crew %(crew)s replies", False
        if _THANKS.match(message) and "?" not in message and not _WORK_REQUEST.search(message):
            return "thanks for an answer: the default crew %(crew)s replies", False
        if _WRITING_REQUEST.search(message) and not self._claims_text(message, language, claimants):
            return (
                "asks for a text that no crew claims clearly: the default crew %(crew)s writes it",
                True,
            )
        mixed = self._crews_of_parts(message, language)
        if len(mixed) >= 2:
            parts = "; ".join('%s: "%s"' % item for item in mixed.items())
            return (
                "the request mixes the work of several crews (%s): the default crew %%(crew)s, "
                "which has every tool, answers it" % parts.replace("%", "%%"),
                True,
            )
        return None

    def _claims_text(self, message, language, claimants):
        """Whether a specialist's words claim a text to write clearly, once who the
        text is for (:data:`_TEXT_RECIPIENT`) is set aside."""
        if not (claimants and claimants[0].kind == "crew" and self._clear(claimants)):
            return False
        subject = _TEXT_RECIPIENT.sub(" ", message)
        if subject == message:
            return True
        _terms, _words_of, candidates = self._ranked(subject, language)
        rest = [c for c in candidates if not self._is_fallback(c)]
        return (
            bool(rest) and rest[0].kind == "crew" and self._qualifies(rest[0]) and self._clear(rest)
        )

    def _crews_of_parts(self, message, language):
        """``{crew name: part}`` of the specialist crews that the request's asks
        (joined by "and also", "e já"...) each claim by their keywords; an ask for
        a text that no specialist claims is the default crew's work
        (``{_TEXT_TO_WRITE: part}``): "analyse the sales and then draft an e-mail";
        an ask for a tool by its own word is the tool's (``{"tool <name>": part}``)."""
        # Lists and plain "and"s are read in a request of one sentence only.
        one_sentence = not _INNER_SENTENCE_END.search(message.strip())
        pieces = _CLAUSE_BREAK.split(message)
        if one_sentence and _LIST_END.search(message):
            pieces = [item for piece in pieces if piece for item in _list_items(piece, language)]
        parts = [part for part in pieces if part and part.strip()]
        if len(parts) > 1:
            return self._claims_of_parts(parts, language)
        # A plain "and" joins words of one ask, unless what follows it asks for a
        # tool by its own word: "status do S01234 e cotação do euro hoje".
        if not one_sentence:
            return {}
        halves = _PLAIN_AND.split(message, maxsplit=1)
        claimed = self._claims_of_parts(halves, language) if len(halves) == 2 else {}
        asks = list(claimed)
        # A crew's ask, then the tool's.
        if len(asks) == 2 and asks[0] != _TEXT_TO_WRITE and asks[1].startswith(_TOOL_ASK):
            return claimed
        return {}

    def _claims_of_parts(self, parts, language):
        """``{crew name: part}`` of ``parts`` (see :meth:`_crews_of_parts`)."""
        claimed, claimants = {}, {}
        for part in parts:
            part_terms, words_of, candidates = self._ranked(part, language)
            if len(set(part_terms)) < _MIN_CLAUSE_TERMS:
                continue
            best = next(
                (c for c in candidates if c.kind == "crew" and not self._is_fallback(c)), None
            )
            if best and best.signals.get("keywords", 0) > 0 and self._qualifies(best):
                if not self._goes_on(best, claimants.values(), frozenset(part_terms), words_of):
                    claimed.setdefault(best.name, part.strip())
                    claimants.setdefault(best.name, best)
            elif _WRITING_REQUEST.search(part):
                claimed.setdefault(_TEXT_TO_WRITE, part.strip())
            else:
                tool = self._tool_asked(frozenset(part_terms), words_of, candidates)
                # After a crew's part, the tool's may be part of that crew's work
                # ("compara as ofertas e me diz qual sai melhor com frete"): it is
                # when that crew is the likeliest for it.
                if tool is not None and not (best and best.name in claimants):
                    claimed.setdefault(_TOOL_ASK + tool.name, part.strip())
        return claimed

    def _tool_asked(self, term_set, words_of, candidates):
        """The tool that a part of a request, which no crew claims, asks for by a
        word of the tool's own ("preciso saber o frete pra BA e tb cadastrar um
        lead": the freight is an ask apart from the lead), not by one every request
        says ("check where order S04512 is" names no supplier order to cancel)."""
        tool = next((c for c in candidates if c.kind == "tool"), None)
        if tool is None or not tool.signals.get("bm25"):
            return None
        both_terms, _words_of = _in_both_languages(term_set, words_of)
        own = both_terms & self._counts[self._index[(tool.kind, tool.ident)]].keys()
        return tool if own - _marker_stems() else None

    def _goes_on(self, best, earlier, term_set, words_of):
        """Whether a part (its stems ``term_set`` and the words each stands for),
        which crew ``best`` claims, is as much the work of a crew of an ``earlier``
        part: its keywords match every word of the part that ``best``'s do
        ("confirma o pedido e já gera a fatura": "fatura" is an operation's word,
        and a stem of analysis's "faturamento")."""
        index = self._index[(best.kind, best.ident)]
        words = self._keyword_words(index, term_set, words_of)
        return any(
            words <= self._keyword_words(self._index[(crew.kind, crew.ident)], term_set, words_of)
            for crew in earlier
        )

    def _corrected(self, message):
        """``message`` spelt as the targets spell it, for stemming: accents put back
        where the user left them out ("especificacoes", which the Portuguese stemmer
        would not reduce like "especificações"), and a word the targets do not know
        replaced by a known word one typo away ("fornecdor", "parafuzo"). Whole
        words, not stems, and short ones are never corrected: too many look alike
        ("compra", to buy, must not become "compar", to compare). Nor are codes
        (words with a digit): the order S00450 is not a typo of an example's S00350."""
        spelt = []
        for word in _tokens(message):
            folded = text.strip_accents(word)
            known = self._known_words.get(folded)
            if (
                known is None
                and len(folded) >= _MIN_CORRECTED_LENGTH
                and folded not in _STOPWORDS
                and not any(char.isdigit() for char in folded)
            ):
                close = min(
                    (
                        (order, other)
                        for key in _with_deletions(folded)
                        for order, other in self._known_by_deletion.get(key, ())
                        if _one_edit_apart(folded, other)
                    ),
                    default=None,
                )
                known = self._known_words[close[1]] if close else None
            spelt.append(known or word)
        return " ".join(spelt)

    @staticmethod
    def _decision(candidate, confidence, reason, kind=None, **decide):
        return Decision(
            kind=kind or candidate.kind,
            ident=candidate.ident,
            name=candidate.name,
            confidence=confidence,
            reason=reason,
            **decide,
        )

    def _opening_crew(self, message, claimants):
        """``(crew, word)`` when a request that is no question opens with a word
        (after "please", "pode"...) that one crew's keywords hold and no other
        crew's, and that crew qualifies: the ask's verb ("muda a data de entrega
        do S04955…", "Register a payment…") names the crew whatever else the
        request speaks of. A question's first word is what it asks about."""
        if _is_question(message):
            return None
        tokens = _tokens(message)
        opening = next(
            (
                (position, word)
                for position, word in enumerate(tokens)
                if len(word) > 1 and text.strip_accents(word).lower() not in _STOPWORDS
            ),
            None,
        )
        if opening is None or opening[0] > _OPENING_REACH:
            return None
        word = opening[1]
        holders = set().union(
            *(
                self._crews_by_keyword.get(_stem(language, word.lower()), ())
                for language in _STEMMERS
            )
        )
        crew = next((c for c in claimants if c.kind == "crew" and {c.ident} == holders), None)
        return (crew, word) if crew is not None and self._qualifies(crew) else None

    def _is_fallback(self, candidate):
        return candidate.signals.get("fallback", False)

    def _clear(self, claimants):
        """Whether the words alone settle it: the best claimant is a crew whose
        keywords match clearly, well ahead of the next crew (or not a crew at all)."""
        best = claimants[0]
        if best.kind != "crew":
            return True
        runner_up = next((c.score for c in claimants[1:] if c.kind == "crew"), 0.0)
        return (
            best.signals.get("keywords", 0) >= self.settings.clear_keywords
            and best.score - runner_up >= self.settings.clear_margin
        )

    def _consults(self, semantic, claimants, qualified):
        """Whether the semantic step consults the adapter's ``semantic`` scorer
        besides the crews' example requests: a scorer asked whenever the words are
        not clear (its ``asked_when`` is :data:`ASKED_WHEN_UNCLEAR`) always is;
        another only when the words are unsure (no claimant qualifies, or two
        crews are too close to call)."""
        if semantic is None:
            return False
        if getattr(semantic, "asked_when", ASKED_WHEN_UNSURE) == ASKED_WHEN_UNCLEAR:
            return True
        return not qualified or self._too_close(claimants)

    def _named_tool_first(self, claimants, message, language):
        """``claimants`` with a tool first when the request names all of its
        keywords and its words as much as the leading crew's, and that crew
        leads it by less than two crews too close to call or its keywords match
        fewer words of the ask, all of them the tool's too (:meth:`_says_less`):
        "cancela a PO-4471 com a Rolemax, fornecedor não confirmou" is the
        tool's call although an operations crew's keywords say "cancela" and
        "confirma" ("cancela o pedido de venda S01955" stays the crew's: "pedido
        de venda" is its keyword, not the tool's words). A tool has no example
        requests, the signal that put the crew ahead."""
        if len(claimants) < 2 or claimants[0].kind != "crew":
            return claimants
        lead = claimants[0]
        for position, candidate in enumerate(claimants[1:], 1):
            signals = candidate.signals
            if not (
                candidate.kind == "tool"
                and self._qualifies(candidate)
                and signals.get("keywords", 0) >= 1.0
                and signals.get("matched_terms", 0) >= lead.signals.get("matched_terms", 0)
            ):
                continue
            if lead.score - candidate.score < self.settings.crew_margin or self._says_less(
                lead, candidate, message, language
            ):
                return [candidate, *claimants[:position], *claimants[position + 1 :]]
        return claimants

    def _says_less(self, crew, tool, message, language):
        """Whether in the request's opening clause (the ask: what follows is why,
        ", fornecedor não confirmou prazo") ``crew``'s keywords match fewer words
        than ``tool``'s own words (in either language) do, and only words they match."""
        opening = _CLAUSE_END.split(message, maxsplit=1)[0]
        message_terms, words_of = self._message_terms(opening, language)
        term_set = frozenset(message_terms)
        crew_words = self._keyword_words(self._index[(crew.kind, crew.ident)], term_set, words_of)
        tool_terms, tool_words_of = _in_both_languages(term_set, words_of)
        own = self._own_terms[self._index[(tool.kind, tool.ident)]]
        tool_words = set().union(*(tool_words_of[term] for term in tool_terms & own))
        return crew_words < tool_words

    def _too_close(self, claimants):
        crews = [c for c in claimants[:2] if c.kind == "crew" and self._qualifies(c)]
        return len(crews) == 2 and crews[0].score - crews[1].score < self.settings.crew_margin

    def _knowledge_coverage(self, message, language, knowledge_text):
        """Share of the request's key words the best knowledge item speaks of;
        0 when the item lacks one of the request's codes, the kind of product it
        asks about or the fact it asks for; ``None`` when unknown."""
        if knowledge_text is None:
            return None
        item_text = text.strip_accents(knowledge_text).lower()
        if not all(_names_code(item_text, code) for code in _codes(message)):
            return 0.0
        # The question, without what follows its last "?": that says why it is
        # asked ("… ? got a customer on the line"), not what about.
        asked = message[: message.rindex("?") + 1] if "?" in message else message
        asked = _REPORTED_QUESTION.sub("", asked, count=1)
        # Each word as typed and as spelt for the targets: the speller knows only
        # the targets' words, and "grande" (SP) is the item's word, not a typo of "grade".
        stems_at = collections.defaultdict(set)
        for spelling in (asked, self._corrected(asked)):
            for stem, position in _stemmed_words(spelling, language):
                stems_at[position].add(stem)
        if not stems_at:
            return 1.0
        # Both languages' stems: an item may be written in the other language.
        item_terms = frozenset(terms(knowledge_text))
        item_terms = item_terms.union(*_translated(item_terms).values())
        for pattern, stems in _ITEM_FACT_STEMS:
            if pattern.search(knowledge_text):
                item_terms |= stems
        words = [text.strip_accents(word).lower() for word in _tokens(asked)]
        covered = {
            position
            for position, stems in stems_at.items()
            if any(_spoken_of(stem, item_terms) for stem in stems)
        }
        own = _own_sentence(asked, list(stems_at))
        ask_end = _asking_clause_end(asked)
        for position in own:
            # What is asked for (a time, a term, a phone...) and the kind of product
            # asked about are key, like codes: an item without them answers nothing.
            stems = stems_at[position]
            kinds = {_PRODUCT_KIND_PATTERNS[stem] for stem in stems & _PRODUCT_KIND_PATTERNS.keys()}
            if kinds and not any(kind.search(item_text) for kind in kinds):
                return 0.0
            if (
                words[position] in _ASKED_FOR_WORDS
                and position not in covered
                and (ask_end is None or position < ask_end)
            ):
                return 0.0
        return max(len(covered) / len(stems_at), len(covered.intersection(own)) / len(own))

    def _knowledge_answers(self, message, score, coverage, clear, qualified, llm_available):
        """Whether the best knowledge hit (``score``, ``coverage``) answers
        ``message``; ``qualified``/``clear``: whether a crew's words claim it, and
        clearly (:meth:`_clear`)."""
        if score < self.settings.knowledge_threshold:
            return False
        if llm_available and (_WORK_REQUEST.search(message) or _PAST_PERIOD.search(message)):
            return False
        is_question = _is_question(message)
        if coverage is None or coverage >= self.settings.knowledge_coverage:
            return is_question or not qualified or (coverage == 1.0 and _names_a_fact(message))
        return (
            is_question
            and (not clear or bool(_RULE_QUESTION.search(message)))
            and coverage >= self.settings.knowledge_partial_coverage
        )

    def _semantic_step(self, message, candidates, semantic, decide, lexical=None):
        """The crew the semantic step prefers, or the lexical choice (else the
        default crew) when no specialist is clearly more likely than the default
        crew; ``None`` when there are no crews. What the crews' example requests
        say (:class:`~.example_evidence.ExampleEvidence`) is averaged with the
        ``semantic`` scorer's opinion, if it has one; both are recorded in the
        candidates' signals (``evidence``, ``semantic``)."""
        if not self._crews:
            return None
        evidence = self._evidence.posterior(decide["terms"])
        opinion = _as_shares(semantic(message, self._crews), len(self._crews)) if semantic else None
        if opinion is not None:
            shares = [sum(pair) / 2 for pair in zip(evidence, opinion, strict=True)]
        else:
            shares = evidence
        added = {
            crew.ident: {"evidence": round(evidence[position], 4)}
            | ({"semantic": round(opinion[position], 4)} if opinion else {})
            for position, crew in enumerate(self._crews)
        }
        by_ident = {
            crew.ident: round(share, 4) for crew, share in zip(self._crews, shares, strict=True)
        }
        scored = {c.ident: c for c in candidates if c.kind == "crew"}
        best_ident = max(by_ident, key=lambda ident: (by_ident[ident], -len(ident)))
        listed = [
            dataclasses.replace(c, signals={**c.signals, **added[c.ident]})
            if c.kind == "crew"
            else c
            for c in decide["candidates"]
        ]
        if best_ident not in {c.ident for c in listed}:
            chosen = scored[best_ident]
            listed.append(
                dataclasses.replace(chosen, signals={**chosen.signals, **added[best_ident]})
            )
        decide = {**decide, "candidates": tuple(listed)}
        sources = "example requests"
        if opinion is not None:
            sources += " and %s" % (getattr(semantic, "label", "") or "semantic scores")
        step = "semantic step (%s)" % sources
        best = scored[best_ident]
        fallback = next((c for c in scored.values() if self._is_fallback(c)), None)
        if fallback is None and opinion is None:
            # The examples' evidence weighs crews against the default crew: with
            # none, a request no crew claims stays unclaimed.
            return None
        if fallback is not None and fallback is not best:
            lead = by_ident[best_ident] - by_ident[fallback.ident]
            if lead < self.settings.semantic_margin:
                if lexical is not None:
                    return self._decision(
                        lexical,
                        lexical.score,
                        "best match: %s %s" % (lexical.kind, lexical.name),
                        **decide,
                    )
                return self._decision(
                    fallback,
                    by_ident[fallback.ident],
                    "%s: no crew clearly likelier than the default crew %s "
                    "(%s %.2f, default %.2f)"
                    % (
                        step,
                        fallback.name,
                        best.name,
                        by_ident[best_ident],
                        by_ident[fallback.ident],
                    ),
                    **decide,
                )
        likeliest = "the default crew" if best is fallback else "crew"
        return self._decision(
            best,
            by_ident[best_ident],
            "%s: likeliest %s %s (%.2f)" % (step, likeliest, best.name, by_ident[best_ident]),
            **decide,
        )

    def _tool_command(self, command, language, message_terms, found):
        name, arguments = command
        tools = [t for t in self.targets if t.kind == "tool"]
        wanted = [t for t in tools if name in (t.ident, t.name, t.ident.split(":", 1)[-1])]
        if not wanted:
            raise errors.ToolNotFound("no tool named %s is available" % name)
        if len(wanted) > 1:
            raise errors.InvalidRequest(
                "tool name %s is ambiguous: %s" % (name, ", ".join(t.ident for t in wanted))
            )
        tool = wanted[0]
        return Decision(
            kind="tool",
            ident=tool.ident,
            name=tool.name,
            confidence=1.0,
            language=language,
            terms=message_terms,
            entities=found,
            arguments=arguments,
            candidates=(Candidate("tool", tool.ident, tool.name, 1.0, {"command": True}),),
            reason="explicit tool command",
        )

    def _score(self, index, message, message_terms, words_of):
        target = self.targets[index]
        if any(pattern.search(message) for pattern in self._patterns[index]):
            return Candidate(target.kind, target.ident, target.name, 1.0, {"pattern": True})
        signals = {
            "bm25": round(self._bm25(index, message_terms), 4),
            "keywords": round(self._keyword_share(index, message_terms, words_of), 4),
            "examples": round(self._example_overlap(index, message_terms), 4),
        }
        score = sum(weight * signals[name] for name, weight in self.settings.weights)
        # Evidence count, not weighed: one stray shared word is not a match.
        signals["matched_terms"] = _distinct_words(
            [term for term in message_terms if term in self._own_terms[index]], words_of
        )
        return self._candidate(index, round(score, 4), signals)

    def _unmatched(self, index):
        """What :meth:`_score` gives a target sharing no term with the request (and
        without patterns), without computing it."""
        signals = {"bm25": 0.0, "keywords": 0.0, "examples": 0.0, "matched_terms": 0}
        return self._candidate(index, 0.0, signals)

    def _candidate(self, index, score, signals):
        target = self.targets[index]
        if target.fallback:
            signals["fallback"] = True
        return Candidate(target.kind, target.ident, target.name, score, signals)

    def _qualifies(self, candidate):
        threshold = (
            self.settings.tool_threshold
            if candidate.kind == "tool"
            else self.settings.crew_threshold
        )
        signals = candidate.signals
        return candidate.score >= threshold and (
            signals.get("keywords", 0) > 0 or signals.get("matched_terms", 0) >= 2
        )

    def _bm25(self, index, message_terms):
        counts, length = self._counts[index], self._lengths[index]
        if not length or not message_terms:
            return 0.0
        k1, b = self.settings.bm25_k1, self.settings.bm25_b
        length_norm = k1 * (1 - b + b * length / (self._average_length or 1))
        raw = 0.0
        for term in message_terms:
            frequency = counts[term]
            if frequency:
                raw += self._idf[term] * frequency * (k1 + 1) / (frequency + length_norm)
        # Saturate into 0-1 so it can be weighed with the other signals.
        return raw / (raw + 3.0)

    def _keyword_share(self, index, message_terms, words_of):
        # Distinct message words, so "criar" and "crie" count once; two already
        # make a strong case.
        return min(1.0, len(self._keyword_words(index, message_terms, words_of)) / 2.0)

    def _keyword_words(self, index, message_terms, words_of):
        """The positions of the request's words that the target's keywords match."""
        covered = set()
        for variants in self._keywords[index]:
            for variant in variants:
                if variant <= message_terms:
                    for stem in variant:
                        covered |= words_of[stem]
        return covered

    def _example_overlap(self, index, message_terms):
        """The best Jaccard similarity of the request's terms to an example's."""
        postings = self._example_postings[index]
        shared = collections.Counter(
            entry for term in message_terms for entry in postings.get(term, ())
        )
        sizes, size = self._example_sizes[index], len(message_terms)
        # The union's size, without building it.
        return max(
            (count / (sizes[entry] + size - count) for entry, count in shared.items()),
            default=0.0,
        )
