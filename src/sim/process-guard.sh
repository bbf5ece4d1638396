#!/usr/bin/env bash
# Runs one managed process (the arguments after the first two) so that it never outlives the
# harness: it is stopped when the harness process (pid $1) is gone, also after a SIGKILL that left
# no chance for teardown, and after at most $2 seconds. src/sim/processes.ts starts this in its own
# process group and kills the group on teardown.
set -u
owner=$1 max=$2
shift 2
"$@" &
q=$!
trap 'kill -TERM "$q" 2>/dev/null; wait "$q"; exit 143' TERM INT HUP
deadline=$((SECONDS + max))
while kill -0 "$q" 2>/dev/null; do
  if ! kill -0 "$owner" 2>/dev/null || ((SECONDS >= deadline)); then
    kill -TERM "$q" 2>/dev/null
    sleep 3
    kill -KILL "$q" 2>/dev/null
    break
  fi
  sleep 1
done
wait "$q"
