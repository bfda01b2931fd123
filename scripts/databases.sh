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

if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null; then
    sudo_cmd=(sudo)
  else
    echo "scripts/databases.sh: ${missing[*]} missing and not root (no sudo to install them)" >&2
    exit 1
  fi
fi

echo "scripts/databases.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update
"${sudo_cmd[@]}" apt-get install -y --no-install-recommends "${missing[@]}"
