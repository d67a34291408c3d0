#!/bin/sh
# Refuses the reset.
while IFS= read -r line; do
  echo '{"ok":false,"error":"unknown subsystem"}'
done
