#!/bin/sh
# leaves-child.sh PIDFILE [DELAY] [MODE]: starts a `sleep` of its own in the background and writes its pid to
# PIDFILE (one line per start), then answers every operation {"unsupported":true} after DELAY seconds (default 0).
# MODE "exit" exits with status 1 at the first operation instead. Either way the sleep is left behind: the adapter
# must kill it with the implementation's process group, whatever way the run ends.
pidfile=$1
delay=${2:-0}
mode=${3:-answer}
sleep 1000 </dev/null >/dev/null 2>&1 &
echo $! >>"$pidfile"
while IFS= read -r line; do
  case "$line" in
  *'"cmd":"reset"'*) echo '{"ok":true}' ;;
  *)
    [ "$mode" = exit ] && exit 1
    [ "$delay" != 0 ] && sleep "$delay"
    echo '{"unsupported":true}'
    ;;
  esac
done
