#!/usr/bin/env bash
# Make sure Redis (127.0.0.1:6379) and PostgreSQL (127.0.0.1:5432) answer,
# starting them, or installing them from Debian packages, when they do not.
set -euo pipefail

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
apt_install() { "$(dirname "$0")/apt-install.sh" "$@"; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_port() {
    for _ in $(seq 1 50); do port_open "$1" && return 0; sleep 0.2; done
    echo "nothing answers on 127.0.0.1:$1" >&2; return 1
}

if ! port_open 6379; then
    command -v redis-server >/dev/null || apt_install redis-server
    as_root mkdir -p /var/lib/redis /var/log/redis
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
        --dir /var/lib/redis --logfile /var/log/redis/mcp_crew-tests.log
    wait_port 6379
fi
command -v redis-server >/dev/null || apt_install redis-server  # the tests start private ones

if ! port_open 5432; then
    command -v pg_ctlcluster >/dev/null || apt_install postgresql
    version=$(find /etc/postgresql -mindepth 1 -maxdepth 1 -printf '%f\n' | sort -V | tail -n1)
    as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start
    wait_port 5432
fi
echo "Redis and PostgreSQL are up"
