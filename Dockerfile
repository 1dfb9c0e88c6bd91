# Odoo 16 on Python 3.10 with the mcp_crew addon.
#
# Why not FROM odoo:16? The official image runs Python 3.9, and the addon's
# dependencies (mcp, crewai) need Python >= 3.10. So Odoo is assembled here
# from its source tarball on top of python:3.10-slim-bookworm.
#
# Build:  docker compose build            (or: docker build -t mcp-crew-odoo:16.0 .)
# Two images come out of this file: the last stage, `production` (the default
# target), and `test` (production + what the Odoo tests need: redis-server,
# Chromium and requirements-test.txt), used by the odoo-tests service.
# Pin Odoo to a given nightly for reproducible builds, e.g.
#   --build-arg ODOO_SOURCE_URL=https://nightly.odoo.com/16.0/nightly/tgz/odoo_16.0.20250701.tar.gz
#   --build-arg ODOO_SOURCE_SHA256=<sha256 of that file>
# A GitHub archive works as well:
#   --build-arg ODOO_SOURCE_URL=https://github.com/odoo/odoo/archive/refs/heads/16.0.tar.gz
#
# Kept compatible with the classic builder (no COPY --chmod, no RUN --mount),
# so it also builds where BuildKit is not enabled (that builder also builds the
# stages a target does not need: add --target production to skip `test`).

ARG PYTHON_IMAGE=python:3.10-slim-bookworm

# ---------------------------------------------------------------------------
# Stage 1: Odoo's source code. Fetched at build time, never committed here.
# ---------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS odoo-src

# Empty means the latest official 16.0 nightly (docker-compose.yml passes the
# ODOO_SOURCE_URL environment variable, empty unless set).
ARG ODOO_SOURCE_URL=
ARG ODOO_SOURCE_SHA256=

RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/*

# Both supported layouts have one top-level directory, hence --strip-components:
# the nightly tarball (an sdist: every addon lives in odoo/addons) and a GitHub
# archive of the 16.0 branch (core addons in odoo/addons, the rest in addons/).
# /opt/odoo/addons is created empty for the former so that odoo.conf's
# addons_path is the same for both.
RUN set -eux; \
    url="${ODOO_SOURCE_URL:-https://nightly.odoo.com/16.0/nightly/tgz/odoo_16.0.latest.tar.gz}"; \
    curl -fsSL --retry 5 --retry-delay 5 -o /tmp/odoo.tar.gz "$url"; \
    if [ -n "${ODOO_SOURCE_SHA256}" ]; then \
        echo "${ODOO_SOURCE_SHA256}  /tmp/odoo.tar.gz" | sha256sum -c -; \
    fi; \
    mkdir -p /opt/odoo; \
    tar -xzf /tmp/odoo.tar.gz -C /opt/odoo --strip-components=1; \
    rm /tmp/odoo.tar.gz; \
    grep -q "^version_info = (16, 0," /opt/odoo/odoo/release.py; \
    test -f /opt/odoo/setup/odoo; \
    mkdir -p /opt/odoo/addons; \
    find /opt/odoo -name '*.py[co]' -delete

# A reduced tree (such as a slim nightly) lacks addons that the data of those it
# keeps refers to (module categories, payment modules), and no database could
# be created: tools/odoo_placeholders.py writes a non-installable placeholder
# for each into /opt/odoo/placeholders (on odoo.conf's addons_path). For the
# official nightly or a GitHub archive nothing is missing: it stays empty.
COPY tools/odoo_placeholders.py /tmp/odoo_placeholders.py
RUN python /tmp/odoo_placeholders.py /opt/odoo /opt/odoo/placeholders \
    && rm /tmp/odoo_placeholders.py

# ---------------------------------------------------------------------------
# Stage 2: Python dependencies, compiled into a virtualenv.
# The compilers and -dev headers stay in this stage.
# ---------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS builder

# psycopg2 and python-ldap build from source (libpq, libldap/libsasl headers);
# the others cover the packages that may fall back to an sdist.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        gcc libc6-dev binutils \
        libpq-dev \
        libldap2-dev libsasl2-dev \
        libxml2-dev libxslt1-dev \
        libjpeg-dev zlib1g-dev \
    && rm -rf /var/lib/apt/lists/*

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# The venv keeps the pip and setuptools that ship with Python 3.10 (the set was
# measured with them). Odoo 16 imports pkg_resources, i.e. needs setuptools.
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH

# Both files in ONE pip run, so the resolver sees Odoo's pins and the addon's
# pins together and fails loudly on any conflict.
COPY docker/requirements-odoo.txt /tmp/requirements/requirements-odoo.txt
COPY requirements.txt /tmp/requirements/requirements-addon.txt
RUN pip install \
        -r /tmp/requirements/requirements-odoo.txt \
        -r /tmp/requirements/requirements-addon.txt \
    && pip check

# Size (see README, Docker): cut what is never used at run time.
# - The packages' own test suites (~40 MB); numpy's stay, numpy.testing
#   imports from them.
# - The debug info some compiled libraries carry (~60 MB, mostly libsass and
#   uvloop). Only files with .debug sections are stripped: the libraries that
#   auditwheel rewrote with patchelf (e.g. numpy's OpenBLAS) break under strip.
# - The uv binaries (~40 MB), which crewai-cli requires for its project
#   commands; the package's metadata stays, so pip check still holds.
# The imports prove that every native package still loads.
RUN set -eux; \
    site=/opt/venv/lib/python3.10/site-packages; \
    find "$site" -mindepth 2 -type d \( -name tests -o -name test \) \
        ! -path "$site/numpy/*" -prune -exec rm -rf {} +; \
    find "$site" -type f -name '*.so*' | while read -r lib; do \
        if readelf -S -W "$lib" | grep -q ' \.debug_'; then strip --strip-debug "$lib"; fi; \
    done; \
    rm -f /opt/venv/bin/uv /opt/venv/bin/uvx; \
    CREWAI_DISABLE_TELEMETRY=true OTEL_SDK_DISABLED=true CREWAI_DISABLE_VERSION_CHECK=true \
    python -c "import chromadb, lancedb, onnxruntime, pyarrow, numpy, tokenizers, \
lxml.etree, lxml.objectify, PIL.Image, psycopg2, ldap, sass, gevent, greenlet, uvloop, yaml, \
aiohttp, regex, multidict, reportlab, crewai, mcp"

# ---------------------------------------------------------------------------
# Stage 3: the runtime, i.e. the production image (see the last stage).
# ---------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime

ARG ODOO_UID=1000

# Runtime shared libraries of the packages compiled in the builder (psycopg2:
# libpq; python-ldap: libldap, libsasl2). lxml and Pillow come as wheels that
# bundle libxml2/libxslt/libjpeg; the ldd check below fails the build if any
# library of the venv is missing (e.g. a package that fell back to an sdist).
# Plus:
# - postgresql-client: pg_isready/psql/dropdb for the entrypoint, and
#   pg_dump/pg_restore for Odoo's database backups (v15 = the server's major);
# - tini: PID 1 that reaps zombies. The addon spawns MCP servers as stdio
#   subprocesses, and their orphans would otherwise pile up under Odoo;
# - fonts-dejavu-core: a basic font for reports.
# wkhtmltopdf is deliberately left out: without it Odoo still runs, but PDF
# reports fall back to HTML (Odoo logs a warning at startup).
# apt-get clean: the package cache is not left in the layer, whatever the
# base image's apt configuration.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpq5 \
        libldap-2.5-0 libsasl2-2 \
        postgresql-client \
        tini \
        fonts-dejavu-core \
    && apt-get clean \
    && rm -rf /var/lib/apt/lists/*

# Non-root user. Its HOME is Odoo's data_dir, a volume: CrewAI writes under
# ~/.local/share, which must be writable and is worth keeping across restarts.
RUN useradd --uid "${ODOO_UID}" --user-group --home-dir /var/lib/odoo \
        --create-home --shell /usr/sbin/nologin odoo

COPY --from=builder /opt/venv /opt/venv
COPY --from=odoo-src /opt/odoo /opt/odoo

ENV PATH=/opt/venv/bin:$PATH \
    ODOO_RC=/etc/odoo/odoo.conf \
    PYTHONUNBUFFERED=1 \
    CREWAI_DISABLE_TELEMETRY=true \
    CREWAI_DISABLE_VERSION_CHECK=true \
    OTEL_SDK_DISABLED=true

# Check that every extension module of the venv finds its shared libraries
# (those bundled in wheels are found through their RPATH). Make `import odoo`
# work from the venv without installing (= copying) the source, and provide
# an `odoo` command. setup/odoo is Odoo's own launcher
# (it sets TZ=UTC before anything is imported) and exists in both layouts.
RUN set -eu; \
    missing=$(find /opt/venv -type f \( -name '*.cpython-*.so' -o -name '*.abi3.so' \) \
        -exec ldd {} + 2>/dev/null | grep 'not found' | sort -u); \
    if [ -n "$missing" ]; then echo "shared libraries missing: $missing" >&2; exit 1; fi; \
    echo /opt/odoo > /opt/venv/lib/python3.10/site-packages/odoo-source.pth \
    && printf '#!/bin/sh\nexec python3 /opt/odoo/setup/odoo "$@"\n' > /usr/local/bin/odoo \
    && chmod 755 /usr/local/bin/odoo \
    && python3 -c "import odoo.release as r; assert r.version_info[:2] == (16, 0), r.version"

COPY docker/odoo.conf /etc/odoo/odoo.conf
COPY docker/entrypoint.sh /usr/local/bin/odoo-entrypoint.sh
RUN chmod 644 /etc/odoo/odoo.conf \
    && chmod 755 /usr/local/bin/odoo-entrypoint.sh \
    && mkdir -p /mnt/extra-addons \
    && chown odoo:odoo /var/lib/odoo

# The demo MCP server (also run as its own compose service) and its set-up.
COPY docker/mcp_demo_server.py docker/demo_setup.py /opt/mcp-demo/

# Last, so that editing the addons does not invalidate the layers above.
COPY mcp_crew /mnt/extra-addons/mcp_crew
COPY mcp_crew_sale /mnt/extra-addons/mcp_crew_sale
COPY mcp_crew_crm /mnt/extra-addons/mcp_crew_crm

USER odoo
WORKDIR /var/lib/odoo

# 8069: HTTP (and websocket, as workers = 0); 8072: gevent port if workers > 0.
EXPOSE 8069 8072

ENTRYPOINT ["/usr/bin/tini", "--", "/usr/local/bin/odoo-entrypoint.sh"]
CMD []

# ---------------------------------------------------------------------------
# Stage 4: the test image (target `test`, the odoo-tests service): the runtime
# plus what the addons' Odoo tests need, so they run as `make test` runs them.
# - redis-server: the tests start private Redis servers they can stop;
# - chromium: the browser tests (QUnit, tours);
# - requirements-test.txt: Python packages only the tests import.
# ---------------------------------------------------------------------------
FROM runtime AS test

USER root
RUN apt-get update \
    && apt-get install -y --no-install-recommends redis-server chromium \
    && apt-get clean \
    && rm -rf /var/lib/apt/lists/*
COPY requirements-test.txt /tmp/requirements-test.txt
RUN PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
        pip install -r /tmp/requirements-test.txt \
    && pip check \
    && rm /tmp/requirements-test.txt
USER odoo

# ---------------------------------------------------------------------------
# Stage 5: the production image, the default target (`docker build .`).
# ---------------------------------------------------------------------------
FROM runtime AS production
