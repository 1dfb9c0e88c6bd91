from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from ..services import crew_runner, router
from .mcp_knowledge import KNOWLEDGE_TYPES

# What the router reads of a crew (see _routing_target and mcp.run._cached_router).
ROUTING_FIELDS = frozenset(
    (
        "name",
        "description",
        "routing_keywords",
        "example_requests",
        "routing_fallback",
        "sequence",
        "company_id",
        "active",
    )
)


def split_items(value):
    """Non-empty, stripped lines (or comma-separated items) of a text field."""
    parts = (value or "").replace(",", "\n").splitlines()
    return tuple(part.strip() for part in parts if part.strip())


class McpCrew(models.Model):
    """A team of agents and the tasks they work through for one kind of request.

    A crew without a company is shared by every company (the default crews);
    the tools its agents use are always those of the company asking.
    """

    _name = "mcp.crew"
    _inherit = ["mcp.company.guard", "mcp.cached.state.mixin", "mcp.shipped.mixin"]
    _description = "Crew"
    _cached_state_fields = ROUTING_FIELDS
    _order = "sequence, name"

    name = fields.Char(required=True, translate=True)
    code = fields.Char(
        help="Stable identifier for integrations: ask(..., {'crew': code}).", index=True
    )
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", index=True, help="Empty: the crew serves every company."
    )
    description = fields.Text(
        required=True,
        translate=True,
        help="What the crew does; the router compares requests with it.",
    )
    process = fields.Selection(
        [("sequential", "Sequential"), ("hierarchical", "Hierarchical (a manager delegates)")],
        default="sequential",
        required=True,
    )
    routing_keywords = fields.Text(
        help="Words or phrases, one per line or comma-separated, in any language, that send "
        "a request to this crew."
    )
    example_requests = fields.Text(help="Typical requests, one per line.")
    routing_fallback = fields.Boolean(
        "Default crew",
        help="With an LLM, this crew answers the requests no other crew, tool or intent "
        "claims. A company's own default crew wins over a shared one.",
    )
    agent_ids = fields.One2many("mcp.agent", "crew_id", "Agents", copy=True)
    task_ids = fields.One2many("mcp.task", "crew_id", "Tasks", copy=True)
    run_count = fields.Integer(compute="_compute_run_count")

    _sql_constraints = [
        ("code_company_unique", "unique(code, company_id)", "A crew code is unique per company."),
        # unique() lets NULLs repeat: a shared crew's code is taken once too. A
        # company's own crew may take it (ask() then picks the company's).
        (
            "shared_code_unique",
            "EXCLUDE (code WITH =) WHERE (company_id IS NULL)",
            "Another shared crew already has this code.",
        ),
    ]

    # -- the router is cached (mcp.run._router): every change it reads drops it ----
    # (creating, deleting, writing or translating ROUTING_FIELDS: mcp.cached.state.mixin)

    def _compute_run_count(self):
        counts = {
            group["crew_id"][0]: group["crew_id_count"]
            for group in self.env["mcp.run"].read_group(
                [("crew_id", "in", self.ids)], ["crew_id"], ["crew_id"]
            )
        }
        for crew in self:
            crew.run_count = counts.get(crew.id, 0)

    @api.returns("self", lambda value: value.id)
    def copy(self, default=None):
        """A copy with its own agents and tasks: each copied task uses the copy of its
        agent and reads the copies of its context tasks (a plain copy would point
        them at the original crew's, which the constraints refuse)."""
        self.ensure_one()
        default = dict(default or {})
        default.setdefault("name", _("%s (copy)", self.name))
        default.setdefault("code", False)  # unique per company
        default.update(agent_ids=[], task_ids=[])
        new = super().copy(default)
        agents = {agent.id: agent.copy({"crew_id": new.id}).id for agent in self.agent_ids}
        tasks = {}
        for task in self.task_ids.sorted(lambda task: (task.sequence, task.id)):
            context = [tasks[earlier.id] for earlier in task.context_task_ids]
            tasks[task.id] = task.copy(
                {
                    "crew_id": new.id,
                    "agent_id": agents[task.agent_id.id],
                    "context_task_ids": [(6, 0, context)],
                }
            ).id
        return new

    def _routing_target(self, fallback=False, also_like=None):
        """The router's view of this crew; ``also_like``: crews whose example
        requests it takes too (the shared default crew a company's own replaces)."""
        self.ensure_one()
        return router.Target(
            fallback=fallback,
            kind="crew",
            ident=str(self.id),
            name=self.name,
            description=self.description or "",
            keywords=split_items(self.routing_keywords),
            examples=tuple(
                line.strip()
                for crew in self | (also_like or self.browse())
                for line in (crew.example_requests or "").splitlines()
                if line.strip()
            ),
        )

    def _crew_spec(self, tools, requested=None):
        """The engine's :class:`~.services.crew_runner.CrewSpec`; ``tools`` the asking
        company's usable ``mcp.tool`` records, ``requested`` the tool the request named
        (see :meth:`McpAgent._offered_tools`)."""
        self.ensure_one()
        agents = self.agent_ids.sorted("sequence")
        index = {agent.id: position for position, agent in enumerate(agents)}
        tasks = self.task_ids.sorted("sequence")
        task_index = {task.id: position for position, task in enumerate(tasks)}
        return crew_runner.CrewSpec(
            name=self.name,
            process=self.process,
            agents=tuple(agent._agent_spec(tools, requested) for agent in agents),
            tasks=tuple(
                crew_runner.TaskSpec(
                    description=task.description,
                    expected_output=task.expected_output,
                    agent=index.get(task.agent_id.id, -1),
                    context=tuple(
                        sorted(
                            task_index[context.id]
                            for context in task.context_task_ids
                            if context.id in task_index
                        )
                    ),
                )
                for task in tasks
            ),
        )

    def action_view_runs(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("mcp_crew.mcp_run_action")
        action["domain"] = [("crew_id", "=", self.id)]
        return action


class McpAgent(models.Model):
    _name = "mcp.agent"
    _inherit = ["mcp.company.guard", "mcp.shipped.mixin"]
    _company_path = "crew_id"
    _description = "Crew agent"
    _order = "crew_id, sequence, id"

    crew_id = fields.Many2one("mcp.crew", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="crew_id.company_id", store=True, index=True)
    sequence = fields.Integer(default=10)
    name = fields.Char(required=True, translate=True)
    role = fields.Char(required=True, translate=True)
    goal = fields.Text(required=True, translate=True)
    backstory = fields.Text(translate=True)
    use_all_tools = fields.Boolean(
        default=False,
        help="Offer every enabled tool of the asking company's MCP servers that needs no "
        "approval. Tools that need approval (destructive, or set to Requires Approval by "
        "an admin) reach the agent only when listed in Tools.",
    )
    tool_ids = fields.Many2many(
        "mcp.tool",
        string="Tools",
        domain="[('server_id.active', '=', True)]",
        help="Tools from the discovered catalog this agent may call. A tool that needs "
        "approval reaches the agent only if listed here, even with Use All Tools.",
    )
    knowledge_types = fields.Char(
        help="Knowledge types the agent reads before working, comma-separated "
        "(e.g. product_info, market_data). Empty: none."
    )
    allow_delegation = fields.Boolean()
    max_iterations = fields.Integer(default=8)

    @api.constrains("knowledge_types")
    def _check_knowledge_types(self):
        known = {key for key, _label in KNOWLEDGE_TYPES}
        for agent in self:
            unknown = set(split_items(agent.knowledge_types)) - known
            if unknown:
                raise ValidationError(
                    _(
                        "Unknown knowledge types: %(types)s. Known: %(known)s.",
                        types=", ".join(sorted(unknown)),
                        known=", ".join(sorted(known)),
                    )
                )

    @api.constrains("max_iterations")
    def _check_max_iterations(self):
        if any(not 1 <= agent.max_iterations <= 50 for agent in self):
            raise ValidationError(_("An agent's maximum iterations must be between 1 and 50."))

    def _knowledge_type_list(self):
        return split_items(self.knowledge_types)

    def _offered_tools(self, tools, requested=None):
        """The tools of ``tools`` (the asking company's usable ``mcp.tool`` records)
        this agent is offered: those listed in its Tools and, with *use all tools*,
        every other one that needs no approval, and ``requested`` (the tool a request
        named, handed to the default crew). Least privilege: the gate would hold a
        destructive call, but an agent should never be handed a tool that needs
        approval unless someone chose it: an administrator for this agent, or the
        requester for this run."""
        self.ensure_one()
        listed = tools & self.tool_ids
        if not self.use_all_tools:
            return listed
        chosen = listed | (tools & requested) if requested else listed
        return tools.filtered(lambda tool: tool in chosen or not tool._needs_approval())

    def _agent_spec(self, tools, requested=None):
        self.ensure_one()
        return crew_runner.AgentSpec(
            role=self.role,
            goal=self.goal,
            backstory=self.backstory or "",
            tools=tuple(str(tool.id) for tool in self._offered_tools(tools, requested)),
            allow_delegation=self.allow_delegation,
            max_iterations=self.max_iterations,
        )


class McpTask(models.Model):
    _name = "mcp.task"
    _inherit = ["mcp.company.guard", "mcp.shipped.mixin"]
    _company_path = "crew_id"
    _description = "Crew task"
    _order = "crew_id, sequence, id"

    crew_id = fields.Many2one("mcp.crew", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="crew_id.company_id", store=True, index=True)
    sequence = fields.Integer(default=10)
    name = fields.Char(required=True, translate=True)
    description = fields.Text(
        required=True,
        translate=True,
        help="What to do. {request} is replaced by the user's message, {context} by the "
        "record and knowledge context.",
    )
    expected_output = fields.Text(required=True, translate=True)
    agent_id = fields.Many2one(
        "mcp.agent", required=True, ondelete="restrict", domain="[('crew_id', '=', crew_id)]"
    )
    context_task_ids = fields.Many2many(
        "mcp.task",
        "mcp_task_context_rel",
        "task_id",
        "context_task_id",
        string="Reads the output of",
        domain="[('crew_id', '=', crew_id), ('id', '!=', id)]",
    )

    @api.constrains("agent_id", "crew_id")
    def _check_agent(self):
        for task in self:
            if task.agent_id.crew_id != task.crew_id:
                raise ValidationError(
                    _(
                        "Task %(task)s must use an agent of crew %(crew)s.",
                        task=task.name,
                        crew=task.crew_id.name,
                    )
                )

    @api.constrains("context_task_ids", "sequence")
    def _check_context_order(self):
        for task in self:
            later = task.context_task_ids.filtered(
                lambda other, task=task: (
                    (other.sequence, other.id) >= (task.sequence, task.id)
                    or other.crew_id != task.crew_id
                )
            )
            if later:
                raise ValidationError(
                    _("Task %(task)s can only read earlier tasks of its crew.", task=task.name)
                )
