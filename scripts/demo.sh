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
# A little history before the failure (2025-09-09T02:25Z): what `new` ranks as suspect commits.
backdate() { GIT_AUTHOR_DATE="$1" GIT_COMMITTER_DATE="$1" git commit -qm "$2"; }
mkdir -p netra_backend/app infra/terraform/cloud-run docs
printf 'READINESS_TIMEOUT = 7.5\n' > netra_backend/app/smd.py
git add netra_backend && GIT_AUTHOR_NAME="Sam Ortiz" backdate 2025-09-08T16:05:00Z "Shorten the WebSocket readiness timeout to 7.5 s"
printf 'vpc_connector = null\n' > infra/terraform/cloud-run/redis.tf
git add infra && GIT_AUTHOR_NAME="Lee Park" backdate 2025-09-09T01:48:00Z "Move the staging Cloud Run service to Terraform"
printf '# Runbook\n' > docs/runbook.md
git add docs && backdate 2025-09-09T02:10:00Z "Runbook: staging URLs"

if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then
	step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }
else
	step() { printf '\n$ %s\n' "$*"; }
fi

step "incident init --api-url $api   # the loopback GitHub instead of the repo host's API"
"$incident" init --api-url "$api"
sed -i "s|^  # repo: acme/netra .*|  repo: acme/netra|" .incident.yml
sed -i "s|^  required_before_verify: false|  required_before_verify: true |" .incident.yml
printf '.fake-github\n' > .gitignore

step "incident new --from-log examples/redis-staging.log --env staging --set impact=..."
"$incident" new --from-log "$here/examples/redis-staging.log" --env staging \
	--set "impact=Chat is unavailable for every staging user; WebSocket connects fail with 1011."

step "incident set latest detected=2025-09-09T02:38Z mitigated=2025-09-09T03:10Z   # milestones on the timeline"
"$incident" set latest detected=2025-09-09T02:38Z mitigated=2025-09-09T03:10Z

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

step "incident advance latest --check 'test -f .incident.yml'   # refused: review.required_before_verify is set"
"$incident" advance latest --check "test -f .incident.yml" || echo "(exit $?)"

step "incident review latest --submit --by dana; incident list --review pending"
"$incident" review latest --submit --by dana
"$incident" list --review pending

step "incident review latest --approve --by lee --note ..."
"$incident" review latest --approve --by lee --note "Clear trigger and contributing factors; actions have owners."

step "incident advance latest --check 'test -f deploy-ok'   # a failing run is kept as attempt 1"
"$incident" advance latest --check "test -f deploy-ok" || echo "(exit $?)"

step "incident advance latest --check 'test -f .incident.yml'   # verify: comments, then closes the issue"
"$incident" advance latest --check "test -f .incident.yml"
first=$id
"$incident" set "$first" resolved=2025-09-09T05:20Z >/dev/null

# A day later the connector is removed again, and the same failure comes back.
printf 'vpc_connector = null  # cost review\n' > infra/terraform/cloud-run/redis.tf
git add infra && GIT_AUTHOR_NAME="Lee Park" backdate 2025-09-09T23:40:00Z "Drop the staging VPC connector for the cost review"
sed 's/2025-09-09/2025-09-10/g' "$here/examples/redis-staging.log" > repeat.log

step "incident new --from-log repeat.log --env staging   # the same failure a day later: seen before"
"$incident" new --from-log repeat.log --env staging

"$incident" set latest detected=2025-09-10T02:31Z >/dev/null

step "incident review latest --approve --by lee --note ..."
"$incident" review latest --approve --by lee --note "Recurrence linked to $first; the revert is the trigger."

step "incident export latest --format html --output postmortem.html   # one self-contained page"
"$incident" export latest --format html --output postmortem.html
printf '%s bytes; %s inline SVG timeline; %s Mermaid source blocks; scripts: %s\n' "$(wc -c < postmortem.html)" \
	"$(grep -c '<svg' postmortem.html)" "$(grep -c '<pre class="mermaid">' postmortem.html)" "$(grep -c '<script' postmortem.html || true)"

step "incident export latest --format md --public | head -20   # for a status page: no excerpt, hosts or IPs"
"$incident" export latest --format md --public | sed -n 1,24p

step "incident stats"
"$incident" stats

step incident list
"$incident" list

step "incident followups   # the follow-up issues, overdue first"
"$incident" followups

step "incident show latest   # the repeat: timeline, suspect commits, the earlier incident, the approved review"
"$incident" show latest
printf '\nThe demo repo is %s\n' "$repo"
