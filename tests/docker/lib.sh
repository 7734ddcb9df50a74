# Helpers for tests against a real Docker daemon. Source after tests/lib.sh.
#
#   bh_docker_require            skip the whole script (exit 0) when docker is not installed
#   bh_dockerd_up                make sure the host daemon (/var/run/docker.sock) runs; starts
#                                it when it does not (and leaves it running for the next test)
#   bh_dockerd_private_up DIR    start a daemon of our own under DIR (own data root, exec root,
#                                socket DIR/docker.sock, no default bridge, no iptables) and
#                                point DOCKER_HOST at it; stopped and removed on exit
#   bh_dockerd_private_kill SIG  / bh_dockerd_private_start: stop (kill -SIG) and start it again
#   bh_probe_image               build bulkhead-probe:test (docker import of a tarball holding
#                                the static tools: bhprobe when built, bhsleep) in $DOCKER_HOST
#   bh_docker_net NAME ARGS...   docker network create NAME ARGS; removed on exit
#   bh_docker_run NAME ARGS...   docker run -d --name NAME ARGS; removed on exit
#   bh_wait SECONDS CMD...       poll CMD every 0.1 s until it succeeds, at most SECONDS
#   bh_subnet_octet              a free-looking third octet for 10.213.X.0/24 test subnets
BH_PROBE_IMAGE=bulkhead-probe:test
BH_HOST_DOCKER_SOCK=/var/run/docker.sock

bh_docker_require() {
	if ! command -v docker >/dev/null || ! command -v dockerd >/dev/null; then
		skip "docker is not installed"
		exit 0
	fi
}

bh_wait() {	# SECONDS CMD...
	local limit=$1 i
	shift
	for ((i = 0; i < limit * 10; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	"$@"
}

bh_dockerd_up() {
	if DOCKER_HOST=unix://$BH_HOST_DOCKER_SOCK docker info >/dev/null 2>&1; then
		return 0
	fi
	if ! pgrep -x dockerd >/dev/null; then
		diag "starting dockerd (log: /tmp/bh-dockerd.log)"
		setsid dockerd >>/tmp/bh-dockerd.log 2>&1 </dev/null &
	fi
	bh_wait 60 env DOCKER_HOST=unix://$BH_HOST_DOCKER_SOCK docker info >/dev/null 2>&1
}

_BH_PRIV_DIR=
bh_dockerd_private_start() {
	local d=$_BH_PRIV_DIR
	setsid dockerd --data-root "$d/root" --exec-root "$d/exec" --pidfile "$d/dockerd.pid" \
		-H "unix://$d/docker.sock" --bridge=none --iptables=false --ip6tables=false \
		>>"$d/dockerd.log" 2>&1 </dev/null &
	bh_wait 60 docker info >/dev/null 2>&1
}

# true when pid runs (a zombie nobody reaps does not count)
_bh_alive() {
	local st
	st=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
	[[ "$st" != Z* ]]
}

bh_dockerd_private_kill() {	# SIGNAL: stop the private daemon, wait until it is gone
	local d=$_BH_PRIV_DIR pid cpid
	pid=$(cat "$d/dockerd.pid" 2>/dev/null) || return 0
	kill -"$1" "$pid" 2>/dev/null
	bh_wait 30 eval "! _bh_alive $pid"
	rm -f "$d/dockerd.pid"
	# The daemon's containerd dies with it, but when nobody reaps it its pid
	# stays taken and the next daemon waits for it forever.
	cpid=$(cat "$d/exec/containerd/containerd.pid" 2>/dev/null)
	if [ -n "$cpid" ]; then
		bh_wait 10 eval "! _bh_alive $cpid"
		_bh_alive "$cpid" || rm -f "$d/exec/containerd/containerd.pid"
	fi
}

_bh_dockerd_private_down() {
	local d=$_BH_PRIV_DIR cpid
	[ -n "$d" ] || return 0
	docker ps -aq 2>/dev/null | xargs -r docker rm -f >/dev/null 2>&1
	bh_dockerd_private_kill TERM
	# a containerd left behind by a killed daemon
	cpid=$(cat "$d/exec/containerd/containerd.pid" 2>/dev/null)
	[ -n "$cpid" ] && kill "$cpid" 2>/dev/null && bh_wait 10 eval "! _bh_alive $cpid"
	# shims (and their containers) that outlived a killed containerd
	for cpid in $(pgrep -f "containerd-shim.* -address $d/"); do
		pkill -9 -P "$cpid"
		kill -9 "$cpid"
	done 2>/dev/null
	grep -o " $d/[^ ]*" /proc/mounts | sort -r | xargs -r -n1 umount -l 2>/dev/null
	rm -rf "$d"
}

bh_dockerd_private_up() {	# DIR
	_BH_PRIV_DIR=$1
	mkdir -p "$1"
	export DOCKER_HOST=unix://$1/docker.sock
	on_exit _bh_dockerd_private_down
	bh_dockerd_private_start
}

bh_probe_image() {
	local t
	t=$(mktemp -d /tmp/bh-probe-img.XXXXXX) || return 1
	for b in bhprobe bhsleep; do
		[ -x "$BH_TOOLS/$b" ] && cp "$BH_TOOLS/$b" "$t/"
	done
	[ -x "$t/bhsleep" ] || { rm -rf "$t"; diag "no $BH_TOOLS/bhsleep: run make tools"; return 1; }
	tar -C "$t" -cf "$t.tar" . &&
		docker import -c 'CMD ["/bhsleep"]' "$t.tar" "$BH_PROBE_IMAGE" >/dev/null
	local rc=$?
	rm -rf "$t" "$t.tar"
	return $rc
}

bh_docker_net() {	# NAME ARGS...
	local n=$1
	shift
	docker network create "$@" "$n" >/dev/null || return 1
	on_exit docker network rm "$n"
}

bh_docker_run() {	# NAME ARGS...
	local n=$1
	shift
	on_exit docker rm -f "$n"
	docker run -d --name "$n" "$@" >/dev/null
}

bh_subnet_octet() {
	local o i
	for ((i = 0; i < 50; i++)); do
		o=$((RANDOM % 200 + 20))
		ip -4 route | grep -q "^10\.213\.$o\." || { echo "$o"; return 0; }
	done
	echo 250
}
