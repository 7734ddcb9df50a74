#!/usr/bin/env bash
# NFLOG reader against the kernel: a namespace whose rules log and drop,
# traffic from a second namespace over veth, the reader (test_nflog listen)
# inside the first. Checks decoded fields for IPv4 and IPv6, TCP, UDP and
# ICMP, and that an overflowing socket buffer is reported, not silent.
. "$(dirname "$0")/../lib.sh"
: "${BH_UNIT_DIR:=$BH_ROOT/build/san/tests}"
READER=$BH_UNIT_DIR/test_nflog
FLOOD=$BH_TOOLS/bh_flood
for f in "$READER" "$FLOOD"; do
	[ -x "$f" ] || { nok "missing $f (make sanbuild tools)"; exit 1; }
done

A=bhl$$-a B=bhl$$-b
TMP=$(mktemp -d /tmp/bh-nflog.XXXXXX)
on_exit "rm -rf $TMP"
ip netns add "$A" && on_exit "ip netns del $A"
ip netns add "$B" && on_exit "ip netns del $B"
ip -n "$A" link add va type veth peer name vb netns "$B"
ip -n "$A" addr add 10.99.0.1/24 dev va
ip -n "$B" addr add 10.99.0.2/24 dev vb
ip -n "$A" addr add fd99::1/64 dev va nodad
ip -n "$B" addr add fd99::2/64 dev vb nodad
for n in "$A" "$B"; do ip -n "$n" link set lo up; done
ip -n "$A" link set va up
ip -n "$B" link set vb up

ip netns exec "$B" nft -f - <<'NFT'
table inet bhtest {
	chain input {
		type filter hook input priority filter; policy accept;
		udp dport 9999 log prefix "bh/1/i/d" group 100 drop
		tcp dport 5432 log prefix "bh/1/i/d" group 100 drop
		icmp type echo-request log prefix "bh/1/i/d" group 100 drop
		icmpv6 type echo-request log prefix "bh/1/i/d" group 100 drop
		udp dport 7777 counter log prefix "bh/2/i/d" group 101 drop
	}
	chain output {
		type filter hook output priority filter; policy accept;
		udp dport 8888 log prefix "bh/3/e/w" group 100 accept
	}
}
NFT
loaded() { ip netns exec "$B" nft list table inet bhtest >/dev/null; }
check "ruleset loaded in the test namespace" loaded

# wait_ready FILE: the reader prints "ready" once bound (bounded wait)
wait_ready() {
	local i
	for ((i = 0; i < 100; i++)); do
		grep -q '^ready' "$1" 2>/dev/null && return 0
		grep -q '^open:' "$1" 2>/dev/null && return 1
		sleep 0.05
	done
	return 1
}

# ---- decoded fields -------------------------------------------------------
ip netns exec "$B" "$READER" listen 100 10 8000 >"$TMP/ev" 2>"$TMP/ev.err" &
RPID=$!
on_exit "kill $RPID"
check "reader binds group 100 in the namespace" wait_ready "$TMP/ev"

# A second reader on the same group in the same namespace is refused.
out=$(ip netns exec "$B" "$READER" listen 100 1 100 2>&1 | head -1)
check_eq "second bind of the group is refused (EPERM)" "open: Operation not permitted" "$out"


ip netns exec "$A" "$FLOOD" udp 10.99.0.2 9999 3 40001
ip netns exec "$A" "$FLOOD" tcp 10.99.0.2 5432
ip netns exec "$A" "$FLOOD" icmp 10.99.0.2
ip netns exec "$A" "$FLOOD" udp fd99::2 9999 2 40002
ip netns exec "$A" "$FLOOD" tcp fd99::2 5432
ip netns exec "$A" "$FLOOD" icmp fd99::2
ip netns exec "$B" "$FLOOD" udp 10.99.0.1 8888 1 40003
wait "$RPID"
check_eq "reader exits cleanly" 0 $?
cat "$TMP/ev.err" >&2

ev() { grep -c -- "$1" "$TMP/ev"; }
check_eq "10 events" 10 "$(grep -c '^event' "$TMP/ev")"
check_eq "UDP/IPv4: 3 events with ports" 3 \
	"$(ev 'prefix=bh/1/i/d fam=4 proto=udp src=10.99.0.1 dst=10.99.0.2 sport=40001 dport=9999 ')"
check_eq "TCP/IPv4: one SYN" 1 \
	"$(ev 'prefix=bh/1/i/d fam=4 proto=tcp src=10.99.0.1 dst=10.99.0.2 sport=[0-9]* dport=5432 icmp=-1/-1 flags=0x02')"
check_eq "ICMP echo request" 1 \
	"$(ev 'prefix=bh/1/i/d fam=4 proto=icmp src=10.99.0.1 dst=10.99.0.2 sport=0 dport=0 icmp=8/0')"
check_eq "UDP/IPv6: 2 events with ports" 2 \
	"$(ev 'prefix=bh/1/i/d fam=6 proto=udp src=fd99::1 dst=fd99::2 sport=40002 dport=9999 ')"
check_eq "TCP/IPv6: one SYN" 1 \
	"$(ev 'prefix=bh/1/i/d fam=6 proto=tcp src=fd99::1 dst=fd99::2 sport=[0-9]* dport=5432 icmp=-1/-1 flags=0x02')"
check_eq "ICMPv6 echo request" 1 \
	"$(ev 'prefix=bh/1/i/d fam=6 proto=ipv6-icmp src=fd99::1 dst=fd99::2 sport=0 dport=0 icmp=128/0')"
check_eq "egress event with its own prefix and no input interface" 1 \
	"$(ev 'prefix=bh/3/e/w fam=4 proto=udp src=10.99.0.2 dst=10.99.0.1 sport=40003 dport=8888 icmp=-1/-1 flags=0x00 in=0 out=[1-9]')"
vb_idx=$(ip netns exec "$B" cat /sys/class/net/vb/ifindex)
check_eq "ingress events carry the input ifindex" 9 "$(ev " in=$vb_idx out=0 ")"
check_eq "sequence numbers 0..9 in order" "0 1 2 3 4 5 6 7 8 9" \
	"$(sed -n 's/^event.* seq=\([0-9]*\) .*/\1/p' "$TMP/ev" | tr '\n' ' ' | sed 's/ $//')"
check_eq "no loss, nothing malformed" "events=10 overruns=0 gaps=0 malformed=0" \
	"$(sed -n 's/^stats \(events=[0-9]* overruns=[0-9]* gaps=[0-9]* malformed=[0-9]*\).*/\1/p' "$TMP/ev")"

# ---- overrun: a tiny receive buffer and a reader that sleeps through a flood ----
ip netns exec "$B" "$READER" listen 101 100000000 4000 4096 1500 >"$TMP/ov" 2>"$TMP/ov.err" &
RPID=$!
on_exit "kill $RPID"
check "reader binds group 101" wait_ready "$TMP/ov"
ip netns exec "$A" "$FLOOD" flood 10.99.0.2 7777 20000 0 >/dev/null
# One more datagram closes the seq accounting: losses at the end of the flood
# show as a gap only when a later event arrives. The reader wakes at 1.5 s and
# drains what survived; until then a closer may be lost to the full buffer,
# so send closers (each from its own port) until the reader prints one.
got_closer() { grep -q "sport=$1 dport=7777 " "$TMP/ov"; }
for ((sport = 40004; sport < 40024; sport++)); do
	ip netns exec "$A" "$FLOOD" udp 10.99.0.2 7777 1 "$sport"
	eventually 1 got_closer "$sport" && break
done
check "a closing event reached the reader after the flood" got_closer "$sport"
wait "$RPID"
logged=$(ip netns exec "$B" nft list table inet bhtest | sed -n 's/.*dport 7777 counter packets \([0-9]*\).*/\1/p')
read -r events overruns gaps < <(sed -n 's/^stats events=\([0-9]*\) overruns=\([0-9]*\) gaps=\([0-9]*\).*/\1 \2 \3/p' "$TMP/ov")
diag "flood: kernel logged $logged, reader got $events, overruns $overruns, lost per seq $gaps"
check "overflow reported as overrun (ENOBUFS)" test "${overruns:-0}" -gt 0
check "lost events counted from sequence gaps" test "${gaps:-0}" -gt 0
check_eq "events + counted losses == packets the rule logged" "$logged" "$((events + gaps))"
