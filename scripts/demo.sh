#!/usr/bin/env bash
# The main journeys on the bundled example, in a throwaway repo, with nothing to configure.
set -euo pipefail
incident=${1:?usage: demo.sh PATH-TO-INCIDENT}
fake="$(dirname "$incident")/fake-github"
here=$(cd "$(dirname "$0")/.." && pwd)
repo=$(mktemp -d "${TMPDIR:-/tmp}/incident-demo.XXXXXX")
cd "$repo"

# A GitHub REST API on loopback (the repo's own fake), so the demo files a real issue over libcurl.
"$fake" --port 0 --token demo-token --repo acme/netra > "$repo/.fake-github" &
fake_pid=$!
trap 'kill $fake_pid 2>/dev/null' EXIT
for _ in $(seq 50); do grep -q listening "$repo/.fake-github" 2>/dev/null && break; sleep 0.1; done
api=$(sed -n 's/^listening on //p' "$repo/.fake-github")
export GH_TOKEN=demo-token
git init -q
git config user.email demo@example.com
git config user.name "Demo"

if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then
	step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }
else
	step() { printf '\n$ %s\n' "$*"; }
fi

step "incident init --api-url $api   # the loopback GitHub instead of the repo host's API"
"$incident" init --api-url "$api"
sed -i "s|^  # repo: acme/netra .*|  repo: acme/netra|" .incident.yml
printf '.fake-github\n' > .gitignore

step "incident new --from-log examples/redis-staging.log --env staging --set impact=..."
"$incident" new --from-log "$here/examples/redis-staging.log" --env staging \
	--set "impact=Chat is unavailable for every staging user; WebSocket connects fail with 1011."

step "incident advance latest --answers examples/answers/five-whys.yml"
"$incident" advance latest --answers "$here/examples/answers/five-whys.yml"

step "incident advance latest --answers examples/answers/test-plan.yml"
"$incident" advance latest --answers "$here/examples/answers/test-plan.yml"

step "incident issue latest --yes   # files it and one issue per test and action, completes the issue stage"
"$incident" issue latest --yes

step "incident issue latest --json   # safe to run again: finds the same issue"
"$incident" issue latest --json

id=$("$incident" show latest --json | sed -n 's/^  "id": "\(.*\)",$/\1/p')
git add -A >/dev/null && git commit -qm "Attach the VPC connector to the staging Cloud Run service ($id)"

step "incident advance latest --set description=...   # links the commit that names $id"
"$incident" advance latest --set "description=Re-attached the VPC connector in the Terraform module and added a reachability check."

step "incident advance latest --check 'test -f .incident.yml'   # verify: comments, then closes the issue"
"$incident" advance latest --check "test -f .incident.yml"

step incident list
"$incident" list

step "incident followups   # the follow-up issues, overdue first"
"$incident" followups

step "incident show latest   # the incident as a person reads it (--raw prints the file)"
"$incident" show latest
printf '\nThe demo repo is %s\n' "$repo"
