#!/bin/sh
# Routes the simulated assistant's model calls to vendor $1 (primary or secondary) through the
# control API of the run that started this script ($GAMEDAY_CONTROL_URL).
set -eu
curl --noproxy '*' -sf -X PUT -H 'Content-Type: application/json' \
  -d "{\"vendor\":\"$1\"}" "$GAMEDAY_CONTROL_URL/v1/assistant/route" > /dev/null
