"""Routing of requests written the way users talk (mcp_crew/tests/routing_requests.json)
against the crews the addon ships, the built-in intents and the demo server's tools.

The router is tuned on the tuning half only; ``tools/routing_report.py`` prints
the figures of both halves and the requests still missed.
"""

import pytest

from mcp_crew.services import router
from mcp_crew.tests import routing_set


@pytest.fixture(scope="module")
def shipped_router():
    return routing_set.shipped_router()


def test_the_set_is_what_users_send():
    tuning, held_out = routing_set.DATA["tuning"], routing_set.DATA["held_out"]
    assert len(tuning) + len(held_out) >= 80
    assert not {case["message"] for case in tuning} & {case["message"] for case in held_out}
    everything = tuning + held_out
    assert {"pt", "en"} <= {router.detect_language(case["message"]) for case in everything}
    assert {"crew", "intent", "tool", "knowledge"} <= {
        case["expect"].split(":")[0] for case in everything
    }
    # Every shipped crew, the default one included, is expected in each half.
    codes = {"crew:%s" % crew.ident for crew in routing_set.shipped_crews()}
    for half in (tuning, held_out):
        assert codes <= {case["expect"] for case in half}


def test_the_crews_list_the_tuning_half_as_examples_and_never_the_held_out_half():
    examples = {example for crew in routing_set.shipped_crews() for example in crew.examples}
    held_out = {routing_set.as_example(case["message"]) for case in routing_set.DATA["held_out"]}
    assert not examples & held_out
    assert routing_set.unlisted_tuning_requests() == {}


def test_tuning_half(shipped_router):
    cases = routing_set.DATA["tuning"]
    misses = routing_set.replay(shipped_router, cases)
    print(routing_set.summary("tuning", cases, misses))
    assert len(misses) / len(cases) <= 0.05, misses


def test_with_an_llm_no_request_is_refused(shipped_router):
    for case in routing_set.DATA["tuning"] + routing_set.DATA["held_out"]:
        decision = shipped_router.route(case["message"], llm_available=True)
        assert decision.kind != "llm_required", case["message"]
        if decision.ident == "general":
            assert "default crew" in decision.reason


def test_without_an_llm_unclaimed_requests_still_say_so(shipped_router):
    decision = shipped_router.route("Oi, tudo bem?")
    assert (decision.kind, decision.ident) == ("llm_required", "")


def with_llm(crew_router, message, **knowledge):
    return crew_router.route(message, llm_available=True, **knowledge)


def test_a_question_about_a_concept_goes_to_the_default_crew(shipped_router):
    # Specialist words ("lead", "opportunity") do not make it their work...
    decision = with_llm(shipped_router, "what's the difference between a lead and an opportunity?")
    assert (decision.kind, decision.ident) == ("crew", "general")
    assert "how it works" in decision.reason
    # ...but a code makes it a question about that thing.
    decision = with_llm(shipped_router, "qual a diferença entre o rolamento 6205 e o 6206?")
    assert (decision.kind, decision.ident) == ("crew", "product_research")


def test_a_difference_asked_in_more_words_is_a_concept_question(shipped_router):
    for message in (
        "on an import quote, what's the practical difference between FOB and EXW for us?",
        "I'm new in billing and would like to understand the difference between a credit "
        "note and a refund in Odoo, could you explain?",
    ):
        decision = with_llm(shipped_router, message)
        assert (decision.kind, decision.ident) == ("crew", "general"), message
        assert "how it works" in decision.reason


def test_a_difference_to_explain_in_a_few_lines_is_a_concept_question(shipped_router):
    decision = with_llm(
        shipped_router, "Explain in three lines the difference between EBIT and EBITDA."
    )
    assert (decision.kind, decision.ident) == ("crew", "general")


def test_a_sum_to_work_out_goes_to_the_default_crew(shipped_router):
    for message in (
        "calcula pra mim 18% de 7.320 por favor",
        "what's 1.250 + 380 + 95?",
        "what's R$ 6,320.00 minus a 12% discount?",
        "quanto dá 36 caixas de 50 arruelas cada mais 120 avulsas?",
    ):
        decision = with_llm(shipped_router, message)
        assert (decision.kind, decision.ident) == ("crew", "general"), message
        assert "a sum" in decision.reason
    # A record named makes it that record's work; sizes are no sum.
    decision = with_llm(shipped_router, "aplica 5% de desconto no pedido S01342")
    assert (decision.kind, decision.ident) == ("crew", "odoo_operations")
    decision = with_llm(shipped_router, "quem vende retentor 45x62x8 NBR mais barato?")
    assert (decision.kind, decision.ident) == ("crew", "product_research")


def test_an_acronym_asked_about_is_a_concept_question(shipped_router):
    decision = with_llm(
        shipped_router,
        "What exactly is DIFAL on ICMS? The head office keeps asking and I want a short answer.",
    )
    assert (decision.kind, decision.ident) == ("crew", "general")
    # A name asked about in a longer question is not.
    decision = with_llm(shipped_router, "What is WEG's lead time for motors?")
    assert (decision.kind, decision.ident) == ("crew", "product_research")


def test_a_question_about_the_assistant_is_small_talk(shipped_router):
    for message in ("quem é você? o q vc sabe fazer pra mim", "hi! who are you?"):
        decision = with_llm(shipped_router, message)
        assert (decision.kind, decision.ident) == ("crew", "general"), message
        assert "about the assistant" in decision.reason
    # What it can do about something is that something's work.
    decision = with_llm(
        shipped_router, "customer says order S01877 is 5 days late, what can you do for him?"
    )
    assert (decision.kind, decision.ident) == ("crew", "customer_service")


def test_a_text_given_to_summarise_is_not_what_the_request_is_about(shipped_router):
    decision = with_llm(
        shipped_router,
        'Resume essa mensagem do cliente em 2 linhas: "Solicitamos revisão das condições '
        'comerciais e do faturamento mínimo para o próximo semestre, considerando o volume..."',
    )
    assert (decision.kind, decision.ident) == ("crew", "general")
    assert "summarise" in decision.reason
    # Summarising data is analysis.
    decision = with_llm(shipped_router, "resume as vendas de outubro por região")
    assert (decision.kind, decision.ident) == ("crew", "data_analysis")


def test_a_text_to_write_goes_to_the_default_crew_unless_a_crew_claims_it(shipped_router):
    decision = with_llm(
        shipped_router, "write a short email to the team about the new meeting room rules"
    )
    assert (decision.kind, decision.ident) == ("crew", "general")
    assert "text" in decision.reason
    decision = with_llm(
        shipped_router,
        "write a reply to the customer complaining about the late delivery and the refund",
    )
    assert (decision.kind, decision.ident) == ("crew", "customer_service")


def test_who_a_text_is_for_is_not_what_it_is_about(shipped_router):
    # "vendas" and "semana" would claim it for analysis; they say who reads it.
    decision = with_llm(
        shipped_router,
        "me ajuda a escrever um email pro time de vendas lembrando da convenção em Atibaia "
        "semana q vem",
    )
    assert (decision.kind, decision.ident) == ("crew", "general")
    assert "text" in decision.reason
    # What the text is about still claims it.
    decision = with_llm(
        shipped_router, "write an email to the sales team with last month's sales figures by region"
    )
    assert (decision.kind, decision.ident) == ("crew", "data_analysis")


def test_a_tool_asked_for_before_a_crews_work_makes_the_request_mixed(shipped_router):
    for message in (
        "I need the freight to BA for a quote, and also open a lead for Hospital Santa Clara "
        "in Salvador",
        "preciso saber o frete pra PE e tb cadastrar um lead novo da Usina Serra Grande",
        # A comma and "then" join a second ask too.
        "Check the freight to Bahia for me, then create a lead for Hospital Santa Clara",
    ):
        decision = with_llm(shipped_router, message)
        assert (decision.kind, decision.ident) == ("crew", "general"), message
        assert "tool freight_estimate" in decision.reason and "Odoo operations" in decision.reason
    # After the crew's ask, the freight is part of its work (the offers landed).
    decision = with_llm(
        shipped_router,
        "compara as ofertas da correia B-71 e me diz qual sai melhor já com frete pra MG",
    )
    assert (decision.kind, decision.ident) == ("crew", "product_research")
    # A word every request says ("order") is no tool's ask: the order's status is
    # customer service's, beside analysis's ranking.
    decision = with_llm(
        shipped_router,
        "check where order S04871 for Fazenda Horizonte is and also pull last month's "
        "best-selling products",
    )
    assert "cancel_supplier_order" not in decision.reason


def test_a_list_of_asks_for_several_crews_goes_to_the_default_crew(shipped_router):
    decision = with_llm(
        shipped_router,
        "Before the sales meeting in Fortaleza I need: last quarter's sales for Ceará, any "
        "open complaints from customers there, and what it costs to ship a 200 kg pallet to CE.",
    )
    assert (decision.kind, decision.ident) == ("crew", "general")
    assert "Data analysis" in decision.reason and "Customer service" in decision.reason
    # Details of one ask listed after a colon are no asks of their own.
    decision = with_llm(
        shipped_router,
        "Need full specs of the Schneider contactor LC1D25 with 24V coil: AC-3 rating, aux "
        "contacts, and does the LRD22 overload relay mount directly on it?",
    )
    assert (decision.kind, decision.ident) == ("crew", "product_research")


def test_a_tool_asked_for_after_a_crews_work_makes_the_request_mixed_unless_it_is_that_work(
    shipped_router,
):
    for message in (
        "status do pedido S01871 e tb quanto ta o dolar hj",
        "cria lead pra Mineração Vale Verde e calcula frete pra PA de 400kg",
    ):
        decision = with_llm(shipped_router, message)
        assert (decision.kind, decision.ident) == ("crew", "general"), message
        assert "tool " in decision.reason, message
    # A plain "and" joins a tool's ask too, after a crew's, in one sentence.
    decision = with_llm(shipped_router, "status do pedido S01871 e quanto tá o dólar hoje")
    assert (decision.kind, decision.ident) == ("crew", "general")
    assert "tool exchange_rate" in decision.reason
    # The freight of the offers compared is the comparison's.
    decision = with_llm(
        shipped_router,
        "compare as ofertas dos fornecedores pra correia B-71 e me diz qual compensa "
        "considerando o frete pra GO",
    )
    assert (decision.kind, decision.ident) == ("crew", "product_research")


def test_a_list_is_read_in_a_request_of_one_sentence(shipped_router):
    # In a longer text, commas and "and" tell the story of one ask.
    decision = with_llm(
        shipped_router,
        "For the board meeting on 20 May I need a clear picture of how our pump business has "
        "performed since January 2025. Please break revenue and gross margin down by quarter "
        "and by region (Campinas, Guarulhos and Curitiba), highlight the five customers that "
        "grew most, and add a short note on each product line, as the board members are not "
        "all familiar with them.",
    )
    assert (decision.kind, decision.ident) == ("crew", "data_analysis")


def test_a_rate_by_supplier_is_data(shipped_router):
    decision = with_llm(
        shipped_router,
        "Return rate by supplier for 2025, I think the Schaeffler bearings come back more often",
    )
    assert (decision.kind, decision.ident) == ("crew", "data_analysis")


def test_opening_a_lead_is_an_operation(shipped_router):
    decision = with_llm(
        shipped_router,
        "Open a lead for Hospital Santa Marta, they want a quote for 2 booster pumps.",
    )
    assert (decision.kind, decision.ident) == ("crew", "odoo_operations")


def test_a_warranty_claim_is_customer_services(shipped_router):
    decision = with_llm(
        shipped_router,
        "A Fundição Itaúna quer abrir garantia do motor WEG W22 que queimou com 5 meses, "
        "abre o chamado de garantia pfv",
    )
    assert (decision.kind, decision.ident) == ("crew", "customer_service")
    # Comparing warranties is research.
    decision = with_llm(shipped_router, "compara a garantia do motor WEG W22 com a do Voges")
    assert (decision.kind, decision.ident) == ("crew", "product_research")


def test_a_request_for_two_crews_work_goes_to_the_default_crew(shipped_router):
    message = (
        "pesquisa o preço do motor WEG 5cv nos fornecedores e já cria um orçamento "
        "pro cliente Ferragens Lima"
    )
    decision = with_llm(shipped_router, message)
    assert (decision.kind, decision.ident) == ("crew", "general")
    assert "Product research" in decision.reason and "Odoo operations" in decision.reason
    # One crew's work asked twice is still that crew's.
    decision = with_llm(
        shipped_router, "analisa as vendas do trimestre e depois me mostra o ranking por região"
    )
    assert (decision.kind, decision.ident) == ("crew", "data_analysis")
    # A part whose words the first part's crew claims as much goes on with its
    # work: "fatura" is an operation's invoice (and a stem of "faturamento").
    decision = with_llm(shipped_router, "confirma o pedido S02301 e já gera a fatura, o pix caiu")
    assert (decision.kind, decision.ident) == ("crew", "odoo_operations")
    # Without an LLM nothing can run it; the router names the crew the words point to.
    decision = shipped_router.route(message)
    assert decision.kind == "llm_required"


def test_portuguese_words_name_a_tool_described_in_english(shipped_router):
    decision = shipped_router.route("cancela o pedido de compra PO-5521 do fornecedor")
    assert (decision.kind, decision.ident) == ("tool", "7:cancel_supplier_order")
    assert decision.candidates[0].signals["keywords"] == 1.0
    # A sale order is not a purchase order.
    decision = with_llm(shipped_router, "cancela o pedido de venda S00450")
    assert decision.kind == "crew"


def test_a_knowledge_item_in_the_other_language_answers_the_question(shipped_router):
    item = "Frete grátis\nPedidos acima de R$ 1.500 têm frete grátis."
    decision = with_llm(
        shipped_router,
        "is shipping free for orders over some value?",
        knowledge_score=0.8,
        knowledge_text=item,
    )
    assert decision.kind == "knowledge"
    # "value" too: the item gives an amount (R$ 1.500).
    assert "covering 80 %" in decision.reason


def test_thanks_are_small_talk_whatever_they_name(shipped_router):
    decision = with_llm(shipped_router, "valeu, esse relatório de vendas me salvou")
    assert (decision.kind, decision.ident, decision.offer_tools) == ("crew", "general", False)
    # Thanks followed by an ask are the ask.
    decision = with_llm(shipped_router, "Obrigado! Agora cria o orçamento pro cliente Metalfort")
    assert (decision.kind, decision.ident) == ("crew", "odoo_operations")


def test_a_purchase_order_is_the_suppliers_order(shipped_router):
    for message in ("Cancel PO-3107, we found it cheaper", "cancela o pedido de compra 4471"):
        decision = shipped_router.route(message)
        assert (decision.kind, decision.ident) == ("tool", "7:cancel_supplier_order"), message


def answered_by(crew_router, question, item, score=0.8):
    """Whether the knowledge ``item``, found with ``score``, answers ``question``."""
    decision = with_llm(crew_router, question, knowledge_score=score, knowledge_text=item)
    return decision.kind == "knowledge"


def test_an_item_giving_a_clock_time_answers_until_what_time(shipped_router):
    question = "até que horas posso fechar pedido pra sair no mesmo dia?"
    cutoff = "Corte da expedição\nPedidos confirmados até as 13h saem no mesmo dia."
    assert answered_by(shipped_router, question, cutoff)
    no_time = "Corte da expedição\nPedidos confirmados pela manhã saem no mesmo dia."
    assert not answered_by(shipped_router, question, no_time)


def test_a_code_matches_an_item_that_spaces_it(shipped_router):
    item = "Motor WEG W22 IR3 2 cv 4 polos\nRotação nominal 1735 rpm; carcaça 90S."
    assert answered_by(shipped_router, "qual a rotação nominal do motor WEG W22 2cv 4 polos?", item)
    # Another model is another product, however alike the codes.
    item = "Rolamento SKF 6310-2RSH\nd 50 mm, D 110 mm, B 27 mm."
    assert not answered_by(shipped_router, "qual o diâmetro externo do 6310-2RS?", item)


def test_an_item_giving_a_duration_answers_what_term(shipped_router):
    question = "qual o prazo pro cliente pedir devolução?"
    policy = (
        "Política de devolução\nDevoluções aceitas em até 7 dias após o recebimento, com o "
        "produto sem uso, mediante NF de devolução do cliente."
    )
    assert answered_by(shipped_router, question, policy)
    vague = policy.replace("em até 7 dias após o recebimento", "logo após o recebimento")
    assert not answered_by(shipped_router, question, vague)


def test_a_question_in_english_is_covered_by_an_item_in_portuguese(shipped_router):
    item = (
        "Condições de pagamento – clientes novos\n"
        "Primeiro pedido de cliente novo: pagamento à vista (PIX ou boleto)."
    )
    assert answered_by(shipped_router, "what's the standard payment term for new customers?", item)


def test_a_text_to_write_beside_a_specialists_ask_goes_to_the_default_crew(shipped_router):
    decision = with_llm(
        shipped_router,
        "Analyse this year's sales to Hidrotec and then draft an email to thank them",
    )
    assert (decision.kind, decision.ident) == ("crew", "general")
    assert "Data analysis" in decision.reason and "a text to write" in decision.reason
    decision = with_llm(shipped_router, "translate to english: 'o prazo de entrega é de 15 dias'")
    assert (decision.kind, decision.ident) == ("crew", "general")


def test_the_kinds_of_the_assistants_tools_may_be_listed(shipped_router):
    for message in (
        "quais ferramentas e integrações vc, o assistente, consegue usar?",
        "¿Qué herramientas o integraciones tienes disponibles?",
        "vc tem acesso a quais funções? me lista aí",
    ):
        decision = shipped_router.route(message)
        assert (decision.kind, decision.ident) == ("intent", "list_tools"), message


def test_the_assistants_functions_are_its_tools(shipped_router):
    for message in (
        "lista as funções que o assistente consegue usar",
        "which integrations or functions can you call?",
        "list your functions pls",
        "o que vc consegue acessar? tem integracao com o que?",
    ):
        decision = shipped_router.route(message)
        assert (decision.kind, decision.ident) == ("intent", "list_tools"), message


def test_how_a_kind_of_thing_works_is_a_concept_question(shipped_router):
    for message in (
        "how does a VFD actually save energy on a pump?",
        "como um inversor economiza energia numa bomba?",
    ):
        decision = with_llm(shipped_router, message)
        assert (decision.kind, decision.ident) == ("crew", "general"), message
    # A named model is that product's question, not a concept's.
    decision = with_llm(shipped_router, "how does the CFW500 save energy on the BH-200 pump?")
    assert "how it works" not in decision.reason


def test_an_item_giving_the_e_mail_answers_the_email_question(shipped_router):
    item = "Contato – Financeiro\nE-mail: financeiro@empresa.com.br; ramal 214."
    assert answered_by(shipped_router, "qual o email do financeiro?", item)
    # However the request spells it.
    assert answered_by(shipped_router, "qual o e-mail do financeiro?", item)


def test_a_word_the_speller_would_change_still_covers_the_item_that_uses_it():
    """The speller spells a request's unknown words as the crews do ("grande" is
    one typo from a crew's "grade"); the knowledge item is read as the user typed.
    (A router of its own: the shipped crews' examples may come to say "grande".)"""
    crews = [
        router.Target("crew", "bolts", "Bolts", keywords=("grade", "parafuso")),
        router.Target("crew", "sales", "Sales", keywords=("vendas",)),
    ]
    crew_router = router.Router(crews)
    question = "qual o prazo de entrega pra grande são paulo?"
    assert "grade" in crew_router._corrected(question).split()
    item = (
        "Prazo de entrega – Grande São Paulo\nPedidos confirmados até as 14h são "
        "entregues em até 1 dia útil na Grande São Paulo."
    )
    decision = with_llm(crew_router, question, knowledge_score=0.8, knowledge_text=item)
    assert decision.kind == "knowledge"
    assert "covering 100 %" in decision.reason


def test_what_an_item_gives_covers_the_words_a_question_asks_it_by(shipped_router):
    """A phone number answers "telefone", an e-mail "contato", measures in mm
    "dimensions", an amount "valor" (as a clock time answers "até que horas")."""
    phone = "Contato – Financeiro\nCobrança e boletos: (11) 3456-7890, ramal 214."
    assert answered_by(
        shipped_router, "qual o telefone do financeiro pra ligar sobre boleto?", phone
    )
    assert not answered_by(
        shipped_router,
        "qual o telefone do financeiro pra ligar sobre boleto?",
        "Financeiro\nBoletos.",
    )
    email = "Suporte técnico\nsuporte@empresa.com.br, de segunda a sexta."
    assert answered_by(shipped_router, "qual o contato do suporte técnico?", email)
    sizes = "Rolamento 6204-2RS\nDiâmetro interno 20 mm, externo 47 mm, largura 14 mm."
    assert answered_by(shipped_router, "what are the dimensions of the 6204-2RS?", sizes)
    amount = "Frete grátis\nPedidos acima de R$ 1.500 têm frete grátis."
    assert answered_by(shipped_router, "a partir de qual valor o frete é grátis?", amount)


def test_what_a_designation_means_and_a_translation_are_the_default_crews(shipped_router):
    decision = with_llm(shipped_router, "what does IP55 actually mean? customers keep asking")
    assert (decision.ident, decision.offer_tools) == ("general", False)
    # A code asked about otherwise is a product's.
    decision = with_llm(shipped_router, "qual a vazão da bomba BC-92 a 20 mca?")
    assert decision.ident == "product_research"
    decision = with_llm(
        shipped_router,
        "traduz pro ingles: Prezado fornecedor, solicitamos o certificado do lote 2291.",
    )
    assert (decision.ident, decision.offer_tools) == ("general", False)
    assert decision.reason == "asks for a translation: the default crew General assistant writes it"


def test_the_assistants_tools_asked_for_in_chat_portuguese(shipped_router):
    for message in ("me lista as funções q vc tem", "me mostra a lista de ferramentas"):
        decision = shipped_router.route(message)
        assert (decision.kind, decision.ident) == ("intent", "list_tools"), message


def test_chat_abbreviations_are_read_as_the_words_they_stand_for(shipped_router):
    assert router.spelt_out("q ferramentas vc tem? e tb qto custa, c/ frete p/ BA") == (
        "que ferramentas você tem? e também quanto custa, com frete para BA"
    )
    # Codes and words that merely hold the letters stay as typed.
    assert router.spelt_out("PO-4471 u.s. quota tbd pq-12") == "PO-4471 u.s. quota tbd pq-12"
    decision = shipped_router.route("q ferramentas vc tem acesso?")
    assert (decision.kind, decision.ident) == ("intent", "list_tools")
    # "e tb" joins a second ask, as "e também" does: two crews' work.
    decision = with_llm(
        shipped_router, "ve o status do S02044 da Metalcorte e tb me fala qto vendemos pra eles"
    )
    assert decision.ident == "general" and "mixes the work of several crews" in decision.reason


def test_the_question_is_covered_not_what_follows_it(shipped_router):
    sizes = "Rolamento 6204-2RS\nDiâmetro interno 20 mm, externo 47 mm, largura 14 mm."
    question = "what are the dimensions of the 6204-2RS? got a customer on the line, he's waiting"
    assert answered_by(shipped_router, question, sizes)
    # A code in what follows still has to be the item's: this is about another bearing.
    assert not answered_by(shipped_router, "what are the dimensions? it's for the 6310-2RS", sizes)


def test_a_code_and_a_state_read_in_either_language(shipped_router):
    motor = (
        "Motor WEG W22 IR3 Premium 5 cv 4 polos\nTemperatura ambiente de -20 °C a +40 °C, "
        "altitude até 1000 m."
    )
    question = "what ambient temperature range is the WEG W22 IR3 Premium 5 cv 4-pole rated for?"
    assert answered_by(shipped_router, question, motor)
    assert not answered_by(shipped_router, question.replace("4-pole", "2-pole"), motor)
    northeast = "Prazo de entrega – Nordeste\nBA, PE, CE e demais estados: 6 a 10 dias úteis."
    assert answered_by(shipped_router, "how long does delivery to Bahia usually take?", northeast)


def test_how_long_someone_has_to_do_something_is_a_rule_a_policy_states(shipped_router):
    returns = (
        "Política de devoluções – erro do cliente\nAceitamos devolução em até 7 dias corridos "
        "após o recebimento, com produto sem uso e na embalagem original."
    )
    # Customer service's words ("devolver") claim it clearly; the policy answers it.
    assert answered_by(
        shipped_router, "quanto tempo o cliente tem pra devolver peça que comprou errado?", returns
    )
    # The story after the ask ("the wrong size") is not what it asks for.
    assert answered_by(
        shipped_router,
        "how many days does a customer have to return an item, they picked the wrong size?",
        returns,
    )
    # Asking for the return to be processed is work.
    assert not answered_by(
        shipped_router, "o cliente tem 7 dias pra devolver? então já abre a devolução dele", returns
    )


def test_how_long_something_takes_is_a_lead_time_a_policy_states(shipped_router):
    regions = (
        "Delivery times per region\nBusiness days after invoicing: Southeast 2-4 days, "
        "Northeast 6-9 days, North (AM, PA, RR) 9-14 days."
    )
    for question in (
        "How long does it usually take for an order to reach a customer in Manaus?",
        "qual o prazo que o cliente do Pará tem pra receber depois do faturamento?",
        "pedido faturado hoje leva quantos dias pra chegar no nordeste?",
    ):
        assert answered_by(shipped_router, question, regions), question


def test_a_question_passed_on_by_a_customer_somewhere(shipped_router):
    freight = (
        "Regras de frete\nFrete por nossa conta (CIF) em pedidos acima de R$ 3.000 para SP, MG, "
        "RJ e PR."
    )
    assert answered_by(
        shipped_router,
        "cliente de Jundiaí perguntou a partir de qual valor de pedido o frete sai por nossa conta",
        freight,
    )


def test_a_question_asked_at_its_end(shipped_router):
    warranty = (
        "Garantia – Ferramentas elétricas\nFerramentas Bosch e Makita têm garantia de 12 meses "
        "contra defeitos de fabricação."
    )
    assert answered_by(shipped_router, "garantia da furadeira bosch é quanto tempo", warranty)


def test_a_lookup_of_a_fact_an_item_gives_in_full(shipped_router):
    sheet = (
        "Ficha técnica – Rolamento SKF 6206-2RS\nDiâmetro interno (d): 30 mm\n"
        "Diâmetro externo (D): 62 mm\nLargura (B): 16 mm"
    )
    # The suffix typed apart is the model's: the 6206-2RS, not the open 6206.
    assert answered_by(shipped_router, "6206 2rs skf medida interna externa e largura", sheet)
    assert not answered_by(shipped_router, "6206 2z skf medida interna externa e largura", sheet)


def test_calendar_days_and_a_protection_degree_are_the_facts_asked_for(shipped_router):
    returns = "Return Policy\nProducts may be returned within 7 calendar days of receipt, unused."
    assert answered_by(
        shipped_router, "Customer asks: how long do they have to send back an unused item?", returns
    )
    drive = (
        "WEG CFW500 Variable Speed Drive – Product sheet\nPower range: 0.18 to 30 kW\n"
        "Enclosure: IP20 (standard), IP66 version available."
    )
    # "grau de proteção" asks for an IP rating, not a temperature.
    assert answered_by(shipped_router, "qual o grau de proteção do inversor CFW500 padrão?", drive)


def test_a_clause_that_goes_on_with_and_asks_more(shipped_router):
    motor = (
        "WEG W22 IE3 – 15 cv – 4 polos – Data sheet\nFrame: 160M\nRated current @380 V: "
        "21.4 A\nProtection: IP55"
    )
    # The price is asked for too, and the item gives none.
    assert not answered_by(
        shipped_router,
        "Who can supply the W22 15 cv IE3 4-pole fastest, and at what price?",
        motor,
    )


def test_a_capital_is_its_state_and_its_region(shipped_router):
    regions = (
        "Prazos de entrega por região (a partir de São Paulo)\nSudeste: 1 a 3 dias úteis\n"
        "Nordeste (BA, SE, AL, PE, PB, RN, CE, PI, MA): 6 a 9 dias úteis\n"
        "Norte: 10 a 15 dias úteis"
    )
    # How long it takes to arrive is a delivery time, asked in either order.
    assert answered_by(
        shipped_router, "quanto tempo leva pra chegar mercadoria de SP em Fortaleza?", regions
    )
    assert answered_by(
        shipped_router, "pedido saindo de SP leva quantos dias pra chegar em Maceió?", regions
    )


def test_a_temperature_where_a_thing_works_is_no_code(shipped_router):
    belt = (
        "Gates PowerGrip GT3 timing belt – Data sheet (8MGT)\nPitch: 8 mm.\n"
        "Operating temperature: -30 °C to +85 °C."
    )
    assert answered_by(
        shipped_router,
        "Gates 8MGT belt, what temperature range is it rated for? It runs near a dryer at 60 °C.",
        belt,
    )


def test_an_o_ring_is_a_seal(shipped_router):
    o_rings = (
        "Data sheet – FKM (Viton) O-rings, standard line\nContinuous service range: -20 °C "
        "to +200 °C, short peaks up to 230 °C."
    )
    assert answered_by(
        shipped_router, "up to what temperature do the Viton seals we sell go?", o_rings
    )
    assert not answered_by(
        shipped_router, "up to what temperature do the Viton hoses we sell go?", o_rings
    )


def test_a_tool_the_request_names_beats_a_crew_ahead_only_by_its_examples(shipped_router):
    decision = shipped_router.route(
        "Cancel purchase order PO-3107, the supplier can't meet the date."
    )
    assert (decision.kind, decision.ident) == ("tool", "7:cancel_supplier_order")
    # A sale order stays the operations crew's.
    decision = with_llm(shipped_router, "cancel sale order S00450, the customer gave up")
    assert (decision.kind, decision.ident) == ("crew", "odoo_operations")
    # The ask comes first; the crew's keywords in the reason after it do not
    # make it the crew's ("confirmou" is the operations crew's "confirmar").
    for message in (
        "cancela a PO-4471 com a Rolemax, fornecedor não confirmou o prazo",
        "Please cancel purchase order PO-3087 with Hidráulica Sul. Reason: we found stock.",
    ):
        decision = with_llm(shipped_router, message)
        assert (decision.kind, decision.ident) == ("tool", "7:cancel_supplier_order"), message


def test_example_requests_are_read_with_chat_abbreviations_spelt_out_too():
    crews = [
        router.Target("crew", "quotes", "Quotes", examples=("qto ta o frete pra BA?",)),
        router.Target("crew", "general", "General", fallback=True),
    ]
    decision = router.Router(crews).route("quanto fica o frete", llm_available=True)
    quotes = next(c for c in decision.candidates if c.ident == "quotes")
    # The example's "qto" is "quanto": two words shared of four in all (frete, BA).
    assert quotes.signals["examples"] == pytest.approx(2 / 4)


def test_a_question_partly_in_other_words_is_answered_when_no_crew_claims_it(shipped_router):
    """People ask in their own words: an item that gives what the question asks
    for (here an extension to call) answers it although it shares few of its
    words, unless a crew's words claim the request clearly."""
    contacts = (
        "Finance contacts\nAccounts receivable: Cláudia Prado, ext. 214, financeiro@empresa.com."
    )
    question = "who do I call in finance about a boleto problem? need the extension"
    assert shipped_router._knowledge_coverage(question, "english", contacts) < 0.6
    assert answered_by(shipped_router, question, contacts)
    # Without what is asked for (a number to call), the item answers nothing.
    assert not answered_by(shipped_router, question, "Finance\nAccounts receivable: Cláudia Prado.")


def test_the_kind_of_product_asked_about_is_key_like_a_code(shipped_router):
    bolt = "Parafuso sextavado M8\nPreço 0,35 BRL por unidade, aço zincado."
    assert not answered_by(shipped_router, "qual o preço da arruela M8?", bolt)
    assert answered_by(shipped_router, "qual o preço do parafuso M8?", bolt)
    # A brand's name may hold the kind: Mobilgrease is a grease ("graxa").
    grease = "Mobilgrease XHP 222\nFaixa de trabalho de -20 °C a 140 °C."
    assert answered_by(shipped_router, "faixa de temperatura da graxa Mobilgrease XHP 222?", grease)


def test_a_units_initial_after_a_number_is_that_unit(shipped_router):
    sheet = "Motor WEG W22 10 cv 4 polos\nCorrente nominal 14,8 A em 380 V."
    assert answered_by(shipped_router, "corrente nominal do W22 10cv 4p em 380V?", sheet)
    assert not answered_by(
        shipped_router, "corrente nominal do W22 10cv 4p em 380V?", sheet.replace("4", "2")
    )


def test_a_decimal_belongs_to_its_code(shipped_router):
    five = "Motor WEG W22 5cv\nCorrente nominal 13,8 A em 220 V; carcaça 100L."
    assert not answered_by(shipped_router, "corrente nominal do motor W22 7,5cv?", five)
    seven = five.replace("5cv", "7.5 cv")
    assert answered_by(shipped_router, "corrente nominal do motor W22 7,5cv?", seven)


def test_a_number_is_a_code_the_item_may_hyphenate(shipped_router):
    terms = (
        "Payment terms – new customers\nFirst order paid in advance; the standard 28-day "
        "boleto applies after credit approval."
    )
    assert answered_by(shipped_router, "cliente novo pode pagar boleto 28 dias?", terms)
    # The code's end is still anchored: 6310 is not the item's 6310-2RS.
    sizes = "Rolamento 6310-2RS\nd 50 mm, D 110 mm, B 27 mm."
    assert not answered_by(shipped_router, "quais as medidas do 6310?", sizes)


def test_a_question_mark_inside_the_message_makes_it_a_question(shipped_router):
    terms = (
        "Condições de pagamento – clientes novos\nPrimeira compra de cliente novo: pagamento "
        "à vista, por PIX ou boleto."
    )
    question = "cliente novo paga como? qual a condição de pagamento na primeira compra"
    assert answered_by(shipped_router, question, terms)


def test_the_assistants_tools_asked_for_mid_sentence(shipped_router):
    for message in (
        "before we start: which tools are connected to this assistant?",
        "vc acessa quais funcoes? lista ai",
        "tipo, quais funções tem aí pra vc chamar?",
    ):
        decision = shipped_router.route(message)
        assert (decision.kind, decision.ident) == ("intent", "list_tools"), message
    # The company sells tools too: which of them is not the assistant's.
    decision = with_llm(shipped_router, "quais ferramentas Bosch a gente mais vendeu em 2025?")
    assert decision.kind == "crew"


def test_an_integration_that_does_not_answer_is_a_server_status_question(shipped_router):
    for message in (
        "a integração tá respondendo? deu erro agora",
        "check if the integrations are answering pls",
        "as integrações do assistente tão lentas hoje?",
    ):
        decision = shipped_router.route(message)
        assert (decision.kind, decision.ident) == ("intent", "server_status"), message


def test_the_difference_asked_after_the_things_is_a_concept_question(shipped_router):
    for message in (
        "markup e margem, qual a diferença msm?",
        "nf de remessa e nf de venda qual a diferença?",
        "lead and opportunity, what's the difference?",
        "how do I explain 'lead time' to a farm customer?",
    ):
        decision = with_llm(shipped_router, message)
        assert (decision.ident, decision.offer_tools) == ("general", False), message
    # The difference in a figure is the data's.
    decision = with_llm(shipped_router, "qual a diferença de faturamento entre 2024 e 2025?")
    assert decision.ident == "data_analysis"


def test_a_duration_in_the_question_is_not_a_code_and_business_days_are_a_duration(
    shipped_router,
):
    warranty = "Garantia – Motores WEG\nGarantia de 18 meses a partir da nota fiscal."
    question = "motor WEG queimou com 10 meses de uso, qual a garantia?"
    assert "10" not in router._codes(question)
    assert answered_by(shipped_router, question, warranty)
    lead_times = "Delivery lead times by region\nSC, RS, GO, DF, MS: 3–6 business days."
    assert answered_by(shipped_router, "quanto tempo demora pra entregar em Goiânia?", lead_times)
    assert not answered_by(
        shipped_router,
        "quanto tempo demora pra entregar em Goiânia?",
        "Delivery by region\nSC, RS, GO, DF, MS: by our own trucks.",
    )


def test_a_question_passed_on_and_a_temperature_asked_in_degrees(shipped_router):
    sheet = "Ficha técnica – Mangueira Parker 451TC\nFaixa de temperatura −40 °C a +100 °C."
    question = "cliente quer saber até quantos graus aguenta a mangueira Parker 451TC"
    assert answered_by(shipped_router, question, sheet)
    assert not answered_by(shipped_router, question, sheet.replace("−40 °C a +100 °C", "ampla"))


def test_the_warehouse_and_its_pickups_in_either_language(shipped_router):
    contacts = (
        "Contatos – CD Curitiba\nSupervisor de expedição: Marcos Tavares, (41) 3344-8120. "
        "Retiradas: seg–sex 8h–17h; responsável pelas retiradas: Ana."
    )
    question = "Who is responsible for pickups in the Curitiba warehouse? I need a phone number."
    assert answered_by(shipped_router, question, contacts)


def test_asked_to_explain_a_difference_or_how_to_use_odoo_is_a_concept_question(
    shipped_router,
):
    for message in (
        "me explica a diferença entre NF de devolução e carta de correção",
        "can you explain the difference between a quotation and a sale order?",
        "how do I export the invoices list to Excel in Odoo?",
        "como faço pra anexar um PDF no pedido pelo sistema?",
    ):
        decision = with_llm(shipped_router, message)
        assert (decision.ident, decision.offer_tools) == ("general", False), message


def test_a_question_about_a_past_period_asks_for_data_not_a_policy(shipped_router):
    rules = "Regras de frete\nFrete CIF em pedidos a partir de R$ 2.500,00 para SP e MG."
    question = "qual foi o frete médio por pedido pro Nordeste no último trimestre?"
    assert not answered_by(shipped_router, question, rules)
    assert answered_by(shipped_router, "a partir de qual valor o frete é CIF pra MG?", rules)


def test_the_servers_asked_about_tersely_or_after_the_state(shipped_router):
    for message in ("status MCP", "tá tudo no ar com os servidores do assistente ou é só comigo"):
        decision = shipped_router.route(message)
        assert (decision.kind, decision.ident) == ("intent", "server_status"), message


def test_a_question_passed_on_at_its_end(shipped_router):
    lead_times = "Delivery lead times by region\nNorth (AM, PA, RR): 8–12 business days."
    question = (
        "quanto tempo demora pra chegar uma entrega em manaus mais ou menos o cliente ta "
        "perguntando"
    )
    assert shipped_router._knowledge_coverage(question, "pt", lead_times) >= 0.6
    assert answered_by(shipped_router, question, lead_times)


def test_the_verb_a_request_opens_with_names_the_crew_when_words_are_unclear(shipped_router):
    for message in (
        "muda a data de entrega do S04955 pra dia 22, o caminhão da transportadora atrasou",
        "Register a payment of R$ 18.430,00 from Cargill against INV/2026/0297, paid by PIX.",
    ):
        decision = with_llm(shipped_router, message)
        assert (decision.kind, decision.ident) == ("crew", "odoo_operations"), message
        assert decision.reason.startswith("the request opens with"), message
    # A question's first word is its subject, not an ask.
    decision = with_llm(shipped_router, "working pressure of the 2SN-12 hose?")
    assert not decision.reason.startswith("the request opens with")


def test_a_thing_sent_back_is_a_return(shipped_router):
    assert router.spelt_out("can they send the motor back?") == "can they return the motor?"
    policy = (
        "Política de devolução\nProdutos sem uso podem ser devolvidos em até 7 dias do "
        "recebimento, na embalagem original."
    )
    question = "How many days does a customer have to send something back if it's unused?"
    assert answered_by(shipped_router, question, policy)


def test_the_question_after_its_story_is_what_the_item_must_cover(shipped_router):
    policy = "Returns policy\nUnused items may be returned within 7 days of delivery."
    question = "Customer bought the wrong size but never used it — how many days to return it?"
    assert answered_by(shipped_router, question, policy)
    # A story with no question of its own words is still weighed whole.
    story = "A customer in Teresina asks how long delivery takes after billing. What do I tell him?"
    assert shipped_router._knowledge_coverage(story, "en", policy) < 0.6


def test_a_measure_to_convert_is_the_default_crews_arithmetic(shipped_router):
    for message in (
        "me ajuda a converter 1 3/16 polegada pra mm? cliente pediu rolamento nessa medida",
        "3/4 de polegada dá quantos mm?",
        "how many mm is 2 inches?",
    ):
        decision = with_llm(shipped_router, message)
        assert (decision.ident, decision.offer_tools) == ("general", False), message
    # Money is the tools' (an exchange rate), and a stock count the data's.
    assert not router._UNIT_CONVERSION.search("converte 3200 EUR pra reais")
    assert not router._UNIT_CONVERSION.search("quantos metros de mangueira temos em estoque?")


def test_the_servers_status_asked_for_as_a_check(shipped_router):
    decision = shipped_router.route("check mcp status pls")
    assert (decision.kind, decision.ident) == ("intent", "server_status")


def test_the_assistants_other_systems_and_integrations_are_its_tools(shipped_router):
    for message in (
        "What functions or integrations are you actually able to call?",
        "além do Odoo vc consegue usar que outros sistemas?",
    ):
        decision = shipped_router.route(message)
        assert (decision.kind, decision.ident) == ("intent", "list_tools"), message


def test_a_size_suffix_apart_from_its_model(shipped_router):
    sheet = (
        'Ficha técnica – Mangueira Parker 451TC\nBitola -8 (1/2"): diâmetro externo 21,8 mm, '
        "pressão máxima de trabalho 275 bar."
    )
    question = "qual a pressão max de trabalho da mangueira Parker 451TC-8?"
    assert answered_by(shipped_router, question, sheet)
    assert not answered_by(shipped_router, question.replace("-8", "-12"), sheet)


def test_the_tools_asked_for_in_spanish(shipped_router):
    decision = shipped_router.route("Che, qué herramientas tenés conectadas? me passa a lista")
    assert (decision.kind, decision.ident) == ("intent", "list_tools")


def test_how_to_say_something_in_a_language_is_a_translation(shipped_router):
    decision = with_llm(
        shipped_router, "how do I say 'lead time' in a formal way in Portuguese to a buyer?"
    )
    assert decision.reason == "asks for a translation: the default crew General assistant writes it"
    # How to say no to a customer is the customer service's, not a translation.
    decision = with_llm(shipped_router, "how do I say no to a customer asking for a discount?")
    assert "translation" not in decision.reason
