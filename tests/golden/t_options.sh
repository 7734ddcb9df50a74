#!/usr/bin/env bash
# One flag table: a flag shared by several commands has the same range, the
# same message for a bad value and the same default in --help, whichever
# command parses it (apply, compile and the agent's own parser).
. "$(dirname "$0")/../lib.sh"
ex="$BH_ROOT/examples"
tmp=$(mktemp -d /tmp/bh-options.XXXXXX)
on_exit rm -rf "$tmp"

# run CMD ARGS...: exit code in $rc, stderr in $tmp/err (flags are parsed before --help acts)
run() { "$BULKHEAD" "$@" >"$tmp/out" 2>"$tmp/err"; rc=$?; }

# flag VALUE RANGE: accepted by each command that has it, refused with one message
accepted() {	# FLAG VALUE CMD...
	local flag=$1 v=$2 cmd; shift 2
	for cmd in "$@"; do
		run "$cmd" "$flag" "$v" --help
		check_eq "$cmd $flag $v is accepted" 0 "$rc"
	done
}
refused() {	# FLAG VALUE RANGE CMD...
	local flag=$1 v=$2 range=$3 cmd; shift 3
	for cmd in "$@"; do
		run "$cmd" "$flag" "$v" --help
		check_eq "$cmd $flag $v is a usage error (exit 2)" 2 "$rc"
		check_eq "$cmd $flag $v: the table's message" \
			"bulkhead $cmd: invalid value '$v' for $flag (expected $range)" "$(head -1 "$tmp/err")"
	done
}
default_is() {	# FLAG DEFAULT CMD...
	local flag=$1 def=$2 cmd; shift 2
	for cmd in "$@"; do
		run "$cmd" --help
		check "$cmd --help: $flag (default: $def)" grep -qE -- "^  +$flag [^ ]+ .*\\(default: $def\\)\$" "$tmp/out"
	done
}

# NFLOG group 0 is a real group: legal everywhere
accepted --log-group 0 apply compile agent
accepted --log-group 65535 apply compile agent
refused --log-group 65536 0..65535 apply compile agent
refused --log-group -1 0..65535 apply compile agent
refused --log-group x 0..65535 apply compile agent
default_is --log-group 100 apply compile agent

accepted --log-rate 0 apply compile agent
refused --log-rate 4294967296 0..4294967295 apply compile agent
default_is --log-rate 100 apply compile agent
accepted --log-burst 0 apply compile agent
refused --log-burst 4294967296 0..4294967295 apply compile agent
default_is --log-burst 200 apply compile agent

# generations: 1 .. 2^53-1 (exact in JSON)
accepted --generation 1 apply compile
accepted --generation 9007199254740991 apply compile
refused --generation 0 1..9007199254740991 apply compile
refused --generation 9007199254740992 1..9007199254740991 apply compile

# the same spelling with = and the same short letters
for cmd in apply compile agent; do
	run "$cmd" -i "$ex/inventory.yaml" -p "$ex/policies" --log-group=0 --help
	check_eq "$cmd: -i, -p and --log-group=0" 0 "$rc"
done
run explain -i "$ex/inventory.yaml" -p "$ex/policies" --log-group=0 --help
check_eq "explain has no --log-group: usage error" 2 "$rc"
check_eq "explain names the unknown flag" "bulkhead explain: unknown option '--log-group=0'" \
	"$(head -1 "$tmp/err")"
for cmd in apply compile explain check reset agent; do
	run "$cmd" --help
	check "$cmd --help: -i, --inventory" grep -qE -- "^  -i, --inventory FILE " "$tmp/out"
done

# a value the table accepts reaches the table: compile prints it
run compile --inventory "$ex/inventory.yaml" --policies "$ex/policies" --workload shop/db \
	--log-group 0 --log-rate 0 --generation 9007199254740991
check_eq "compile with --log-group 0 exits 0" 0 "$rc"
check "log group 0 in the table" grep -q 'log prefix "bh/9007199254740991/i/d" group 0$' "$tmp/out"
check_not "--log-rate 0: no limit rule" grep -q "limit rate" "$tmp/out"

# the same flag in the agent's config file follows the same table
printf 'log-group: 65536\n' >"$tmp/cfg.yaml"
run agent --config "$tmp/cfg.yaml" --policies "$ex/policies"
check_eq "agent config file: log-group 65536 refused (exit 2)" 2 "$rc"
check "agent config file: named with file:line:col" grep -q "cfg.yaml:1:12: error: invalid value for: log-group" "$tmp/err"
