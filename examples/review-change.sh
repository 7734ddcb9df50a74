#!/usr/bin/env bash
# A CI gate for a change of policies kept in git:
#   examples/review-change.sh INVENTORY POLICY_DIR [BASE_REF]
# compares POLICY_DIR at HEAD with POLICY_DIR at BASE_REF (default
# origin/main), writes the review as markdown to review.md (post it as a
# comment on the change) and fails when the change opens any connection to
# a workload labelled tier=data. Needs bulkhead, git, jq and yq.
set -eu
inv=$1 dir=${2%/} base=${3:-origin/main}
BULKHEAD=${BULKHEAD:-bulkhead}
# both sides read from git: the base revision and the change's commit
run() { "$BULKHEAD" diff --inventory "$inv" --git "$dir" --old "$base" --new HEAD "$@"; }
rc=0
run --format markdown >review.md || rc=$?
[ "$rc" -le 1 ] || exit "$rc"	# 2: either side does not load (the diagnostics say which)
cat review.md
data=$(yq -r '.workloads[] | select(.labels.tier == "data") | "\(.namespace // "default")/\(.name)"' "$inv")
opened=$(run --format json | jq -r --arg data "$data" '
	($data | split("\n")) as $d
	| .opened[] | select(.to as $t | $d | index($t))
	| "\(.from) -> \(.to) \(.protocol) \(.ports) (allowed by \(.egress_by) and \(.ingress_by))"') || true
if [ -n "$opened" ]; then
	echo "this change opens connections to tier=data workloads:" >&2
	echo "$opened" >&2
	exit 1
fi
