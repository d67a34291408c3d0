#!/bin/sh
# Answers with a state whose num_dma_buffers is not a number.
while IFS= read -r line; do
  case "$line" in
  *'"cmd":"reset"'*) echo '{"ok":true}' ;;
  *) echo '{"result":{"ok":true},"state":{"numDmaBuffers":"many"}}' ;;
  esac
done
