#!/usr/bin/env bash
# The syslog sinks against a real rsyslogd: our own rsyslogd (own config,
# own pid file, never the system's /dev/log) inside a throwaway namespace,
# listening on a test-owned unix socket and on 127.0.0.1 UDP and TCP ports
# of that namespace, writing what it receives to a temp file. Every line
# sent through each transport must arrive intact and in order.
. "$(dirname "$0")/../lib.sh"
: "${BH_UNIT_DIR:=$BH_ROOT/build/san/tests}"
SENDER=$BH_UNIT_DIR/test_sink
RSYSLOGD=$(command -v rsyslogd || echo /usr/sbin/rsyslogd)
[ -x "$SENDER" ] || { nok "missing $SENDER (make sanbuild)"; exit 1; }
if [ ! -x "$RSYSLOGD" ]; then nok "rsyslogd is not installed (bash tests/deps.sh install)"; exit 1; fi

NS=bhl$$-syslog
TMP=$(mktemp -d /tmp/bh-rsyslog.XXXXXX)
on_exit "rm -rf $TMP"
ip netns add "$NS" && on_exit "ip netns del $NS"
ip -n "$NS" link set lo up

cat >"$TMP/rsyslog.conf" <<CONF
global(workDirectory="$TMP" maxMessageSize="64k")
module(load="imuxsock" SysSock.Use="off")
module(load="imudp")
module(load="imtcp")
input(type="imuxsock" Socket="$TMP/log.sock" UseSpecialParser="off" ParseHostname="on")
input(type="imudp" address="127.0.0.1" port="5514")
input(type="imtcp" address="127.0.0.1" port="5514")
template(name="bhtest" type="string" string="%inputname% %app-name% %procid% %msg%\n")
*.* action(type="omfile" file="$TMP/out.log" template="bhtest")
CONF
ip netns exec "$NS" "$RSYSLOGD" -n -f "$TMP/rsyslog.conf" -i "$TMP/rsyslogd.pid" >"$TMP/rsyslogd.out" 2>&1 &
RPID=$!
on_exit "kill $RPID; wait $RPID"

listening() {
	[ -S "$TMP/log.sock" ] &&
		ip netns exec "$NS" ss -lnu | grep -q '127.0.0.1:5514' &&
		ip netns exec "$NS" ss -lnt | grep -q '127.0.0.1:5514'
}
for ((i = 0; i < 100; i++)); do listening && break; sleep 0.1; done
if ! check "rsyslogd listens on the test socket and ports" listening; then
	cat "$TMP/rsyslogd.out" >&2
	exit 1
fi

N=200
expected() {	# the JSON lines test_sink send writes
	local n
	for ((n = 0; n < N; n++)); do
		printf '{"n":%d,"msg":"denied \\"quoted\\" caf\xc3\xa9","tab":"a\\tb"}\n' "$n"
	done
}
expected >"$TMP/expected"

for t in unix udp tcp; do
	case $t in
	unix) spec="syslog+unix:$TMP/log.sock" input=imuxsock ;;
	udp) spec="syslog+udp:127.0.0.1:5514" input=imudp ;;
	tcp) spec="syslog+tcp:127.0.0.1:5514" input=imtcp ;;
	esac
	out=$(ip netns exec "$NS" "$SENDER" send "$spec" "$N")
	check_eq "$t: sender wrote every line" "written=$N dropped=0 errors=0" "$out"
	got() { grep -c "^$input bulkhead " "$TMP/out.log" 2>/dev/null; }
	for ((i = 0; i < 100; i++)); do [ "$(got)" -ge "$N" ] && break; sleep 0.1; done
	check_eq "$t: rsyslog received $N messages from app bulkhead" "$N" "$(got)"
	grep "^$input bulkhead " "$TMP/out.log" | sed 's/^[a-z]* bulkhead [0-9]* //' >"$TMP/got.$t"
	check "$t: every JSON line intact and in order" cmp -s "$TMP/expected" "$TMP/got.$t"
	pids=$(grep "^$input bulkhead " "$TMP/out.log" | awk '{print $3}' | sort -u | wc -l)
	check_eq "$t: PROCID parsed (one sender pid)" 1 "$pids"
done
