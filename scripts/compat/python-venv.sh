#!/usr/bin/env bash
# Creates the Python venv with the PyPI clients that test/compat pins (test/compat/python/requirements.txt)
# in a cache outside the work tree, and prints the path of its python. The venv is named by the hash of the
# requirements file, so a changed pin makes a new venv. Idempotent: with a warm cache it only checks a path.
#   SLUICE_CACHE  where the cache lives (default: $XDG_CACHE_HOME/sluice, else ~/.cache/sluice)
#   PYTHON        the interpreter the venv is made from (default: python3 on PATH)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
requirements="$here/../../test/compat/python/requirements.txt"
cache="${SLUICE_CACHE:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/sluice}"
venv="$cache/venv-$(sha256sum "$requirements" | cut -c1-16)"

if [ -x "$venv/bin/python" ]; then
  echo "$venv/bin/python"
  exit 0
fi

python="${PYTHON:-python3}"
command -v "$python" >/dev/null || { echo "python-venv: $python is not installed; install Python 3 with its venv module" >&2; exit 1; }
echo "python-venv: installing $(grep -cv '^#' "$requirements") pinned packages into $venv" >&2
mkdir -p "$cache"
tmp="$(mktemp -d "${venv}.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
"$python" -m venv "$tmp" >&2
"$tmp/bin/python" -m pip install -q --disable-pip-version-check -r "$requirements" >&2
# Swap in whole, so a half-made venv is never mistaken for a cache (a venv's python runs from any path; its
# console scripts are not used). A concurrent run may have won the race: keep the first.
if mv -T "$tmp" "$venv" 2>/dev/null; then trap - EXIT; fi
echo "$venv/bin/python"
