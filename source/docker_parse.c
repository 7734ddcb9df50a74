// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Docker Engine API JSON -> workloads. Pure: no I/O, so every mapping rule is
 * unit tested from fixtures (tests/unit/test_docker_parse.c).
 */
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>

#include "source/docker.h"

static const char *jstr(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* Nested lookup: jpath(o, "NetworkSettings", "SandboxKey", NULL). */
static const json_t *jpath(const json_t *o, ...)
{
	va_list ap;
	const char *k;

	va_start(ap, o);
	while (o && (k = va_arg(ap, const char *)))
		o = json_object_get(o, k);
	va_end(ap);
	return o;
}

static const char *jpath_str(const json_t *o, const char *a, const char *b)
{
	const json_t *v = jpath(o, a, b, NULL);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* ---- named ports label ------------------------------------------------------------ */

static const struct {
	const char *name;
	uint8_t proto;
} port_protos[] = {
	{ "tcp", IPPROTO_TCP },
	{ "udp", IPPROTO_UDP },
	{ "sctp", IPPROTO_SCTP },
};

/* Kubernetes IsValidPortName (IANA_SVC_NAME). */
static bool port_name_valid(const char *s, size_t len)
{
	bool letter = false;

	if (len < 1 || len > 15 || s[0] == '-' || s[len - 1] == '-')
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] >= 'a' && s[i] <= 'z')
			letter = true;
		else if (s[i] == '-' && s[i + 1] == '-')
			return false;
		else if (!(s[i] >= '0' && s[i] <= '9') && s[i] != '-')
			return false;
	}
	return letter;
}

static int port_cmp(const void *a, const void *b)
{
	const struct bh_named_port *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : (int)x->proto - (int)y->proto;
}

void bh_docker_ports_free(struct bh_named_port *p, size_t n)
{
	for (size_t i = 0; p && i < n; i++)
		free(p[i].name);
	free(p);
}

/* Parse one "name=port[/proto]" entry of length len into *out. */
static int port_entry_parse(const char *e, size_t len, struct bh_named_port *out,
			    char *why, size_t whylen)
{
	const char *eq = memchr(e, '=', len), *slash, *end = e + len;
	char num[8], proto[8];
	size_t nlen, plen;
	char *stop;
	long port;

	if (!eq) {
		snprintf(why, whylen, "'%.*s': expected NAME=PORT[/PROTO]", (int)len, e);
		return -EINVAL;
	}
	if (!port_name_valid(e, (size_t)(eq - e))) {
		snprintf(why, whylen, "'%.*s': invalid port name '%.*s'", (int)len, e,
			 (int)(eq - e), e);
		return -EINVAL;
	}
	slash = memchr(eq, '/', (size_t)(end - eq));
	nlen = (size_t)((slash ? slash : end) - (eq + 1));
	if (nlen == 0 || nlen >= sizeof(num))
		goto bad_port;
	memcpy(num, eq + 1, nlen);
	num[nlen] = '\0';
	if (!isdigit((unsigned char)num[0]))
		goto bad_port;
	errno = 0;
	port = strtol(num, &stop, 10);
	if (*stop || errno || port < 1 || port > 65535)
		goto bad_port;
	out->port = (uint16_t)port;
	out->proto = IPPROTO_TCP;
	if (slash) {
		size_t i;

		plen = (size_t)(end - slash - 1);
		if (plen == 0 || plen >= sizeof(proto))
			goto bad_proto;
		memcpy(proto, slash + 1, plen);
		proto[plen] = '\0';
		for (i = 0; i < sizeof(port_protos) / sizeof(port_protos[0]); i++)
			if (!strcasecmp(proto, port_protos[i].name))
				break;
		if (i == sizeof(port_protos) / sizeof(port_protos[0]))
			goto bad_proto;
		out->proto = port_protos[i].proto;
	}
	out->name = strndup(e, (size_t)(eq - e));
	return out->name ? 0 : -ENOMEM;

bad_port:
	snprintf(why, whylen, "'%.*s': port must be 1-65535", (int)len, e);
	return -EINVAL;
bad_proto:
	snprintf(why, whylen, "'%.*s': protocol must be tcp, udp or sctp", (int)len, e);
	return -EINVAL;
}

int bh_docker_ports_parse(const char *label, struct bh_named_port **out, size_t *n,
			  char *why, size_t whylen)
{
	struct bh_named_port *v = NULL, *nv;
	const char *p = label;
	size_t cnt = 0;
	int err;

	*out = NULL;
	*n = 0;
	while (*p) {
		const char *e, *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);

		/* trim spaces around the entry */
		e = p;
		while (len && isspace((unsigned char)*e))
			e++, len--;
		while (len && isspace((unsigned char)e[len - 1]))
			len--;
		if (!len) {
			snprintf(why, whylen, "empty entry in '%s'", label);
			err = -EINVAL;
			goto fail;
		}
		nv = realloc(v, (cnt + 1) * sizeof(*v));
		if (!nv) {
			err = -ENOMEM;
			goto fail;
		}
		v = nv;
		err = port_entry_parse(e, len, &v[cnt], why, whylen);
		if (err)
			goto fail;
		cnt++;
		if (!comma)
			break;
		p = comma + 1;
		if (!*p) {
			snprintf(why, whylen, "empty entry in '%s'", label);
			err = -EINVAL;
			goto fail;
		}
	}
	if (cnt)
		qsort(v, cnt, sizeof(*v), port_cmp);
	for (size_t i = 1; i < cnt; i++) {
		if (!strcmp(v[i - 1].name, v[i].name)) {
			snprintf(why, whylen, "port name '%s' appears twice", v[i].name);
			err = -EINVAL;
			goto fail;
		}
	}
	*out = v;
	*n = cnt;
	return 0;

fail:
	bh_docker_ports_free(v, cnt);
	return err;
}

/* ---- workloads --------------------------------------------------------------------- */

static int dup_opt(char **dst, const char *src)
{
	*dst = NULL;
	if (!src)
		return 0;
	*dst = strdup(src);
	return *dst ? 0 : -ENOMEM;
}

/* Add the address text s (may be NULL or "") unless already present. */
static int ip_add(struct bh_workload *wl, const char *s, char *why, size_t whylen)
{
	struct bh_addr a, *v;

	if (!s || !*s)
		return 0;
	if (bh_addr_parse(s, &a)) {
		snprintf(why, whylen, "invalid address '%s'", s);
		return -EINVAL;
	}
	for (size_t i = 0; i < wl->n_ips; i++)
		if (!bh_addr_cmp(&wl->ips[i], &a))
			return 0;
	v = realloc(wl->ips, (wl->n_ips + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	wl->ips = v;
	wl->ips[wl->n_ips++] = a;
	return 0;
}

static int addr_qcmp(const void *a, const void *b)
{
	return bh_addr_cmp(a, b);
}

static int ips_collect(struct bh_workload *wl, const json_t *ns, char *why, size_t whylen)
{
	const json_t *nets = json_object_get(ns, "Networks"), *net;
	const char *key;
	int err;

	err = ip_add(wl, jstr(ns, "IPAddress"), why, whylen);
	if (!err)
		err = ip_add(wl, jstr(ns, "GlobalIPv6Address"), why, whylen);
	if (err)
		return err;
	if (json_is_object(nets)) {
		json_object_foreach((json_t *)nets, key, net) {
			err = ip_add(wl, jstr(net, "IPAddress"), why, whylen);
			if (!err)
				err = ip_add(wl, jstr(net, "GlobalIPv6Address"), why, whylen);
			if (err)
				return err;
		}
	}
	if (wl->n_ips > 1)
		qsort(wl->ips, wl->n_ips, sizeof(*wl->ips), addr_qcmp);
	return 0;
}

static int labels_collect(struct bh_labels *l, const json_t *labels)
{
	const char *key;
	json_t *v;

	if (!json_is_object(labels))
		return 0;
	json_object_foreach((json_t *)labels, key, v) {
		if (json_is_string(v) && bh_labels_set(l, key, json_string_value(v)))
			return -ENOMEM;
	}
	return 0;
}

/* Namespace and name from the labels (see docker.h). */
static int identity_set(struct bh_workload *wl)
{
	const char *ns = bh_labels_get(&wl->labels, BH_DOCKER_LABEL_NAMESPACE);
	const char *name = bh_labels_get(&wl->labels, BH_DOCKER_LABEL_NAME);
	const char *svc = bh_labels_get(&wl->labels, "com.docker.compose.service");
	const char *num = bh_labels_get(&wl->labels, "com.docker.compose.container-number");

	if (!ns || !*ns)
		ns = bh_labels_get(&wl->labels, "com.docker.compose.project");
	if (!ns || !*ns)
		ns = "default";
	wl->namespace = strdup(ns);
	if (name && *name)
		wl->name = strdup(name);
	else if (svc && *svc && num && *num)
		(void)!asprintf(&wl->name, "%s-%s", svc, num);
	else if (svc && *svc)
		wl->name = strdup(svc);
	else
		wl->name = strdup(wl->container_name);
	return wl->namespace && wl->name ? 0 : -ENOMEM;
}

/* "ns/name" must stay unambiguous and printable wherever it is shown. */
static bool identity_part_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 253)
		return false;
	for (; *s; s++)
		if (*s == '/' || (unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

int bh_docker_time_parse(const char *s, int64_t *ns)
{
	struct tm tm = { 0 };
	int n = 0, sign;
	int64_t frac = 0, off = 0;
	time_t t;

	*ns = 0;
	if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
			 &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6 || !n)
		return -EINVAL;
	s += n;
	if (*s == '.') {
		int digits = 0;

		for (s++; *s >= '0' && *s <= '9'; s++, digits++)
			if (digits < 9)
				frac = frac * 10 + (*s - '0');
		if (!digits)
			return -EINVAL;
		for (; digits < 9; digits++)
			frac *= 10;
	}
	if (*s == 'Z') {
		s++;
	} else if (*s == '+' || *s == '-') {
		int hh, mm;

		sign = *s == '-' ? -1 : 1;
		if (sscanf(s + 1, "%2d:%2d%n", &hh, &mm, &n) != 2)
			return -EINVAL;
		off = sign * ((int64_t)hh * 3600 + mm * 60);
		s += 1 + n;
	} else {
		return -EINVAL;
	}
	if (*s)
		return -EINVAL;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	t = timegm(&tm);
	if (t == (time_t)-1 || t < 0)
		return -EINVAL;
	*ns = ((int64_t)t - off) * 1000000000 + frac;
	return 0;
}

static bool netmode_shared(const char *mode)
{
	return mode && (!strcmp(mode, "host") || !strcmp(mode, "none") ||
			!strncmp(mode, "container:", 10));
}

int bh_docker_inspect_parse(const struct json_t *c, struct bh_workload *wl, char *why,
			    size_t whylen)
{
	const json_t *ns = json_object_get(c, "NetworkSettings");
	const json_t *running = jpath(c, "State", "Running", NULL);
	const char *id = jstr(c, "Id"), *name = jstr(c, "Name");
	const char *mode = jpath_str(c, "HostConfig", "NetworkMode");
	const char *sandbox = jstr(ns, "SandboxKey"), *ports;
	int err = -ENOMEM, ret = BH_DOCKER_MAP_OK;

	memset(wl, 0, sizeof(*wl));
	if (whylen)
		why[0] = '\0';
	if (!json_is_object(c) || !id || !*id)
		return -EINVAL;
	if (name && name[0] == '/')
		name++;
	if (dup_opt(&wl->container_id, id))
		goto fail;
	if (name && *name)
		wl->container_name = strdup(name);
	else
		wl->container_name = strndup(id, 12);
	if (!wl->container_name || dup_opt(&wl->image, jpath_str(c, "Config", "Image")))
		goto fail;
	bh_docker_time_parse(jstr(c, "Created"), &wl->created_ns);
	if (labels_collect(&wl->labels, jpath(c, "Config", "Labels", NULL)) || identity_set(wl))
		goto fail;
	/* A missing State is taken as running: the list endpoint only returns running ones. */
	if (running && !json_is_true(running))
		return BH_DOCKER_MAP_STOPPED;
	if (netmode_shared(mode)) {
		snprintf(why, whylen, "network mode '%s': no network namespace of its own", mode);
		return BH_DOCKER_MAP_SKIP;
	}
	if (!sandbox || !*sandbox) {
		snprintf(why, whylen, "no SandboxKey: no network namespace to enforce in");
		return BH_DOCKER_MAP_SKIP;
	}
	if (dup_opt(&wl->netns, sandbox))
		goto fail;
	/* From here on a mapping error isolates the container: it has a netns to enforce in. */
	if (!identity_part_valid(wl->namespace) || !identity_part_valid(wl->name)) {
		snprintf(why, whylen, "invalid workload identity '%s/%s': namespace and name need "
			 "1-253 printable characters and no '/'; listed as default/%s",
			 wl->namespace, wl->name, wl->container_name);
		free(wl->namespace);
		free(wl->name);
		wl->namespace = strdup("default");
		wl->name = strdup(wl->container_name);
		if (!wl->namespace || !wl->name) {
			err = -ENOMEM;
			goto fail;
		}
		wl->isolated = BH_DOCKER_CAUSE_INVALID;
		return BH_DOCKER_MAP_ERROR;
	}
	err = ips_collect(wl, ns, why, whylen);
	if (err == -EINVAL)
		ret = BH_DOCKER_MAP_ERROR;
	else if (err)
		goto fail;
	if (ret == BH_DOCKER_MAP_ERROR)
		wl->isolated = BH_DOCKER_CAUSE_INVALID;
	ports = bh_labels_get(&wl->labels, BH_DOCKER_LABEL_PORTS);
	if (ret == BH_DOCKER_MAP_OK && ports) {
		char msg[200];

		err = bh_docker_ports_parse(ports, &wl->ports, &wl->n_ports, msg, sizeof(msg));
		if (err == -EINVAL) {
			snprintf(why, whylen, "label %s: %s", BH_DOCKER_LABEL_PORTS, msg);
			ret = BH_DOCKER_MAP_ERROR;
			wl->isolated = BH_DOCKER_CAUSE_INVALID;
		} else if (err) {
			goto fail;
		}
	}
	return ret;

fail:
	bh_workload_deinit(wl);
	return err;
}

int bh_docker_inspect_parse_buf(const char *buf, size_t len, struct bh_workload *wl,
				char *why, size_t whylen)
{
	json_t *j = json_loadb(buf, len, 0, NULL);
	int ret;

	if (!j) {
		memset(wl, 0, sizeof(*wl));
		return -EINVAL;
	}
	ret = bh_docker_inspect_parse(j, wl, why, whylen);
	json_decref(j);
	return ret;
}

int bh_docker_list_parse_buf(const char *buf, size_t len, char ***ids, size_t *n)
{
	json_t *j = json_loadb(buf, len, 0, NULL), *c;
	char **v = NULL;
	size_t i, cnt = 0;
	int err = -EINVAL;

	*ids = NULL;
	*n = 0;
	if (!json_is_array(j))
		goto out;
	err = -ENOMEM;
	v = calloc(json_array_size(j) + 1, sizeof(*v));
	if (!v)
		goto out;
	json_array_foreach(j, i, c) {
		const char *id = jstr(c, "Id");

		if (!id || !*id)
			continue;
		v[cnt] = strdup(id);
		if (!v[cnt])
			goto out;
		cnt++;
	}
	*ids = v;
	*n = cnt;
	v = NULL;
	err = 0;
out:
	for (i = 0; v && i < cnt; i++)
		free(v[i]);
	free(v);
	json_decref(j);
	return err;
}

static void copy_trunc(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src ? src : "");
}

int bh_docker_event_parse_buf(const char *buf, size_t len, struct bh_docker_event *ev)
{
	json_t *j = json_loadb(buf, len, 0, NULL);
	int r = bh_docker_event_parse(j, ev);

	json_decref(j);
	return r;
}

int bh_docker_event_parse(const json_t *j, struct bh_docker_event *ev)
{
	const char *type, *action, *id;
	const json_t *t;

	memset(ev, 0, sizeof(*ev));
	if (!json_is_object(j))
		return -EINVAL;
	type = jstr(j, "Type");
	action = jstr(j, "Action");
	if (!action)
		action = jstr(j, "status");
	copy_trunc(ev->type, sizeof(ev->type), type);
	copy_trunc(ev->action, sizeof(ev->action), action);
	/* Network events name the network as Actor.ID and the container as an attribute. */
	if (type && !strcmp(type, "network"))
		id = jpath_str(jpath(j, "Actor", "Attributes", NULL), "container", NULL);
	else
		id = jpath_str(j, "Actor", "ID");
	if (!id && (!type || !strcmp(type, "container")))
		id = jstr(j, "id");
	copy_trunc(ev->id, sizeof(ev->id), id);
	t = json_object_get(j, "timeNano");
	if (json_is_integer(t))
		ev->time_nano = (int64_t)json_integer_value(t);
	else if (json_is_real(t))
		ev->time_nano = (int64_t)json_real_value(t);
	return 0;
}

static bool str_eq(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

bool bh_docker_workload_equal(const struct bh_workload *a, const struct bh_workload *b)
{
	if (!str_eq(a->name, b->name) || !str_eq(a->namespace, b->namespace) ||
	    !str_eq(a->netns, b->netns) || !str_eq(a->container_id, b->container_id) ||
	    !str_eq(a->container_name, b->container_name) || !str_eq(a->image, b->image) ||
	    !str_eq(a->isolated, b->isolated) || a->created_ns != b->created_ns ||
	    a->labels.n != b->labels.n || a->n_ips != b->n_ips || a->n_ports != b->n_ports)
		return false;
	for (size_t i = 0; i < a->labels.n; i++)
		if (strcmp(a->labels.v[i].key, b->labels.v[i].key) ||
		    strcmp(a->labels.v[i].value, b->labels.v[i].value))
			return false;
	for (size_t i = 0; i < a->n_ips; i++)
		if (bh_addr_cmp(&a->ips[i], &b->ips[i]))
			return false;
	for (size_t i = 0; i < a->n_ports; i++)
		if (!str_eq(a->ports[i].name, b->ports[i].name) ||
		    a->ports[i].port != b->ports[i].port || a->ports[i].proto != b->ports[i].proto)
			return false;
	return true;
}
