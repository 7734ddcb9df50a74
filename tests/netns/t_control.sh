#!/usr/bin/env bash
# The control socket: what may sit at its path and in which directory, who
# may talk to it (peer credentials), that idle clients cannot lock anyone
# out, and that text from input reaches the terminal escaped (stderr,
# `status`, `status --json`).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/agent_lib.sh"

D=$(mktemp -d /tmp/bha-ctl.XXXXXX)
on_exit "rm -rf $D"
mkdir -p "$D/pol"
NOBODY=65534
as_nobody() { setpriv --reuid "$NOBODY" --regid "$NOBODY" --clear-groups "$@"; }

# agent_fails NAME CONTROL [ARGS...]: the agent must exit non-zero within 10 s; its stderr in $D/NAME.err
agent_fails() {
	local name=$1 ctl=$2 rc; shift 2
	timeout 10 "$BULKHEAD" agent --policies "$D/pol" --log "$D/$name.json" --control "$ctl" "$@" \
		2>"$D/$name.err"
	rc=$?
	[ "$rc" != 0 ] && [ "$rc" != 124 ]
}

# ---- what may be at the path ----------------------------------------------------------
echo "precious data" >"$D/file.sock"
check "a regular file at the path: the agent refuses to start" agent_fails file "$D/file.sock"
check "... with a clear message" grep -q "control socket $D/file.sock: exists and is a regular file, not a socket" "$D/file.err"
check_eq "... and the file survives" "precious data" "$(cat "$D/file.sock")"

echo "target" >"$D/target"
chmod 0644 "$D/target"
ln -s "$D/target" "$D/link.sock"
check "a symbolic link at the path: refused" agent_fails link "$D/link.sock"
check "... with a clear message" grep -q "exists and is a symbolic link, not a socket" "$D/link.err"
check "... the link survives" test -L "$D/link.sock"
check_eq "... its target is untouched" "644 target" "$(stat -c %a "$D/target") $(cat "$D/target")"

mkdir -m 0777 "$D/open"
check "a world-writable directory: refused" agent_fails open "$D/open/ctl.sock"
check "... with a clear message" grep -q "directory $D/open is writable by group or others (mode 0777)" "$D/open.err"
check_not "... no socket created there" test -e "$D/open/ctl.sock"
mkdir -m 1777 "$D/sticky"
check "a sticky world-writable directory (like /tmp): refused" agent_fails sticky "$D/sticky/ctl.sock"
mkdir -m 0770 "$D/group"
check "a group-writable directory: refused" agent_fails group "$D/group/ctl.sock"
mkdir -m 0755 "$D/other"
chown "$NOBODY" "$D/other"
check "a directory owned by another user: refused" agent_fails other "$D/other/ctl.sock"
check "... with a clear message" grep -q "belongs to uid $NOBODY" "$D/other.err"

# A stale socket (nobody listens) is replaced.
mkdir -m 0755 "$D/run"
CTL=$D/run/ctl.sock
python3 -c 'import socket, sys; s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.close()' "$CTL"
check "a stale socket is there" test -S "$CTL"
start_agent "$D/log.json" --policies "$D/pol" --control "$CTL" --debounce-ms 50
check "a stale socket is replaced: the agent is ready" eventually 10 log_has '.event.action=="ready"'
"$BULKHEAD" status --control "$CTL" >/dev/null 2>&1
check_eq "status answers (exit 0)" 0 "$?"
check_eq "socket mode 0600, owned by root" "600 0" "$(stat -c '%a %u' "$CTL")"
check "a second agent on a live socket: refused" agent_fails second "$CTL"
check "... with a clear message" grep -q "another process answers on it" "$D/second.err"
check "... and the first agent still answers" "$BULKHEAD" status --control "$CTL" --json

# ---- peer credentials ---------------------------------------------------------------------
# Open the file modes wide on purpose: the credential check must hold on its own.
chmod 0711 "$D"
chmod 0666 "$CTL"
out=$(as_nobody "$BULKHEAD" status --control "$CTL" 2>&1)
rc=$?
check_eq "a non-root client is refused (exit 2: no answer)" 2 "$rc"
check "... with the reason" grep -q "permission denied: uid $NOBODY may not use the control socket" <<<"$out"
out=$(as_nobody "$BULKHEAD" reload --control "$CTL" 2>&1)
check_not "a non-root client cannot reload" test $? = 0
check "root still answered" "$BULKHEAD" status --control "$CTL" --json
chmod 0700 "$D"

# ---- idle clients ------------------------------------------------------------------------
# 100 connections that never send anything, held for 8 s at most.
python3 - "$CTL" >"$D/idle.out" 2>&1 <<'EOF' &
import signal, socket, sys, time
signal.alarm(15)	# blocking connects: bounded all the same
held = []
for i in range(100):
    s = socket.socket(socket.AF_UNIX)
    try:
        s.connect(sys.argv[1])
        held.append(s)
    except OSError as e:
        print("connect", i, e)
print("holding", len(held), flush=True)
time.sleep(8)
EOF
IDLE=$!
on_exit "kill $IDLE 2>/dev/null"
eventually 5 grep -q holding "$D/idle.out"
diag "$(head -3 "$D/idle.out")"
t0=$(date +%s%N)
timeout 2 "$BULKHEAD" status --control "$CTL" --json >"$D/st.json" 2>"$D/st.err"
rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
diag "status with 100 idle clients: exit $rc in $ms ms"
check_eq "100 idle clients: status still answers within 2 s" 0 "$rc"
check "... with the full answer" jq -e '.ok == true' "$D/st.json"
kill "$IDLE" 2>/dev/null; wait "$IDLE" 2>/dev/null

# An idle client is closed at its deadline (2 s).
secs=$(python3 -c 'import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.settimeout(10); s.connect(sys.argv[1]); t = time.time()
s.recv(10); print("%.1f" % (time.time() - t))' "$CTL")
diag "idle client closed after ${secs}s"
check "an idle client is closed after its deadline (between 1.5 and 4 s)" \
	python3 -c "import sys; sys.exit(not 1.5 <= $secs <= 4)"

# ---- escaping: a key that would rewrite the terminal ------------------------------------
printf 'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: evil}\nspec:\n  podSelector: {}\n  "\\e[1A\\e[2K\\rok \\u009b31m": 1\n' >"$D/pol/evil.yaml"
check "invalid policy reported" eventually 5 log_has '.event.action=="invalid-policy"'
ESC=$'\x1b'
CSI=$'\xc2\x9b'
check "agent stderr names the key escaped" eventually 2 grep -qF 'spec.\x1b[1A\x1b[2K\rok \u009b31m: unknown field' "$D/log.json.err"
check_not "agent stderr carries no raw ESC" grep -q "$ESC" "$D/log.json.err"
"$BULKHEAD" status --control "$CTL" >"$D/status.txt" 2>&1
check "status shows the last error escaped" grep -qF 'last error: ' "$D/status.txt"
check "... as \\x1b" grep -qF '\x1b[2K\rok \u009b31m: unknown field' "$D/status.txt"
check_not "... and no raw ESC" grep -q "$ESC" "$D/status.txt"
check_not "... nor a raw C1 CSI" grep -q "$CSI" "$D/status.txt"
"$BULKHEAD" status --control "$CTL" --json >"$D/status.json"
check "status --json is ASCII only (C1 sent as \\u009b)" bash -c "! LC_ALL=C grep -q '[^ -~]' '$D/status.json'"
check "status --json decodes back to the raw key" \
	jq -e '.last_error | contains("\u001b[2K\rok \u009b31m")' "$D/status.json"
check_not "the JSON log carries no raw ESC" grep -q "$ESC" "$D/log.json"
rm -f "$D/pol/evil.yaml"

kill -TERM "$AGENT_PID"; wait "$AGENT_PID"
check_not "socket removed at exit" test -e "$CTL"

# ---- a further allowed uid ---------------------------------------------------------------
chmod 0711 "$D"
CTL2=$D/run2/ctl.sock
start_agent "$D/log2.json" --policies "$D/pol" --control "$CTL2" --control-allow-uid "$NOBODY"
check "agent with --control-allow-uid ready" eventually 10 log_has '.event.action=="ready"'
check_eq "missing directory created 0711 for that user" 711 "$(stat -c %a "$D/run2")"
check_eq "socket 0600, owned by that user" "600 $NOBODY" "$(stat -c '%a %u' "$CTL2")"
check "the allowed user gets an answer" as_nobody "$BULKHEAD" status --control "$CTL2" --json
check "root too" "$BULKHEAD" status --control "$CTL2" --json
out=$(setpriv --reuid 65533 --regid 65533 --clear-groups "$BULKHEAD" status --control "$CTL2" 2>&1)
check_not "another user does not" test $? = 0
kill -TERM "$AGENT_PID"; wait "$AGENT_PID"
chmod 0700 "$D"

CTL4=$D/run4/ctl.sock
start_agent "$D/log4.json" --policies "$D/pol" --control "$CTL4"
check "agent ready with a missing directory" eventually 10 log_has '.event.action=="ready"'
check_eq "missing directory created 0700" 700 "$(stat -c %a "$D/run4")"
kill -TERM "$AGENT_PID"; wait "$AGENT_PID"
