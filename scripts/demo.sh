#!/usr/bin/env bash
# The main journeys on the bundled example, in a throwaway repo, with nothing to configure.
set -euo pipefail
incident=${1:?usage: demo.sh PATH-TO-INCIDENT}
here=$(cd "$(dirname "$0")/.." && pwd)
repo=$(mktemp -d "${TMPDIR:-/tmp}/incident-demo.XXXXXX")
cd "$repo"
git init -q
git config user.email demo@example.com
git config user.name "Demo"

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }

step incident init
"$incident" init

step "incident new --from-log examples/redis-staging.log --env staging --set impact=..."
"$incident" new --from-log "$here/examples/redis-staging.log" --env staging \
	--set "impact=Chat is unavailable for every staging user; WebSocket connects fail with 1011."

step "incident advance latest --answers examples/answers/five-whys.yml"
"$incident" advance latest --answers "$here/examples/answers/five-whys.yml"

step "incident advance latest --answers examples/answers/test-plan.yml"
"$incident" advance latest --answers "$here/examples/answers/test-plan.yml"

step "incident advance latest   # the issue stage waits for a GitHub issue"
"$incident" advance latest || echo "(exit $?: the issue stage needs a filed GitHub issue; filing comes with \`incident issue\`)"

step incident list
"$incident" list

file=$(ls incidents/*.md)
step "cat $file"
cat "$file"
printf '\nThe demo repo is %s\n' "$repo"
