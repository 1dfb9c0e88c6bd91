"""Functional settings: one declaration, read leniently, and the README agrees."""

import pathlib
import re

import pytest

from mcp_crew.services import functional_settings
from mcp_crew.services.functional_settings import SETTINGS, Setting

README = pathlib.Path(__file__).resolve().parent.parent / "README.md"
TABLE_HEADER = "| Key (`mcp_crew.…`) | Default | Where | Meaning |"


def readme_defaults():
    """``{key: default as written}`` from the README's functional settings table."""
    lines = README.read_text(encoding="utf-8").splitlines()
    start = lines.index(TABLE_HEADER) + 2
    documented = {}
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        keys_cell, defaults_cell = [cell.strip() for cell in line.strip("|").split("|")][:2]
        keys = re.findall(r"`([a-z0-9_]+)`", keys_cell)
        defaults = defaults_cell.split(", ")
        if len(defaults) != len(keys):
            defaults = [defaults_cell] * len(keys)
        for key, default in zip(keys, defaults, strict=True):
            assert key not in documented, "%s is documented twice" % key
            documented[key] = default
    return documented


def as_written(text):
    """The value a README default cell states: its first `code`, or "" for empty."""
    if text.startswith("empty"):
        return ""
    match = re.match(r"`([^`]*)`", text)
    assert match, "default %r should start with `value` or empty" % text
    return match.group(1)


def test_the_readme_documents_every_setting_and_only_those():
    assert set(readme_defaults()) == set(SETTINGS)


@pytest.mark.parametrize("key", sorted(SETTINGS))
def test_the_readme_default_is_the_declared_one(key):
    setting = SETTINGS[key]
    written = as_written(readme_defaults()[key])
    if setting.type is str:
        assert written == setting.default
    else:
        assert float(written) == pytest.approx(setting.default), key


def test_trigram_threshold_is_documented_as_the_code_uses_it():
    # The README said 0.6 while search used 0.4.
    assert as_written(readme_defaults()["trigram_threshold"]) == "0.4"


@pytest.mark.parametrize(
    ("setting", "raw", "expected"),
    [
        (Setting("n", int, 20), None, 20),
        (Setting("n", int, 20), False, 20),
        (Setting("n", int, 20), "", 20),
        (Setting("n", int, 20), "35", 35),
        (Setting("n", int, 20), "35.0", 35),
        (Setting("n", int, 20), "many", 20),
        (Setting("x", float, 0.4), "0.55", 0.55),
        (Setting("x", float, 0.4), "0,55", 0.4),
        (Setting("s", str, "model"), "other", "other"),
        (Setting("s", str, "model"), "", "model"),
    ],
)
def test_a_stored_value_is_typed_or_falls_back_to_the_default(setting, raw, expected):
    assert setting.parse(raw) == expected
    assert type(setting.parse(raw)) is setting.type


def test_settings_are_system_parameters_of_the_addon():
    assert SETTINGS["trigram_threshold"].param == "mcp_crew.trigram_threshold"
    assert functional_settings.read("approval_ttl_minutes", "15") == 15
