"""What a stdio MCP server may be configured to run, and with which environment.

Starting a stdio server runs a program on the Odoo host, so its command,
arguments and environment decide what code runs there. Two rules:

- **Environment names that change how programs load or find code** are refused
  for everyone (:func:`check_env_name`): the dynamic loader (``LD_*``,
  ``DYLD_*``, ``GCONV_PATH``…), interpreters' start-up and module paths
  (``PYTHON*``, ``NODE_*``, ``PERL*``, ``RUBY*``, ``JAVA_TOOL_OPTIONS``…),
  shells (``BASH_ENV``, ``ENV``, ``BASH_FUNC_*``…), package runners (``NPM_CONFIG_*``,
  ``UV_*``, ``PIP_*``…), where programs look for executables and their
  configuration (``PATH``, ``HOME``, ``XDG_CONFIG_HOME``, ``GIT_*``…). A value
  there could point at any file the requester managed to put on the host (an
  uploaded attachment lies in the filestore), and that file would run.
- **Commands outside** ``[mcp_crew] stdio_commands`` (odoo.conf or
  ``MCP_CREW_STDIO_COMMANDS``) are for system administrators only. The
  allow-list holds commands (``npx``, ``uvx``) or absolute patterns where
  ``*`` stays within one path segment (``/opt/mcp/bin/*``). Arguments of an
  allow-listed command must not carry code or a local path
  (:func:`check_arguments`): no ``-c``/``--eval``/``--require``-like options,
  no ``/``, ``./``, ``../`` or ``~`` paths, no ``file:``/``git+``/``link:``
  package sources, no options that swap the package registry or configuration.

Names are compared upper-cased: ``npm`` reads ``npm_config_*`` as well.
"""

import fnmatch
import posixpath
import re

from .errors import ConfigurationError

_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
LOADER_ENV_NAMES = frozenset(
    {
        # executables, configuration and start-up files
        "PATH",
        "HOME",
        "SHELL",
        "ENV",
        "BASH_ENV",
        "SHELLOPTS",
        "BASHOPTS",
        "PS4",
        "PROMPT_COMMAND",
        "IFS",
        "CDPATH",
        "GLOBIGNORE",
        "ZDOTDIR",
        "EDITOR",
        "VISUAL",
        "PAGER",
        "BROWSER",
        "TMPDIR",
        # libc: loadable modules and resolver configuration
        "GCONV_PATH",
        "LOCPATH",
        "NLSPATH",
        "HOSTALIASES",
        "RES_OPTIONS",
        "LOCALDOMAIN",
        "OPENSSL_CONF",
        "OPENSSL_ENGINES",
        "OPENSSL_MODULES",
        "SSLKEYLOGFILE",
        # interpreters and runtimes
        "CLASSPATH",
        "JAVA_TOOL_OPTIONS",
        "_JAVA_OPTIONS",
        "JDK_JAVA_OPTIONS",
        "LUA_PATH",
        "LUA_CPATH",
        "TCLLIBPATH",
        "R_PROFILE",
        "R_PROFILE_USER",
        "R_LIBS",
        "VIRTUAL_ENV",
        "GOFLAGS",
        "GOPATH",
        "GOROOT",
        "GOPROXY",
        "GOTOOLCHAIN",
        "GOENV",
        "PHPRC",
        "PHP_INI_SCAN_DIR",
        "COR_PROFILER",
        "COR_PROFILER_PATH",
        "CORECLR_PROFILER",
        "CORECLR_PROFILER_PATH",
    }
)
# Names under a refused prefix that only select a mode, never code.
HARMLESS_ENV_NAMES = frozenset({"NODE_ENV"})
LOADER_ENV_PREFIXES = (
    "LD_",
    "DYLD_",
    "MALLOC_",
    "GLIBC_",
    "XDG_",
    "PYTHON",
    "NODE_",
    "NPM_",
    "NPX_",
    "YARN_",
    "PNPM_",
    "COREPACK_",
    "BUN_",
    "DENO_",
    "PERL",
    "RUBY",
    "GEM_",
    "BUNDLE_",
    "UV_",
    "PIP_",
    "PIPX_",
    "CONDA_",
    "GIT_",
    "BASH_FUNC_",
    "CARGO_",
    "RUSTUP_",
    "DOTNET_",
)


def check_env_name(name):
    """Raise :class:`ConfigurationError` for a name refused as an environment variable."""
    if not name or not _ENV_NAME.match(name):
        raise ConfigurationError("%r is not a valid environment variable name" % (name,))
    upper = name.upper()
    if upper in HARMLESS_ENV_NAMES:
        return
    if upper in LOADER_ENV_NAMES or upper.startswith(LOADER_ENV_PREFIXES):
        raise ConfigurationError(
            "environment variable %s changes how programs load or find code; it cannot be set "
            "on an MCP server" % name
        )


# HTTP headers the transport owns: changing them would re-route or break requests.
RESERVED_HEADERS = frozenset(
    {
        "host",
        "content-length",
        "content-type",
        "transfer-encoding",
        "connection",
        "keep-alive",
        "upgrade",
        "te",
        "trailer",
        "accept",
        "mcp-session-id",
        "mcp-protocol-version",
        "last-event-id",
    }
)
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")


def check_header_name(name):
    if not name or not _HEADER_NAME.match(name):
        raise ConfigurationError("%r is not a valid HTTP header name" % (name,))
    lower = name.lower()
    if lower in RESERVED_HEADERS or lower.startswith("proxy-"):
        raise ConfigurationError("HTTP header %s is set by the transport itself" % name)


def parse_commands(text):
    """The allow-list of a ``stdio_commands`` setting (comma- or newline-separated)."""
    return tuple(part.strip() for part in re.split(r"[,\n]", text or "") if part.strip())


def command_allowed(command, patterns):
    """Whether ``command`` is on the allow-list.

    A pattern without ``/`` is a bare command name matched exactly (resolved on
    the server's ``PATH``, which nobody can change); a pattern with ``/`` matches
    an absolute, normalised command segment by segment.
    """
    command = (command or "").strip()
    if not command:
        return False
    for pattern in patterns:
        if "/" not in pattern:
            if command == pattern:
                return True
            continue
        if not command.startswith("/") or posixpath.normpath(command) != command:
            continue
        parts, wanted = command.split("/"), pattern.split("/")
        if len(parts) == len(wanted) and all(
            fnmatch.fnmatchcase(part, want) for part, want in zip(parts, wanted, strict=True)
        ):
            return True
    return False


# Options that evaluate inline code, preload a module, run a shell or swap the
# registry/configuration packages come from (node, npx/npm, uvx/uv, pip, python).
CODE_OPTIONS = frozenset(
    {
        "-c",
        "-e",
        "-p",
        "-r",
        "-m",
        "-i",
        "--eval",
        "--print",
        "--require",
        "--import",
        "--loader",
        "--experimental-loader",
        "--call",
        "--shell",
        "--script-shell",
        "--node-options",
        "--userconfig",
        "--globalconfig",
        "--prefix",
        "--registry",
        "--index",
        "--index-url",
        "--default-index",
        "--extra-index-url",
        "--find-links",
        "-f",
        "--config-file",
        "--directory",
        "--project",
        "--python",
        "--env-file",
        "--inspect",
        "--inspect-brk",
    }
)
_SOURCE_PREFIXES = ("file:", "git+", "git:", "github:", "gitlab:", "bitbucket:", "link:", "ssh:")


def check_arguments(args):
    """Refuse arguments of an allow-listed command that carry code or a local path."""
    for arg in args:
        option = arg.split("=", 1)[0]
        if option in CODE_OPTIONS or option.startswith(("--inspect", "--experimental-")):
            raise ConfigurationError("argument %s is not allowed for this command" % arg)
        value = arg.split("=", 1)[-1] if arg.startswith("-") else arg
        if (
            value.startswith(("/", "./", "../", "~", "\\"))
            or value in (".", "..")
            or "/../" in value
            or value.lower().startswith(_SOURCE_PREFIXES)
            or any(char in value for char in "\0\r\n")
        ):
            raise ConfigurationError(
                "argument %s is not allowed: a local path or package source" % arg
            )
