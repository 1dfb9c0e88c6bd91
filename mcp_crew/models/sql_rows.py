"""Rows of a model's table exactly as ``create()`` stores them, for one-statement inserts.

``create()`` spends most of its time on per-record bookkeeping (defaults, the
cache, triggers, constraints) and runs one INSERT per model. Where a hot path
writes records whose values it already knows in full (a finished run and its
steps, see :meth:`mcp.run._insert_finished`), these helpers give the same rows
for a single statement: the ORM's defaults (``ir.default`` included), each
field's own conversion (``convert_to_column``) cast to its column type, the
log-access columns as ``create()`` sets them; and afterwards they put the new
records in the cache as ``create()`` leaves them, so reading them back costs
no query.

Only plain stored columns are accepted: a value for a relational list, a
translated field, or a missing value for a stored computed field is refused
(this path computes nothing), so a field added later cannot be skipped
silently.
"""

import weakref

NOW = "(now() AT TIME ZONE 'UTC')"  # what create() stores (the transaction's start)
LOG_ACCESS = ("create_uid", "write_uid", "create_date", "write_date")
MAGIC = ("id", *LOG_ACCESS)  # written by the database or by these helpers


class _Layout:
    """What these helpers need of a model's fields, found once per model class
    (each registry builds its own classes, so a new registry finds it again)."""

    def __init__(self, model):
        self.columns = {
            name: field
            for name, field in model._fields.items()
            if field.store and field.column_type and not field.translate and name not in MAGIC
        }
        self.computed = frozenset(name for name, field in self.columns.items() if field.compute)
        self.x2many = tuple(
            field for field in model._fields.values() if field.type in ("one2many", "many2many")
        )
        # Many2one fields whose value create() also adds to the parent's cached one2many.
        self.with_inverses = tuple(
            field
            for field in self.columns.values()
            if field.type == "many2one" and model.pool.field_inverses[field]
        )


_LAYOUTS = weakref.WeakKeyDictionary()


def _layout(model):
    layout = _LAYOUTS.get(type(model))
    if layout is None:
        layout = _LAYOUTS[type(model)] = _Layout(model)
    return layout


def complete_values(model, values):
    """``values`` with the defaults ``create()`` would add, checked for this path."""
    values = model._add_missing_default_values(values)
    layout = _layout(model)
    unknown = sorted(values.keys() - layout.columns.keys())
    if unknown:
        raise ValueError("%s.%s is not a plain stored column" % (model._name, unknown[0]))
    not_given = sorted(layout.computed - values.keys())
    if not_given:
        raise ValueError("%s.%s is computed: give its value" % (model._name, not_given[0]))
    return values


def columns_sql(names):
    """The quoted column list of ``names`` and the log-access columns."""
    return ", ".join('"%s"' % name for name in (*names, *LOG_ACCESS))


def row_sql(model, names, values):
    """``(placeholders, parameters)`` of one row of ``model``'s table: ``values``
    of the columns ``names`` (missing ones NULL, as create()'s DEFAULT is here:
    Odoo gives its columns no database default), then the log-access columns."""
    placeholders, parameters = [], []
    for name in names:
        field = model._fields[name]
        placeholders.append("%%s::%s" % field.column_type[1])
        value = values.get(name)
        parameters.append(field.convert_to_column(value, model, values))
    uid = model.env.uid
    return ", ".join((*placeholders, "%s", "%s", NOW, NOW)), [*parameters, uid, uid]


def cache_created(records, values_list, x2many=None):
    """Put the new ``records`` (inserted with ``values_list``) in the cache as
    ``create()`` leaves them; ``x2many``: ``{field name: ids per record}``."""
    cache = records.env.cache
    layout = _layout(records)
    x2many = x2many or {}
    for index, (record, values) in enumerate(zip(records, values_list, strict=True)):
        for field in layout.x2many:
            ids = x2many[field.name][index] if field.name in x2many else ()
            cache.set(record, field, tuple(ids))
        for name, field in layout.columns.items():
            cache.set(record, field, field.convert_to_cache(values.get(name), record))
        for field in layout.with_inverses:
            field._update_inverses(record, cache.get(record, field))


def insert_with_children(model, values, children, parent_field, children_values, links):
    """Insert a row of ``model`` (``values``), rows of ``children`` (each of
    ``children_values``, their many2one ``parent_field`` pointing at it) and its
    many2many ``links`` (``{field name: ids}``), in one statement: values
    completed and checked by :func:`complete_values` first. Returns ``(id,
    the children's ids in order)``."""
    names = sorted(values)
    row, parameters = row_sql(model, names, values)
    query = 'WITH parent AS (INSERT INTO "%s" (%s) VALUES (%s) RETURNING id)' % (
        model._table,
        columns_sql(names),
        row,
    )
    if children_values:
        child_names = sorted(set().union(*children_values))
        selects = []
        for child in children_values:
            row, child_parameters = row_sql(children, child_names, child)
            selects.append("SELECT parent.id, %s FROM parent" % row)
            parameters += child_parameters
        query += ', children AS (INSERT INTO "%s" ("%s", %s) %s RETURNING id)' % (
            children._table,
            parent_field,
            columns_sql(child_names),
            " UNION ALL ".join(selects),
        )
    for name, ids in links.items():
        if ids:
            link = model._fields[name]
            query += (
                ', "link_%s" AS (INSERT INTO "%s" ("%s", "%s") '
                "SELECT parent.id, unnest(%%s::int4[]) FROM parent)"
                % (name, link.relation, link.column1, link.column2)
            )
            parameters.append(list(ids))
    children_ids = (
        "SELECT id FROM children ORDER BY id" if children_values else "SELECT 1 WHERE false"
    )
    query += " SELECT (SELECT id FROM parent), ARRAY(%s)" % children_ids
    model.env.cr.execute(query, parameters)
    return model.env.cr.fetchone()
