#!/usr/bin/env bash
# The source tree's layering, checked on the objects the build produced and on
# the include lines:
#   - no two .c files call each other's exported functions, nor round a longer
#     loop (each file can be read and tested with only the files below it);
#   - calls between folders point down the layers:
#       lib < policy < netlink < log, source < agent < cmd
#     and log/ and source/ never call each other;
#   - #include "folder/x.h" points down the same layers (nothing includes cmd/
#     from outside it, log/ and source/ never include each other's headers);
#   - libnftnl and libmnl are included only under netlink/ (and tests, bench).
# Objects come from $BH_OBJ_DIR, else the build directory of $BULKHEAD
# (build/san under make check), else build/rel.
. "$(dirname "$0")/../lib.sh"
cd "$BH_ROOT" || exit 2
LAYERS="lib policy netlink log source agent cmd"
tmp=$(mktemp -d /tmp/bh-layout.XXXXXX)
on_exit rm -rf "$tmp"

if [ -n "${BH_OBJ_DIR:-}" ]; then
	objdir=$BH_OBJ_DIR
elif [ -f "$(dirname "$BULKHEAD")/cmd/main.o" ]; then
	objdir=$(dirname "$BULKHEAD")
else
	objdir=$BH_ROOT/build/rel
fi

# rank FOLDER: position in the layers; log and source share one
rank() {
	case $1 in
	lib) echo 0 ;; policy) echo 1 ;; netlink) echo 2 ;; log|source) echo 3 ;; agent) echo 4 ;; cmd) echo 5 ;;
	*) echo -1 ;;
	esac
}

# ---- objects: every .c file has an up-to-date object ------------------------------

: >"$tmp/objs"
missing=0 stale=0
for d in $LAYERS; do
	for c in "$d"/*.c; do
		o=$objdir/${c%.c}.o
		if [ ! -f "$o" ]; then
			missing=$((missing + 1)); diag "no object for $c in $objdir"
		elif [ "$c" -nt "$o" ]; then
			stale=$((stale + 1)); diag "$o is older than $c"
		else
			echo "$c $o" >>"$tmp/objs"
		fi
	done
done
check_eq "every .c file has an object in $objdir" 0 "$missing"
check_eq "objects are newer than their sources" 0 "$stale"

# "file.c symbol" for every exported definition, "file.c symbol" for every use
: >"$tmp/def"; : >"$tmp/use"
while read -r c o; do
	nm -g "$o" | awk -v c="$c" -v def="$tmp/def" -v use="$tmp/use" '
		NF == 2 && $1 == "U" { print c, $2 >> use; next }
		NF == 3 && $2 ~ /^[A-TV-Z]$/ { print c, $3 >> def }'
done <"$tmp/objs"
n_def=$(wc -l <"$tmp/def")
[ "$n_def" -gt 100 ] && ok "exported symbols found ($n_def)" || nok "exported symbols found ($n_def)"

# "user.c definer.c symbol" for every call across files
awk 'NR == FNR { if (!($2 in at)) at[$2] = $1; next }
     ($2 in at) && at[$2] != $1 { print $1, at[$2], $2 }' "$tmp/def" "$tmp/use" |
	sort -u >"$tmp/edges"

# ---- no two files call each other ----------------------------------------------------

awk '{ e[$1 " " $2] = e[$1 " " $2] (e[$1 " " $2] ? "," : "") $3 }
     END {
	for (k in e) {
		split(k, f, " ")
		r = f[2] " " f[1]
		if (f[1] < f[2] && (r in e))
			printf "%s <-> %s: %s calls %s; %s calls %s\n", f[1], f[2], f[1], e[k], f[2], e[r]
	}
     }' "$tmp/edges" | sort >"$tmp/cycles"
if [ -s "$tmp/cycles" ]; then
	nok "no two .c files call each other's exported functions"
	sed 's/^/# /' "$tmp/cycles"
else
	ok "no two .c files call each other's exported functions"
fi

# ... nor round a longer loop (a -> b -> c -> a): tsort names one
awk '{ print $1, $2 }' "$tmp/edges" | sort -u | tsort >/dev/null 2>"$tmp/loop"
if [ -s "$tmp/loop" ]; then
	nok "calls between .c files form no loop"
	sed 's/^/# /' "$tmp/loop" | head -20
else
	ok "calls between .c files form no loop"
fi

# ---- calls point down the layers -----------------------------------------------------

: >"$tmp/up"
while read -r user definer sym; do
	fu=${user%%/*} fd=${definer%%/*}
	[ "$fu" = "$fd" ] && continue
	ru=$(rank "$fu") rd=$(rank "$fd")
	if [ "$rd" -gt "$ru" ] || [ "$rd" = "$ru" ]; then
		echo "$user calls $sym of $definer" >>"$tmp/up"
	fi
done <"$tmp/edges"
if [ -s "$tmp/up" ]; then
	nok "calls between folders point down the layers"
	sed 's/^/# /' "$tmp/up" | head -40
else
	ok "calls between folders point down the layers"
fi

# ---- includes point down the layers --------------------------------------------------

: >"$tmp/inc"
for d in $LAYERS; do
	rf=$(rank "$d")
	grep -Hn '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$d"/*.[ch] |
	while IFS= read -r line; do
		target=$(sed 's/.*include[[:space:]]*"\([^"]*\)".*/\1/' <<<"$line")
		case $target in
		*/*) ;;
		*) echo "${line%%:*}: \"$target\" is not included by folder" >>"$tmp/inc"; continue ;;
		esac
		td=${target%%/*}
		[ "$td" = "$d" ] && continue
		rt=$(rank "$td")
		if [ "$rt" -lt 0 ] || [ "$rt" -ge "$rf" ]; then
			echo "${line%:*}: $d/ includes $target" >>"$tmp/inc"
		fi
	done
done
if [ -s "$tmp/inc" ]; then
	nok "#include lines point down the layers"
	sed 's/^/# /' "$tmp/inc" | head -40
else
	ok "#include lines point down the layers"
fi

# ---- libnftnl and libmnl stay in netlink/ --------------------------------------------

grep -rn '#include <libnftnl\|#include <libmnl' --include='*.[ch]' . |
	grep -v '^./netlink/\|^./tests/\|^./bench/' >"$tmp/nl"
if [ -s "$tmp/nl" ]; then
	nok "libnftnl and libmnl are included only under netlink/"
	sed 's/^/# /' "$tmp/nl"
else
	ok "libnftnl and libmnl are included only under netlink/"
fi
