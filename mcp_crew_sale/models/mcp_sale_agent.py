"""Sale orders from plain words: the one implementation behind the ``sale_*``
MCP tools and the ``create_sale_order`` intent of ``mcp.run``.

Everything runs in the caller's environment: customers and products are the
ones their access rights and record rules let them read in the current
company, the order is created as them, and Odoo refuses what they may not do.
The flow never guesses: an ambiguous or unknown name stops it before anything
is written, and the answer lists the candidates. Short stock does not stop
it: the order is created as a draft with the short lines flagged, and it is
never confirmed here (confirming is a separate, destructive tool).
"""

from odoo import Command, _, api, models
from odoo.exceptions import UserError
from odoo.osv import expression
from odoo.tools import float_compare

from odoo.addons.mcp_crew.error_mapping import engine_errors

from ..services import order_text

# Candidates fetched per lookup before ranking (per search: exact, then broad).
PREFILTER_LIMIT = 200
CANDIDATES = 5
# The languages the answers are written in (the request's, order_text's codes)
# and the Odoo language whose translations (i18n/*.po) word them.
LANGUAGES = {"pt": "pt_BR", "en": "en_US"}


class McpSaleAgent(models.AbstractModel):
    _name = "mcp.sale.agent"
    _description = "Sale orders from plain words (MCP Crew)"

    # -- the whole flow ------------------------------------------------------------

    @api.model
    def order_from_text(self, text, language=None):
        """Read ``text``, resolve its customer and products, check stock and
        create a draft order — or say what is missing or ambiguous.

        ``language`` (``pt``/``en``) wins over the one guessed from the text.
        Returns ``{status: created|needs_input, language, request, missing,
        customer, lines, order, summary}`` (see ``order_text.explain``).
        """
        self._check_can_sell()
        with engine_errors():
            request = order_text.parse_order_request(text)
        warehouse = self._warehouse()  # one per request: it computes a whole new order
        outcome = {
            "status": "needs_input",
            "language": self._language(language, request.language),
            "request": request.as_dict(),
            "missing": list(request.missing),
            "customer": self._resolve("customer", request.customer) if request.customer else None,
            "lines": [self._resolve_line(line, warehouse) for line in request.lines],
            "order": None,
        }
        if self._ready(outcome):
            order = self._create_resolved_order(outcome)
            outcome.update(status="created", order=self._order_result(order))
        outcome["summary"] = self._summary(outcome)
        return outcome

    @api.model
    def _summary(self, outcome):
        """``order_text.explain``'s messages worded in ``outcome["language"]``: a
        created order in one paragraph, otherwise what stops it as a list."""
        sentences = self._sentences(LANGUAGES[outcome["language"]])
        said = [sentences[message.key] % message.values for message in order_text.explain(outcome)]
        if outcome["status"] == "created":
            return " ".join(said)
        return "\n".join(said[:1] + ["- %s" % sentence for sentence in said[1:]])

    @api.model
    def _sentences(self, lang):
        """Message key -> sentence, translated into ``lang``.

        The answer follows the request's language, not the user's, and that
        language need not be installed: ``_()`` reads it from the caller's
        ``context`` local before anything else (odoo.tools.translate), and the
        translations come from this addon's .po files.
        """
        context = {"lang": lang}  # noqa: F841  pylint: disable=unused-variable
        return {
            "created": _(
                "I created sale order %(order)s for %(customer)s as a draft (not confirmed): "
                "%(lines)s. Total: %(total)s."
            ),
            "short": _(
                "Not enough stock of %(product)s: %(ordered)s ordered, %(available)s available."
            ),
            "uom_unknown": _('Unit "%(unit)s" does not exist for %(product)s; I used %(used)s.'),
            "review": _("Review the order and confirm it when it is right."),
            "not_created": _("I did not create the sale order:"),
            "missing_customer": _(
                'I could not tell the customer; say which one (for example: customer "Name").'
            ),
            "missing_lines": _(
                "I could not tell the products and quantities "
                "(for example: 3 units of product XYZ)."
            ),
            "unknown_customer": _('no customer matches "%(query)s".'),
            "unknown_product": _('no product matches "%(query)s".'),
            "close_scores_customer": _(
                'several customers match "%(query)s": %(candidates)s. Which one?'
            ),
            "close_scores_product": _(
                'several products match "%(query)s": %(candidates)s. Which one?'
            ),
            "weak_match_customer": _(
                'I am not sure which customer "%(query)s" is; did you mean %(candidates)s?'
            ),
            "weak_match_product": _(
                'I am not sure which product "%(query)s" is; did you mean %(candidates)s?'
            ),
        }

    @api.model
    def _language(self, *guesses):
        """The first of ``guesses`` we write in, else the user's language."""
        for guess in guesses:
            if guess in LANGUAGES:
                return guess
        return "pt" if (self.env.lang or "").startswith("pt") else "en"

    @api.model
    def _ready(self, outcome):
        """Everything named and found exactly once: the order can be created."""
        return (
            not outcome["missing"]
            and outcome["customer"]["status"] == "unique"
            and all(line["status"] == "unique" for line in outcome["lines"])
        )

    @api.model
    def _create_resolved_order(self, outcome):
        """The draft order of a fully resolved ``outcome``."""
        return self._create_order(
            self.env["res.partner"].browse(outcome["customer"]["match"]["id"]),
            [
                (
                    self.env["product.product"].browse(line["match"]["id"]),
                    line["quantity"],
                    self.env["uom.uom"].browse(line["uom_id"]),
                )
                for line in outcome["lines"]
            ],
        )

    @api.model
    def _resolve_line(self, line, warehouse):
        """A requested line: its product resolution, unit and stock."""
        entity = self._resolve("product", line.product)
        entity.update(
            quantity=line.quantity,
            uom_hint=line.uom_hint,
            uom=None,
            uom_id=None,
            uom_matched=False,
            stock=None,
        )
        if entity["status"] == "unique":
            product = self.env["product.product"].browse(entity["match"]["id"])
            uom, matched = self._line_uom(product, line.uom_hint)
            entity.update(
                uom=uom.name,
                uom_id=uom.id,
                uom_matched=matched,
                stock=self._check_stock(product, line.quantity, uom, warehouse=warehouse),
            )
        return entity

    @api.model
    def _line_uom(self, product, hint):
        """``(unit, matched)``: the unit of the product's category the request
        named ("2 dúzias" -> Dozens), else the product's own unit."""
        if hint in (None, "unit"):
            return product.uom_id, hint is not None
        units = self.env["uom.uom"].search([("category_id", "=", product.uom_id.category_id.id)])
        found = units.filtered(lambda unit: order_text.uom_hint_matches(hint, unit.name))[:1]
        return (found or product.uom_id), bool(found)

    # -- finding customers and products ---------------------------------------------

    @api.model
    def _lookups(self):
        """Per kind: model, the user's own search domain and the code field."""
        company = [("company_id", "in", [False, self.env.company.id])]
        return {
            "customer": ("res.partner", company, "ref"),
            "product": ("product.product", [("sale_ok", "=", True)] + company, "default_code"),
        }

    @api.model
    def _resolve(self, kind, query, limit=CANDIDATES):
        """``{query, status, reason, match, candidates}`` for a customer or product name."""
        if not order_text.normalize_name(query):
            raise UserError(_("Say which customer or product to look for."))
        records = self._candidates(kind, query)
        by_id = {record.id: record for record in records}
        rows = [
            (record.id, self._name_of(kind, record), self._code_of(kind, record))
            for record in records
        ]
        resolution = order_text.resolve(order_text.rank_matches(query, rows), limit=limit)
        describe = self._describe  # (kind, record, match) -> candidate dict
        return {
            "query": query,
            "status": resolution.status,
            "reason": resolution.reason,
            "match": describe(kind, by_id[resolution.match.id], resolution.match)
            if resolution.match
            else None,
            "candidates": [describe(kind, by_id[m.id], m) for m in resolution.candidates],
        }

    @api.model
    def _candidates(self, kind, query):
        """Records that might be ``query``, as the user's search sees them.

        Exact name or code first (so a common word cannot push them out of
        the limit), then any name or code containing a fragment of the query
        (``order_text.search_fragments``); the engine ranks them all.
        """
        model, domain, code_field = self._lookups()[kind]
        Model = self.env[model]
        exact = Model.search(
            domain
            + ["|", ("name", "=ilike", query.strip()), (code_field, "=ilike", query.strip())],
            limit=PREFILTER_LIMIT,
        )
        fragments = order_text.search_fragments(query)
        like = expression.OR(
            [
                [(field, "ilike", fragment)]
                for fragment in fragments
                for field in ("name", code_field)
            ]
        )
        return exact | Model.search(domain + like, limit=PREFILTER_LIMIT)

    @api.model
    def _name_of(self, kind, record):
        if kind == "product":  # variants: "Chair (Red)", without the [code]
            return record.with_context(display_default_code=False).display_name
        return record.name or record.display_name

    @api.model
    def _code_of(self, kind, record):
        return (record.default_code if kind == "product" else record.ref) or None

    @api.model
    def _describe(self, kind, record, match):
        """A candidate as the caller sees it: score, why, and what tells it apart."""
        described = {
            "id": record.id,
            "name": match.name,
            "code": match.code,
            "score": match.score,
            "reason": match.reason,
        }
        if kind == "product":
            described.update(uom=record.uom_id.name, price=record.lst_price)
        else:
            described.update(city=record.city or None, email=record.email or None)
        return described

    @api.model
    def _visible(self, kind, record_id):
        """The customer or product ``record_id`` if the user may use it here, else an error."""
        model, domain, _code = self._lookups()[kind]
        record = self.env[model].search(domain + [("id", "=", record_id)])
        if record:
            return record
        if kind == "customer":
            message = _(
                "No customer with id %(id)s is visible to you in %(company)s.",
                id=record_id,
                company=self.env.company.name,
            )
        else:
            message = _(
                "No saleable product with id %(id)s is visible to you in %(company)s.",
                id=record_id,
                company=self.env.company.name,
            )
        raise UserError(message)

    # -- stock -----------------------------------------------------------------------

    @api.model
    def _warehouse(self):
        """The warehouse a new order of this user would ship from (sale_stock's rule)."""
        return self.env["sale.order"].new({}).warehouse_id

    @api.model
    def _check_stock(self, product, quantity, uom=None, warehouse=None):
        """Stock of ``product`` for ``quantity`` (in ``uom``, default the product's).

        What can be promised is the smaller of the free quantity (on hand, not
        reserved) and the forecast (confirmed orders not yet reserved count
        too). Products not tracked in stock (consumables, services) are
        always enough.
        """
        if warehouse is None:
            warehouse = self._warehouse()
        if uom and uom != product.uom_id:
            quantity = uom._compute_quantity(quantity, product.uom_id)
        result = {
            "product_id": product.id,
            "product": self._name_of("product", product),
            "warehouse": warehouse.name or None,
            "uom": product.uom_id.name,
            "quantity": quantity,
            "tracked": product.type == "product",
            "qty_available": None,
            "free_qty": None,
            "virtual_available": None,
            "available": None,
            "enough": True,
        }
        if not result["tracked"]:
            return result
        stocked = product.with_context(warehouse=warehouse.id) if warehouse else product
        available = min(stocked.free_qty, stocked.virtual_available)
        result.update(
            qty_available=stocked.qty_available,
            free_qty=stocked.free_qty,
            virtual_available=stocked.virtual_available,
            available=available,
            enough=float_compare(quantity, available, precision_rounding=product.uom_id.rounding)
            <= 0,
        )
        return result

    # -- orders ------------------------------------------------------------------------

    @api.model
    def _check_can_sell(self):
        """Fail at once, before any lookup, for users who may not create orders."""
        self.env["sale.order"].check_access_rights("create")

    @api.model
    def _create_order(self, partner, lines):
        """A draft order for ``partner``; ``lines``: ``(product, quantity, uom)``.

        Callers check the right to sell first (:meth:`_check_can_sell`)."""
        order = self.env["sale.order"].create(
            {
                "partner_id": partner.id,
                "order_line": [
                    Command.create(
                        {
                            "product_id": product.id,
                            "product_uom_qty": quantity,
                            "product_uom": (uom or product.uom_id).id,
                        }
                    )
                    for product, quantity, uom in lines
                ],
            }
        )
        # Constraint errors belong to this request, not to a later flush.
        self.env.flush_all()
        return order

    @api.model
    def _confirm_order(self, order_id):
        order = self.env["sale.order"].search([("id", "=", order_id)])
        if not order:
            raise UserError(_("No sale order with id %(id)s is visible to you.", id=order_id))
        if order.state not in ("draft", "sent"):
            raise UserError(
                _(
                    "Sale order %(name)s is not a quotation (state: %(state)s); "
                    "only quotations can be confirmed.",
                    name=order.name,
                    state=order.state,
                )
            )
        order.action_confirm()
        return order

    @api.model
    def _order_result(self, order):
        return {
            "id": order.id,
            "name": order.name,
            "state": order.state,
            "partner": {"id": order.partner_id.id, "name": order.partner_id.name},
            "amount_total": order.amount_total,
            "currency": order.currency_id.name,
            "warehouse": order.warehouse_id.name or None,
            "lines": [
                {
                    "product_id": line.product_id.id,
                    "product": line.product_id.display_name,
                    "quantity": line.product_uom_qty,
                    "uom": line.product_uom.name,
                    "price_subtotal": line.price_subtotal,
                }
                for line in order.order_line
            ],
        }
