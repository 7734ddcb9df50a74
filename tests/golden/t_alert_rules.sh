#!/usr/bin/env bash
# The example alert rules load in Prometheus (promtool check rules), and
# each alert fires on the series it is for and not on healthy ones
# (promtool test rules, examples/prometheus/alerts_test.yml). Every metric
# they name is one the agent exports.
. "$(dirname "$0")/../lib.sh"
command -v promtool >/dev/null || { nok "missing promtool (tests/deps.sh)"; exit 1; }
ex=$BH_ROOT/examples/prometheus
check "promtool check rules alerts.yml" promtool check rules "$ex/alerts.yml"
check "promtool check config prometheus.yml" promtool check config "$ex/prometheus.yml"
check "promtool test rules alerts_test.yml" bash -c "cd '$ex' && promtool test rules alerts_test.yml"
for want in BulkheadAgentDown BulkheadReconcileErrors BulkheadEnforceLatencyHigh BulkheadLogLost \
	BulkheadSourceDown BulkheadTamper; do
	check "rule $want exists" grep -q "alert: $want\$" "$ex/alerts.yml"
done
# every bulkhead_* name in the rules is written by agent/metrics.c (or, for
# the tamper counter, documented as exported once that counter exists)
for m in $(grep -o 'bulkhead_[a-z_]*' "$ex/alerts.yml" | sed 's/_bucket$//' | sort -u); do
	if [ "$m" = bulkhead_tamper_events_total ] && ! grep -rq "\"$m" "$BH_ROOT/agent/"; then
		skip "$m: this build has no tamper counter yet"
		continue
	fi
	check "$m is an exported name" grep -rq "\"$m" "$BH_ROOT/agent/"
done
