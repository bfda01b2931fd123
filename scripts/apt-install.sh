#!/usr/bin/env bash
# Installs Debian packages for the test set-up scripts (databases.sh, browser.sh), as root or
# through sudo. Usage: apt-install.sh <name shown in messages> <package>...
set -euo pipefail

caller=$1
shift
if [ "$#" -eq 0 ]; then
  exit 0
fi

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null; then
    sudo_cmd=(sudo)
  else
    echo "$caller: $* missing and not root (no sudo to install them)" >&2
    exit 1
  fi
fi

echo "$caller: installing $*"
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "$@" >/dev/null
