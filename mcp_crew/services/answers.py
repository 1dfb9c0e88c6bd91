"""Answers written without an LLM, in the language of the request.

The router detects Portuguese or English; these are the sentences the
no-LLM paths answer with (knowledge answers, tool results, what needs an
LLM, failures), so a Portuguese request never gets an English reply.
"""

TEXTS = {
    "knowledge_intro": {
        "pt": "Encontrei isto na base de conhecimento:",
        "en": "This is what the knowledge base says:",
    },
    "source": {"pt": "fonte", "en": "source"},
    "confidence": {"pt": "confiança", "en": "confidence"},
    "tool_result": {"pt": "Resultado de %s:", "en": "Result of %s:"},
    "tool_error": {"pt": "A ferramenta %s relatou um erro:", "en": "Tool %s reported an error:"},
    "tool_needs_arguments": {
        "pt": 'A ferramenta %s precisa dos argumentos %s. Envie: /tool %s {"%s": ...}',
        "en": 'Tool %s needs the arguments %s. Send: /tool %s {"%s": ...}',
    },
    "approval_pending": {
        "pt": "A ferramenta %s altera dados e aguarda a aprovação de um aprovador.",
        "en": "Tool %s changes data and waits for an approver's approval.",
    },
    "llm_required_crew": {
        "pt": 'A equipe "%s" responderia a este pedido, mas nenhum LLM está configurado '
        "(Configurações › MCP Crew).",
        "en": 'Crew "%s" would answer this request, but no LLM is configured '
        "(Settings › MCP Crew).",
    },
    "llm_required": {
        "pt": "Não encontrei resposta na base de conhecimento nem uma ferramenta para este "
        "pedido; respondê-lo exige um LLM, e nenhum está configurado (Configurações › MCP Crew).",
        "en": "Neither the knowledge base nor a tool answers this request; it needs an LLM, "
        "and none is configured (Settings › MCP Crew).",
    },
    "no_crew_matches": {
        "pt": "Nenhuma equipe corresponde a este pedido. Reformule-o, escolha uma equipe "
        '(contexto {"crew": código}) ou acrescente palavras-chave de roteamento a uma equipe.',
        "en": "No crew matches this request. Rephrase it, choose a crew (context "
        '{"crew": code}) or add routing keywords to a crew.',
    },
    "queued": {
        "pt": 'A equipe "%s" está trabalhando no pedido; a resposta chegará aqui.',
        "en": 'Crew "%s" is working on the request; the answer will arrive here.',
    },
    "failure": {"pt": "Não foi possível responder: %s", "en": "The request failed: %s"},
    "quota": {
        "pt": "A cota mensal de tokens da empresa (%s) foi atingida; novos pedidos com LLM "
        "estão suspensos até o próximo mês.",
        "en": "The company's monthly token quota (%s) is used up; requests that need an LLM "
        "are refused until next month.",
    },
}
EXCERPT = 400


def localized(table, key, language, *args):
    """``table[key]`` in ``language`` (English when not written in it), formatted."""
    template = table[key].get(language) or table[key]["en"]
    return template % args if args else template


def text(key, language, *args):
    return localized(TEXTS, key, language, *args)


def knowledge(results, language):
    """The top knowledge items with their sources, as a numbered list."""
    lines = [text("knowledge_intro", language)]
    for position, item in enumerate(results, 1):
        body = " ".join((item.get("content") or item.get("snippet") or "").split())
        if len(body) > EXCERPT:
            body = body[:EXCERPT].rsplit(" ", 1)[0] + " …"
        source = item.get("source") or {}
        origin = source.get("label") or source.get("kind") or ""
        meta = ["%s %.0f%%" % (text("confidence", language), item.get("confidence", 0) * 100)]
        if origin:
            meta.insert(0, "%s: %s" % (text("source", language), origin))
        lines.append("%d. %s — %s (%s)" % (position, item["title"], body, ", ".join(meta)))
    return "\n".join(lines)


def tool_result(tool_name, body, is_error, language):
    key = "tool_error" if is_error else "tool_result"
    return "%s\n%s" % (text(key, language, tool_name), body)


def tool_needs_arguments(tool_name, missing, language):
    return text(
        "tool_needs_arguments", language, tool_name, ", ".join(missing), tool_name, missing[0]
    )


def failure(error, language):
    return text("failure", language, error)
