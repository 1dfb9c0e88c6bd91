"""A small MCP server for the demo: supplier offers, exchange rates and freight.

Deterministic data (no network), so the demo answers the same every time:

    python mcp_demo_server.py stdio                       # spawned by Odoo
    python mcp_demo_server.py http --host 0.0.0.0 --port 8000   # its own service

It shows what mcp_crew does with a third-party server: discovery of tools
(with annotations), resources and prompts, cached catalogs, calls through the
gate, and an approval before the destructive ``cancel_supplier_order``.
"""

import argparse
from typing import Annotated

from mcp.server.fastmcp import FastMCP
from mcp.server.transport_security import TransportSecuritySettings
from mcp.types import ToolAnnotations
from pydantic import Field
from typing_extensions import TypedDict  # pydantic needs it before Python 3.12

SUPPLIERS = {
    "parafuso sextavado m8": [
        {"supplier": "Fixadores Paulista", "unit_price": 0.42, "currency": "BRL", "lead_days": 3},
        {"supplier": "Metalúrgica Sul", "unit_price": 0.39, "currency": "BRL", "lead_days": 7},
        {"supplier": "Global Fasteners", "unit_price": 0.08, "currency": "USD", "lead_days": 21},
    ],
    "arruela lisa m8": [
        {"supplier": "Fixadores Paulista", "unit_price": 0.05, "currency": "BRL", "lead_days": 3},
        {"supplier": "Metalúrgica Sul", "unit_price": 0.04, "currency": "BRL", "lead_days": 7},
    ],
    "bomba hidráulica bh-200": [
        {
            "supplier": "Hidro Equipamentos",
            "unit_price": 1890.0,
            "currency": "BRL",
            "lead_days": 10,
        },
        {"supplier": "PumpWorks", "unit_price": 349.0, "currency": "USD", "lead_days": 30},
    ],
}
RATES_TO_BRL = {"BRL": 1.0, "USD": 5.40, "EUR": 5.85}
FREIGHT_PER_KG = {"SP": 2.10, "RJ": 2.60, "MG": 2.80, "PR": 3.00, "RS": 3.40}
READ_ONLY = ToolAnnotations(readOnlyHint=True, idempotentHint=True, openWorldHint=False)


# Typed results give the tools an output schema and structured content.
class Offer(TypedDict):
    supplier: str
    unit_price: float
    currency: str
    lead_days: int


class Offers(TypedDict):
    product: str
    offers: list[Offer]


class Rate(TypedDict):
    base: str
    quote: str
    rate: float
    amount: float
    converted: float


class Freight(TypedDict):
    state: str
    weight_kg: float
    price_brl: float


def build(host="127.0.0.1", port=8000):
    server = FastMCP(
        "mcp-crew-demo",
        instructions="Supplier offers, exchange rates and freight estimates (demo data).",
        # Its stderr ends up in the logs of whoever spawns it over stdio.
        log_level="WARNING",
        host=host,
        port=port,
        # Served to the Odoo containers by its service name on the compose network.
        transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False),
    )

    @server.tool(annotations=READ_ONLY)
    def supplier_offers(product: str) -> Offers:
        """Offers of every known supplier for a product (name as in the catalog)."""
        offers = SUPPLIERS.get(product.strip().lower())
        if offers is None:
            raise ValueError(
                "unknown product %r; known: %s" % (product, ", ".join(sorted(SUPPLIERS)))
            )
        return {"product": product, "offers": offers}

    @server.tool(annotations=READ_ONLY)
    def exchange_rate(
        base: Annotated[str, Field(description="the currency to convert from")],
        # No default: a model offered one copies it instead of the price to convert.
        amount: Annotated[float, Field(description="the amount of base to convert, e.g. a price")],
        quote: Annotated[str, Field(description="the currency to convert to")] = "BRL",
    ) -> Rate:
        """How many quote one base buys (BRL, USD, EUR), and what an amount of base
        converts to."""
        # The conversion is the tool's: small models multiply badly.
        base, quote = base.upper(), quote.upper()
        for currency in (base, quote):
            if currency not in RATES_TO_BRL:
                raise ValueError("unknown currency %s" % currency)
        rate = RATES_TO_BRL[base] / RATES_TO_BRL[quote]
        return {
            "base": base,
            "quote": quote,
            "rate": round(rate, 4),
            "amount": amount,
            "converted": round(amount * rate, 4),
        }

    @server.tool(annotations=READ_ONLY)
    def freight_estimate(state: str, weight_kg: float) -> Freight:
        """Road freight from São Paulo to a Brazilian state (UF), in BRL."""
        per_kg = FREIGHT_PER_KG.get(state.upper())
        if per_kg is None:
            raise ValueError("no freight table for %s" % state)
        if weight_kg <= 0:
            raise ValueError("weight_kg must be positive")
        return {
            "state": state.upper(),
            "weight_kg": weight_kg,
            "price_brl": round(15 + per_kg * weight_kg, 2),
        }

    @server.tool(annotations=ToolAnnotations(destructiveHint=True, idempotentHint=True))
    def cancel_supplier_order(order_ref: str) -> str:
        """Cancel a purchase order placed with a supplier (needs an approval in mcp_crew)."""
        return "supplier order %s cancelled" % order_ref

    @server.resource("demo://suppliers", mime_type="application/json")
    def suppliers() -> dict:
        """Every supplier and the products it offers."""
        catalog = {}
        for product, offers in SUPPLIERS.items():
            for offer in offers:
                catalog.setdefault(offer["supplier"], []).append(product)
        return catalog

    @server.prompt()
    def compare_offers(product: str) -> str:
        """Ask for a comparison of the supplier offers of a product."""
        return (
            "Compare the supplier offers for %s in BRL (use exchange_rate for other "
            "currencies), weighing price against lead time, and recommend one." % product
        )

    return server


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("transport", choices=("stdio", "http"))
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    options = parser.parse_args(argv)
    server = build(options.host, options.port)
    server.run("stdio" if options.transport == "stdio" else "streamable-http")


if __name__ == "__main__":
    main()
