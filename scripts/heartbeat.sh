#!/usr/bin/env bash
# Usage: scripts/heartbeat.sh LABEL COMMAND [ARG...]
# Runs COMMAND and, while it runs, prints "  ... LABEL: still running (N s)" to stderr every
# HEARTBEAT_SECONDS (default 5), so a quiet step (pip, mypy's first run, cdk synth) never looks
# hung. Exits with COMMAND's status. Plain bash: it runs before the venv exists.
set -uo pipefail
if [ "$#" -lt 2 ]; then
	echo "usage: scripts/heartbeat.sh LABEL COMMAND [ARG...]" >&2
	exit 2
fi
label=$1
shift
interval=${HEARTBEAT_SECONDS:-5}
start=$SECONDS
(
	while sleep "$interval"; do
		echo "  ... $label: still running ($((SECONDS - start)) s)" >&2
	done
) &
beat=$!
"$@"
status=$?
kill "$beat" 2>/dev/null
wait "$beat" 2>/dev/null
exit "$status"
