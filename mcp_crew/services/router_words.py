"""The words the router reads in both languages, and the facts a knowledge item
gives: tables of data, kept apart from the rules that read them (:mod:`.router`).

Portuguese on the left, English on the right; words folded and stemmed by the
router, so list the forms people type (singular and plural), not stems.
"""

import re

from . import text

# Kinds of product, in both languages: what a question about a product is about.
# A knowledge item on M8 bolts does not answer the price of M8 washers, however
# many other words they share (see router.Router._knowledge_coverage).
PRODUCT_KINDS = (
    ("mangueira mangueiras", "hose hoses"),
    ("rolamento rolamentos", "bearing bearings"),
    ("motor motores", "motor motors"),
    ("inversor inversores", "inverter inverters drive"),
    ("bomba bombas", "pump pumps"),
    ("disjuntor disjuntores", "breaker breakers"),
    ("parafuso parafusos", "screw screws bolt bolts"),
    ("porca porcas", "nut nuts"),
    ("arruela arruelas", "washer washers"),
    ("graxa", "grease"),
    ("cabo cabos", "cable cables"),
    ("válvula válvulas", "valve valves"),
    ("luva luvas", "glove gloves"),
    ("correia correias", "belt belts"),
    ("filtro filtros", "filter filters"),
    ("compressor compressores", "compressor compressors"),
    # An O-ring is a seal: "ring" alone names no other product here.
    ("retentor retentores vedação vedações anel anéis", "seal seals ring rings"),
)
# The everyday words of ERP requests in both languages. MCP tools are named and
# described in English, whatever their users speak, and a knowledge item may be
# written in the other language than the question: "cancela o pedido de compra do
# fornecedor" names cancel_supplier_order, and "Garantia: 18 meses" answers "what's
# the warranty?". Crews need none of it (they carry words of both languages).
GLOSSARY = (
    ("pedido pedidos ordem", "order orders"),
    ("compra compras", "purchase"),
    ("fornecedor fornecedores", "supplier suppliers"),
    ("cliente clientes", "customer customers"),
    ("venda vendas", "sale sales"),
    ("produto produtos item itens", "product products item items"),
    ("preço preços", "price prices"),
    ("oferta ofertas", "offer offers"),
    ("cotação orçamento", "quote quotation"),
    ("câmbio", "exchange"),
    ("taxa", "rate"),
    ("moeda", "currency"),
    # Currencies by their codes, as tools name them ("quanto tá o dólar?": USD).
    ("dólar dólares", "dollar dollars usd"),
    ("euro euros", "eur"),
    ("frete", "freight shipping"),
    ("grátis gratuito", "free"),
    ("entrega entregas", "delivery"),
    # What is delivered arrives: "leva quantos dias pra chegar?" asks a delivery time
    # (both languages' words for it on the second side: an entry links its sides).
    ("chegar chega chegam chegada", "entrega entregas delivery arrive arrives arrival reach"),
    ("uso", "use unused"),
    ("norte", "north"),
    ("nordeste", "northeast"),
    ("sul", "south"),
    ("sudeste", "southeast"),
    ("centro-oeste", "midwest"),
    ("transportadora", "carrier"),
    ("estoque", "stock inventory"),
    ("fatura faturas", "invoice"),
    ("contato contatos", "contact"),
    ("estado", "state"),
    ("peso", "weight"),
    ("garantia", "warranty"),
    ("devolução", "return"),
    ("política", "policy"),
    ("mínimo mínima", "minimum"),
    ("máximo máxima", "maximum"),
    ("valor", "value"),
    ("relatório", "report"),
    ("reunião", "meeting"),
    ("tarefa", "task"),
    ("arquivo", "file"),
    ("buscar busca pesquisar pesquisa", "search"),
    ("pagamento pagar", "payment pay"),
    ("prazo prazos", "term terms deadline"),
    ("condição condições", "term terms condition conditions"),
    ("novo nova novos novas", "new"),
    ("padrão", "standard default"),
    ("desconto", "discount"),
    ("crédito", "credit"),
    ("aprovação aprovar", "approval approve"),
    ("dia dias", "day days"),
    ("semana semanas", "week weeks"),
    ("mês meses", "month months"),
    ("ano anos", "year years"),
    ("horário abre abertura funcionamento", "hours open opening"),
    ("loja balcão", "store counter"),
    ("armazém depósito cd", "warehouse dc"),
    ("retirada retiradas", "pickup pickups"),
    ("responsável responsáveis", "responsible charge"),
    ("equipe time", "team"),
    ("gerente", "manager"),
    ("suporte", "support"),
    ("telefone", "phone"),
    ("ramal", "extension ext"),
    ("endereço", "address"),
    ("pressão", "pressure"),
    ("trabalho", "working work"),
    ("máx", "max maximum"),
    ("mín", "min minimum"),
    ("temperatura", "temperature"),
    ("faixa", "range"),
    ("tensão voltagem", "voltage"),
    ("corrente", "current"),
    ("potência", "power"),
    ("rotação velocidade", "speed rotation rpm"),
    ("nominal", "rated nominal"),
    ("diâmetro", "diameter"),
    ("largura", "width"),
    ("comprimento", "length"),
    ("altura", "height"),
    ("tamanho medida medidas dimensões", "size dimensions"),
    ("rosca", "thread"),
    ("vedação", "seal"),
    ("polo polos", "pole poles"),
    ("grau", "rating degree"),
    ("proteção", "protection"),
    ("aço", "steel"),
    ("cobre", "copper"),
    ("troca trocar", "exchange replace"),
    ("reembolso", "refund"),
    ("reclamação", "complaint"),
    ("documento documentos", "document documents"),
    ("cadastro", "registration"),
    ("po", "purchase order"),
    # A purchase order is the order placed with a supplier: "cancel PO-3107" and
    # "cancela o pedido de compra" name cancel_supplier_order without the word.
    ("compra compras po", "supplier"),
    # Brazilian states and their codes (UF): an item lists "BA, PE, CE", a question
    # names Bahia. Only names no common word shares ("Pará" is "para", "Rio de
    # Janeiro" holds "janeiro").
    ("acre", "ac"),
    ("alagoas", "al"),
    ("amapá", "ap"),
    ("amazonas", "am"),
    ("bahia", "ba"),
    ("ceará", "ce"),
    ("goiás", "go"),
    ("maranhão", "ma"),
    ("minas gerais", "mg"),
    ("paraíba", "pb"),
    ("paraná", "pr"),
    ("pernambuco", "pe"),
    ("piauí", "pi"),
    ("rondônia", "ro"),
    ("roraima", "rr"),
    ("sergipe", "se"),
    ("tocantins", "to"),
    ("catarina", "sc"),
    ("brasília", "df"),
    # State capitals a question names for the state, or the region, an item lists
    # (only names no common word shares: "Salvador", "Natal", "Vitória" and
    # "Palmas" are words).
    ("manaus", "am norte north"),
    ("belém", "pa norte north"),
    ("goiânia", "go"),
    ("cuiabá", "mt"),
    ("recife", "pe nordeste northeast"),
    ("fortaleza", "ce nordeste northeast"),
    ("maceió", "al nordeste northeast"),
    ("teresina", "pi nordeste northeast"),
    ("aracaju", "se nordeste northeast"),
    ("curitiba", "pr sul south"),
    ("florianópolis", "sc sul south"),
) + PRODUCT_KINDS


TIME_UNIT = r"(?:dias?|days?|semanas?|weeks?|m[eê]s(?:es)?|months?|anos?|years?)\b"
# What an item gives speaks of the words a question asks for it by: ``(pattern of
# the fact in the item, the words)``.
ITEM_FACTS = (
    # A clock time ("até as 13h", "7:30", "6 pm"): "até que horas...?", "what time...?".
    (
        re.compile(r"\b\d{1,2}(?:h(?:\d{2})?\b|:\d{2}\b|\s*[ap]m\b)", re.I),
        "hora horas horário horários hour hours time",
    ),
    # A duration ("em até 7 dias", "30 days", "28/56 dias", "1–2 business days"):
    # "qual o prazo...?", "how long...?".
    (
        re.compile(r"\b\d+(?:/\d+)*\s*(?:business\s+|working\s+|calendar\s+)?" + TIME_UNIT, re.I),
        "prazo prazos deadline tempo time long period período demora demorar",
    ),
    # A phone number or extension ("(11) 3456-7800", "ramal 214"): "qual o
    # telefone...?", "who do I call?".
    (
        re.compile(
            r"\(\d{2}\)\s*\d{4,5}-?\d{4}\b|\b\d{4,5}-\d{4}\b|\b(?:ramal|ext\.?)\s*\d{2,5}\b", re.I
        ),
        "telefone telefones fone número ligar ligue contato phone number call contact",
    ),
    # An amount of money ("R$ 1.500", "2,000 BRL"): "a partir de que valor...?".
    (
        re.compile(r"(?:R|US)?\$\s*\d|€\s*\d|\b\d[\d.,]*\s*(?:BRL|USD|EUR|reais)\b", re.I),
        "valor valores preço quanto value amount price",
    ),
    # An e-mail address: "qual o e-mail...?" ("how do I reach them?" is not asked
    # for it: a delivery reaches a customer too).
    (text.EMAIL, "email contato endereço contact address"),
    # A temperature ("-40 °C a +100 °C"): "até quantos graus...?".
    (
        re.compile(r"\d\s*°\s*[CF]\b"),
        # Not "grau": "grau de proteção" asks for an IP rating.
        "graus temperatura temperaturas degrees temperature temp",
    ),
    # Measures ("d=35 mm", "62 mm"): "quais as dimensões...?", "what size...?".
    (
        re.compile(r"\b\d+(?:[.,]\d+)?\s*(?:mm|cm)\b", re.I),
        "dimensão dimensões medida medidas tamanho dimension dimensions size measures",
    ),
)
