"""Settings, specs, the circuit breaker and argument validation."""

import pytest

from mcp_crew.services.circuit import CircuitBreaker
from mcp_crew.services.errors import CircuitOpen, ConfigurationError, InvalidArguments
from mcp_crew.services.settings import EngineSettings
from mcp_crew.services.spec import CacheScope, ServerSpec
from mcp_crew.services.validation import validate_arguments

SCOPE = CacheScope("db1", 3)


def test_settings_environment_overrides_odoo_conf():
    settings = EngineSettings.from_sources(
        {"redis_url": "redis://conf:6379/1", "l1_ttl": "12"},
        {"MCP_CREW_REDIS_URL": "redis://env:6379/2"},
    )
    assert settings.redis_url == "redis://env:6379/2"
    assert settings.l1_ttl == 12.0
    assert settings.circuit_failure_threshold == 3


@pytest.mark.parametrize(
    "conf",
    [{"l1_ttl": "soon"}, {"redis_url": "http://x"}, {"l1_max_entries": "0"}],
)
def test_settings_reject_bad_values_with_the_key_name(conf):
    with pytest.raises(ConfigurationError) as info:
        EngineSettings.from_sources(conf, {})
    assert next(iter(conf)) in str(info.value)


def test_redis_password_is_redacted():
    settings = EngineSettings(redis_url="redis://user:s3cret@cache:6379/0")
    assert settings.redis_url_redacted == "redis://user:***@cache:6379/0"


def test_keys_are_hash_tagged_per_database_and_company():
    assert SCOPE.key("catalog", 7) == "mcp_crew:{db1:3}:catalog:7"


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"transport": "carrier_pigeon"}, "unknown transport"),
        ({"transport": "stdio"}, "needs a command"),
        ({"transport": "streamable_http", "url": "ftp://x"}, r"not an http\(s\) URL"),
        ({"transport": "sse", "url": "https://x", "timeout": 0}, "timeout must be positive"),
    ],
)
def test_spec_validation(fields, message):
    with pytest.raises(ConfigurationError, match=message):
        ServerSpec(SCOPE, 1, "s", **fields)


def test_spec_repr_and_fingerprint_never_expose_secrets():
    spec = ServerSpec(
        SCOPE,
        1,
        "crm",
        "streamable_http",
        url="https://bob:pw@crm.example/mcp?token=abc",
        headers=(("Authorization", "Bearer TOPSECRET"),),
    )
    text = repr(spec) + spec.fingerprint + spec.display_target
    for secret in ("TOPSECRET", "pw", "abc"):
        assert secret not in text
    rotated = ServerSpec(
        SCOPE,
        1,
        "crm",
        "streamable_http",
        url=spec.url,
        headers=(("Authorization", "Bearer OTHER"),),
        revision=1,
    )
    assert rotated.fingerprint != spec.fingerprint


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_circuit_breaker_cycle():
    clock = Clock()
    breaker = CircuitBreaker("s", failure_threshold=2, reset_timeout=10, clock=clock)
    breaker.before_call()
    breaker.record_failure()
    assert breaker.state == "closed"
    breaker.record_failure()
    assert breaker.state == "open"
    with pytest.raises(CircuitOpen) as info:
        breaker.before_call()
    assert info.value.retry_in == 10
    clock.now = 10
    breaker.before_call()  # the single trial call
    with pytest.raises(CircuitOpen):
        breaker.before_call()  # nobody else while the trial runs
    breaker.record_failure()
    assert breaker.state == "open"
    clock.now = 20
    breaker.before_call()
    breaker.record_success()
    assert breaker.state == "closed"


SCHEMA = {
    "type": "object",
    "properties": {
        "customer": {"type": "string"},
        "lines": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"qty": {"type": "integer", "minimum": 1}},
                "required": ["qty"],
            },
        },
    },
    "required": ["customer"],
}


@pytest.mark.parametrize(
    "arguments, field",
    [
        ({}, "customer"),
        ({"customer": 5}, "customer"),
        ({"customer": "a", "lines": [{"qty": 1}, {"qty": 0}]}, "lines[1].qty"),
        ({"customer": "a", "lines": [{}]}, "lines[0]"),
    ],
)
def test_validation_names_the_bad_field(arguments, field):
    with pytest.raises(InvalidArguments) as info:
        validate_arguments("order", SCHEMA, arguments)
    assert info.value.field_path == field
    assert field in str(info.value)


def test_validation_accepts_valid_and_rejects_non_objects():
    validate_arguments("order", SCHEMA, {"customer": "a", "lines": [{"qty": 2}]})
    with pytest.raises(InvalidArguments, match="expected an object"):
        validate_arguments("order", SCHEMA, ["customer"])
