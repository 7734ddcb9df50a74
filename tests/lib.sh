# Shared helpers for shell tests: TAP output and cleanup. Source it.
# Tests that need namespaces also source tests/netns/lib.sh.
set -u
BH_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
: "${BULKHEAD:=$BH_ROOT/bulkhead}" "${BH_TOOLS:=$BH_ROOT/build/tools}"
_tap_n=0
_tap_failed=0
_cleanups=()

ok()   { _tap_n=$((_tap_n + 1)); echo "ok $_tap_n - $*"; }
nok()  { _tap_n=$((_tap_n + 1)); _tap_failed=$((_tap_failed + 1)); echo "not ok $_tap_n - $*"; }
skip() { _tap_n=$((_tap_n + 1)); echo "ok $_tap_n - $* # SKIP"; }
diag() { echo "# $*"; }

# check DESCRIPTION CMD...: passes when CMD exits 0
check() { local d=$1; shift; if "$@"; then ok "$d"; else nok "$d"; fi; }
# check_not DESCRIPTION CMD...: passes when CMD exits non-zero
check_not() { local d=$1; shift; if "$@"; then nok "$d"; else ok "$d"; fi; }
# check_eq DESCRIPTION EXPECTED ACTUAL
check_eq() {
	if [ "$2" = "$3" ]; then ok "$1"; else nok "$1"; diag "expected: $2"; diag "actual:   $3"; fi
}

# eventually SECONDS CMD...: retries CMD every 100 ms until it succeeds, at
# most SECONDS. Wait for the condition a check needs, never a fixed sleep.
eventually() {
	local limit=$1 i; shift
	for ((i = 0; i < limit * 10; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}

# Register a cleanup command; all run in reverse order on exit, even on failure.
on_exit() { _cleanups+=("$*"); }
_run_cleanups() {
	local i
	for ((i = ${#_cleanups[@]} - 1; i >= 0; i--)); do eval "${_cleanups[$i]}" >/dev/null 2>&1 || true; done
}
_finish() {
	local rc=$?
	_run_cleanups
	echo "1..$_tap_n"
	[ "$_tap_failed" -eq 0 ] && [ "$rc" -eq 0 ] && exit 0
	exit 1
}
trap _finish EXIT
trap 'exit 130' INT TERM
