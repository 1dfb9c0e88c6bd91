"""The Odoo side of :mod:`..services.functional_settings`: reading a setting,
and declaring its field on the settings page, from its one declaration."""

from odoo import fields

from ..services.functional_settings import SETTINGS

_FIELD_TYPES = {int: fields.Integer, float: fields.Float, str: fields.Char}


def get_setting(env, key):
    """This database's value of setting ``key``, typed (its default when unset)."""
    setting = SETTINGS[key]
    # get_param()'s own cache, without its access check: the settings are read
    # for every user, and a sudo() environment per read shows in a request's cost.
    return setting.parse(env["ir.config_parameter"]._get_param(setting.param))


def setting_field(key, string, selection=None, **kwargs):
    """A ``res.config.settings`` field stored as setting ``key`` (a selection
    when ``selection`` lists its values)."""
    setting = SETTINGS[key]
    if setting.default != "":
        kwargs.setdefault("default", setting.default)
    if selection:
        return fields.Selection(selection, string, config_parameter=setting.param, **kwargs)
    return _FIELD_TYPES[setting.type](string, config_parameter=setting.param, **kwargs)
