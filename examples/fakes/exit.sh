#!/bin/sh
# Exits with status 3 at the first operation, after a message on stderr.
while IFS= read -r line; do
  case "$line" in
  *'"cmd":"reset"'*) echo '{"ok":true}' ;;
  *) echo 'fatal: pool list corrupted' >&2; exit 3 ;;
  esac
done
