#!/usr/bin/env bash
# `make image` builds bulkhead:VERSION offline into a private dockerd, and
# the agent runs from it the way the README's `docker run` line says
# (host network and PID namespaces, the unit's three capabilities, the
# Docker socket, the namespace directory with rslave propagation,
# /run/bulkhead, config and policies from a volume): it enforces a
# labelled container started before it and one started after it, logs to
# docker logs, and answers on the control socket it shares with the host.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib.sh"

bh_docker_require
W=$(mktemp -d /tmp/bha-img.XXXXXX)
on_exit rm -rf "$W"
check "private dockerd starts" bh_dockerd_private_up "$W/d" || exit 1
SOCK=$W/d/docker.sock
check "probe image builds" bh_probe_image || exit 1
VER=$(sed -n 's/^VERSION ?= //p' "$BH_ROOT/Makefile")
check "make image" make -C "$BH_ROOT" --no-print-directory image
check "bulkhead:$VER is in the engine" docker image inspect "bulkhead:$VER" -f '{{.Id}}'
on_exit "docker rmi -f bulkhead:$VER"

# The container namespaces of this daemon live under its exec root. Made a
# shared mount so that namespaces created after the agent starts reach it
# through the rslave volume, as /run/docker/netns does on a systemd host.
NSDIR=$W/d/exec/netns
mkdir -p "$NSDIR"
mount --bind "$NSDIR" "$NSDIR" && mount --make-rshared "$NSDIR"
on_exit "umount -l $NSDIR"

mkdir -p "$W/etc/policies" "$W/run"
cat >"$W/etc/agent.yaml" <<'EOF'
policies: /etc/bulkhead/policies
docker: true
control: /run/bulkhead/control.sock
EOF
cat >"$W/etc/policies/db.yaml" <<'EOF'
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db-closed, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  policyTypes: [Ingress]
EOF
netns_of() { docker inspect -f '{{.NetworkSettings.SandboxKey}}' "$1"; }
has_table() { local k; k=$(netns_of "$1") && [ -n "$k" ] && nsenter --net="$k" nft list table inet bulkhead >/dev/null 2>&1; }

# containers on a network of their own (with the daemon's --bridge=none a
# container on no network has no namespace file to enforce in)
O=$(bh_subnet_octet)
NET=bhi$$
bh_docker_net "$NET" --subnet 10.213.$O.0/24 --gateway 10.213.$O.1
bh_docker_run db-before --network "$NET" -l app=db -l bulkhead.io/namespace=shop "$BH_PROBE_IMAGE"
apparmor=()
[ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)" = Y ] &&
	apparmor=(--security-opt apparmor=unconfined)
# the README's line, with this daemon's socket and namespace directory
bh_docker_run bulkhead --network host --pid host \
	--cap-drop ALL --cap-add NET_ADMIN --cap-add SYS_ADMIN --cap-add SYS_PTRACE "${apparmor[@]}" \
	-v "$SOCK:/var/run/docker.sock" \
	-v "$NSDIR:$NSDIR:rslave" -v /run/netns:/run/netns:rslave \
	-v "$W/run:/run/bulkhead" \
	-v "$W/etc:/etc/bulkhead:ro" \
	"bulkhead:$VER"
logs() { docker logs bulkhead 2>/dev/null; }
ready() { logs | grep -q '"action":"ready"'; }
check "the agent in the image is ready" bh_wait 30 ready
check "a container started before it is enforced" bh_wait 10 has_table db-before
bh_docker_run db-after --network "$NET" -l app=db -l bulkhead.io/namespace=shop "$BH_PROBE_IMAGE"
check "a container started after it is enforced" bh_wait 10 has_table db-after
check "an unlabelled container starts beside them" bash -c \
	"docker run -d --name other --network '$NET' '$BH_PROBE_IMAGE' >/dev/null"
on_exit "docker rm -f other"
check "the control socket answers on the host" bh_wait 5 bash -c \
	"'$BULKHEAD' status --json --control '$W/run/control.sock' | jq -e '[.workloads[] | select(.namespace==\"shop\" and .state==\"enforced\")] | length == 2' >/dev/null"
check "the log goes to docker logs with ecs.version" bash -c "docker logs bulkhead 2>/dev/null | grep -q '\"ecs\":{\"version\"'"
check "the image holds no shell (files of the package and their libraries only)" \
	bash -c "! docker run --rm --entrypoint /bin/sh 'bulkhead:$VER' -c true 2>/dev/null"
docker logs bulkhead 2>&1 | tail -5 | sed 's/^/# /'
