"""Discovery: what an MCP server offers, as plain JSON-ready dicts.

``discover`` lists tools, resources, resource templates and prompts, following
pagination cursors, and keeps tool annotations and schemas. The result (a
*catalog*) carries a content hash so adapters can skip unchanged syncs.
"""

import hashlib
import json

from mcp import types

from .errors import ServerUnavailable

# A server that keeps returning cursors is broken; stop instead of looping.
MAX_PAGES = 200


def tool_to_dict(tool):
    annotations = tool.annotations
    declared = annotations is not None
    annotations = annotations or types.ToolAnnotations()
    read_only = bool(annotations.readOnlyHint)
    # MCP defaults: destructive and open-world unless the server says otherwise;
    # destructive is meaningless for read-only tools.
    destructive = (
        False
        if read_only
        else (True if annotations.destructiveHint is None else annotations.destructiveHint)
    )
    return {
        "name": tool.name,
        "title": tool.title or annotations.title or "",
        "description": tool.description or "",
        "input_schema": tool.inputSchema or {"type": "object"},
        "output_schema": tool.outputSchema,
        "annotations": {
            "declared": declared,
            "read_only": read_only,
            "destructive": bool(destructive),
            "idempotent": bool(annotations.idempotentHint),
            "open_world": True if annotations.openWorldHint is None else annotations.openWorldHint,
        },
    }


def resource_to_dict(resource):
    return {
        "uri": str(resource.uri),
        "name": resource.name,
        "title": resource.title or "",
        "description": resource.description or "",
        "mime_type": resource.mimeType or "",
        "size": resource.size,
        "is_template": False,
    }


def template_to_dict(template):
    return {
        "uri": template.uriTemplate,
        "name": template.name,
        "title": template.title or "",
        "description": template.description or "",
        "mime_type": template.mimeType or "",
        "size": None,
        "is_template": True,
    }


def prompt_to_dict(prompt):
    return {
        "name": prompt.name,
        "title": prompt.title or "",
        "description": prompt.description or "",
        "arguments": [
            {
                "name": arg.name,
                "description": arg.description or "",
                "required": bool(arg.required),
            }
            for arg in prompt.arguments or []
        ],
    }


async def collect_pages(list_page, attribute, server_label):
    """Call ``list_page(params)`` until the server stops returning a cursor."""
    items, cursor, seen = [], None, set()
    for _page in range(MAX_PAGES):
        params = types.PaginatedRequestParams(cursor=cursor) if cursor else None
        result = await list_page(params)
        items.extend(getattr(result, attribute))
        cursor = result.nextCursor
        if not cursor:
            return items
        if cursor in seen:
            raise ServerUnavailable(server_label, "pagination cursor %r repeats" % cursor)
        seen.add(cursor)
    raise ServerUnavailable(server_label, "more than %d pages of %s" % (MAX_PAGES, attribute))


async def discover(managed):
    """Build the catalog of a connected :class:`~.mcp_client.ManagedSession`."""
    caps = managed.init_result.capabilities
    label = managed.spec.label

    async def listing(operation, method_name, attribute):
        async def run(session):
            method = getattr(session, method_name)
            return await collect_pages(lambda params: method(params=params), attribute, label)

        return await managed.request(operation, run)

    tools = resources = templates = prompts = []
    if caps.tools is not None:
        tools = await listing("tools/list", "list_tools", "tools")
    if caps.resources is not None:
        resources = await listing("resources/list", "list_resources", "resources")
        templates = await listing(
            "resources/templates/list", "list_resource_templates", "resourceTemplates"
        )
    if caps.prompts is not None:
        prompts = await listing("prompts/list", "list_prompts", "prompts")
    info = managed.init_result.serverInfo
    catalog = {
        "server": {
            "name": info.name,
            "title": info.title or "",
            "version": info.version,
            "protocol_version": str(managed.init_result.protocolVersion),
            "instructions": managed.init_result.instructions or "",
        },
        "tools": [tool_to_dict(t) for t in tools],
        "resources": [resource_to_dict(r) for r in resources]
        + [template_to_dict(t) for t in templates],
        "prompts": [prompt_to_dict(p) for p in prompts],
    }
    catalog["hash"] = catalog_hash(catalog)
    return catalog


def catalog_hash(catalog):
    content = {key: catalog[key] for key in ("tools", "resources", "prompts")}
    encoded = json.dumps(content, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha1(encoded).hexdigest()
