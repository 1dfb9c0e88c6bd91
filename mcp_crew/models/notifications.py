from ..services.redaction import REDACTOR


def notification(title, message, kind="info", next_action=None):
    """A client action showing an Odoo toast; errors stay until dismissed.

    Registered secrets a peer echoed into the message are masked."""
    params = {
        "title": title,
        "message": REDACTOR.redact(message or ""),
        "type": kind,
        "sticky": kind == "danger",
    }
    if next_action:
        params["next"] = next_action
    return {"type": "ir.actions.client", "tag": "display_notification", "params": params}
