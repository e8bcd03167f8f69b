#!/usr/bin/env bash
# Run a command in a fresh network namespace that has only loopback (127.0.0.1),
# so media in tests can reach nothing but this machine even by mistake (MEDIA.md).
# Needs root (or user namespaces); without either it says so and runs the command as is.
set -euo pipefail
if unshare -n true 2>/dev/null; then
  exec unshare -n sh -c 'ip link set lo up && exec "$@"' sh "$@"
fi
if unshare -rn true 2>/dev/null; then
  exec unshare -rn sh -c 'ip link set lo up && exec "$@"' sh "$@"
fi
echo "warning: cannot create a loopback-only network namespace; running without it" >&2
exec "$@"
