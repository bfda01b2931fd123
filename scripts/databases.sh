#!/usr/bin/env bash
# Installs the database servers the JDBC tests start (PostgreSQL and MariaDB, Debian packages).
# Idempotent: does nothing when both servers are already installed, so `make test` can call it
# every time. Installing needs root (or sudo) and Debian's package lists.
set -euo pipefail

missing=()
# PostgreSQL's Debian package keeps its binaries under /usr/lib/postgresql/<version>/bin.
if ! compgen -G "/usr/lib/postgresql/*/bin/postgres" >/dev/null && ! command -v postgres >/dev/null; then
  missing+=(postgresql)
fi
if ! command -v mariadbd >/dev/null && ! command -v mysqld >/dev/null \
  && [ ! -x /usr/sbin/mariadbd ] && [ ! -x /usr/sbin/mysqld ]; then
  missing+=(mariadb-server)
fi

exec bash "$(dirname "$0")/apt-install.sh" scripts/databases.sh ${missing[@]+"${missing[@]}"}
