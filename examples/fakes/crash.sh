#!/bin/sh
# Answers every operation with success; kills itself with SIGSEGV on operation $1 (any operation if none).
while IFS= read -r line; do
  case "$line" in
  *'"cmd":"reset"'*) echo '{"ok":true}' ;;
  *"\"op\":\"${1:-}"*) kill -SEGV $$ ;;
  *) echo '{"result":{"ok":true}}' ;;
  esac
done
