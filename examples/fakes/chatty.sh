#!/bin/sh
# Prints a debug line on stdout before each answer.
while IFS= read -r line; do
  case "$line" in
  *'"cmd":"reset"'*) echo '{"ok":true}' ;;
  *) echo 'debug: request received'; echo '{"result":{"ok":true}}' ;;
  esac
done
