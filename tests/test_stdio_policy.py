"""What stdio servers may run: environment names, the command allow-list, arguments."""

import pytest

from mcp_crew.services import stdio_policy
from mcp_crew.services.errors import ConfigurationError
from mcp_crew.services.settings import EngineSettings


@pytest.mark.parametrize(
    "name",
    [
        "LD_PRELOAD",
        "LD_LIBRARY_PATH",
        "ld_preload",
        "LD_AUDIT",
        "DYLD_INSERT_LIBRARIES",
        "PYTHONPATH",
        "PYTHONSTARTUP",
        "PYTHONHOME",
        "PATH",
        "NODE_OPTIONS",
        "NODE_PATH",
        "npm_config_node_options",
        "NPM_CONFIG_USERCONFIG",
        "PERL5OPT",
        "PERL5LIB",
        "RUBYOPT",
        "BASH_ENV",
        "ENV",
        "BASH_FUNC_ls%%",
        "HOME",
        "XDG_CONFIG_HOME",
        "GCONV_PATH",
        "OPENSSL_CONF",
        "JAVA_TOOL_OPTIONS",
        "GIT_SSH_COMMAND",
        "UV_INDEX_URL",
        "PIP_INDEX_URL",
        "SHELL",
        "GOFLAGS",
    ],
)
def test_loader_environment_names_are_refused(name):
    with pytest.raises(ConfigurationError):
        stdio_policy.check_env_name(name)


@pytest.mark.parametrize(
    "name", ["API_TOKEN", "GITHUB_TOKEN", "GOOGLE_API_KEY", "NODE_ENV", "LOG_LEVEL"]
)
def test_ordinary_environment_names_pass(name):
    stdio_policy.check_env_name(name)


@pytest.mark.parametrize("name", ["", "1X", "A-B", "A B", "A=B"])
def test_invalid_environment_names_are_refused(name):
    with pytest.raises(ConfigurationError, match="not a valid"):
        stdio_policy.check_env_name(name)


@pytest.mark.parametrize(
    "name",
    [
        "Host",
        "content-length",
        "Transfer-Encoding",
        "Proxy-Authorization",
        "Mcp-Session-Id",
        "Bad Name",
        "X:Y",
    ],
)
def test_transport_headers_are_refused(name):
    with pytest.raises(ConfigurationError):
        stdio_policy.check_header_name(name)


def test_credential_headers_pass():
    for name in ("Authorization", "X-Api-Key", "Cookie"):
        stdio_policy.check_header_name(name)


def test_command_allow_list():
    patterns = stdio_policy.parse_commands("npx, uvx\n/opt/mcp/bin/*")
    assert patterns == ("npx", "uvx", "/opt/mcp/bin/*")
    for command in ("npx", "uvx", "/opt/mcp/bin/server-a"):
        assert stdio_policy.command_allowed(command, patterns), command
    for command in (
        "/bin/sh",
        "sh",
        "/tmp/evil/npx",  # a bare name matches the bare name only
        "./npx",
        "/opt/mcp/bin/../../../bin/sh",
        "/opt/mcp/bin//x",
        "/opt/mcp/bin/sub/x",  # * stays within one segment
        "/opt/mcp/binx",
        "",
    ):
        assert not stdio_policy.command_allowed(command, patterns), command
    assert not stdio_policy.command_allowed("npx", ())


def test_settings_read_stdio_commands():
    settings = EngineSettings.from_sources({"stdio_commands": "npx, /opt/mcp/bin/*"}, {})
    assert settings.stdio_commands_allowed == ("npx", "/opt/mcp/bin/*")
    assert EngineSettings().stdio_commands_allowed == ()


def test_ordinary_arguments_pass():
    stdio_policy.check_arguments(
        [
            "-y",
            "@modelcontextprotocol/server-everything",
            "stdio",
            "--port=8000",
            "mcp-server-time",
            "--local-timezone=UTC",
        ]
    )


@pytest.mark.parametrize(
    "arg",
    [
        "-c",
        "-e",
        "--eval",
        "--eval=process.exit()",
        "--require",
        "-r",
        "--import=data:text/javascript,x",
        "--call",
        "--node-options=--require=/x",
        "--registry=http://10.0.0.1/",
        "--index-url",
        "--from=git+https://example.com/x",
        "/var/lib/odoo/filestore/db/ab/abcdef",
        "./payload.js",
        "../x",
        "~/x",
        "file:/tmp/pkg",
        "git+https://example.com/x.git",
        "github:someone/pkg",
        "pkg/../../x",
        "--inspect=0.0.0.0:9229",
        "a\nb",
    ],
)
def test_code_or_path_arguments_are_refused(arg):
    with pytest.raises(ConfigurationError):
        stdio_policy.check_arguments(["-y", arg])
