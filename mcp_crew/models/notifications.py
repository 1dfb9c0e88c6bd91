def notification(title, message, kind="info", next_action=None):
    """A client action showing an Odoo toast; errors stay until dismissed."""
    params = {"title": title, "message": message, "type": kind, "sticky": kind == "danger"}
    if next_action:
        params["next"] = next_action
    return {"type": "ir.actions.client", "tag": "display_notification", "params": params}
