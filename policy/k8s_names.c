// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Kubernetes name syntax, as apimachinery's validation package checks it:
 * RFC 1123 labels and subdomains, qualified names (label and annotation
 * keys), label values, IANA service names (named ports), and the port
 * protocols. Pure string checks, shared by policies and the inventory.
 */
#include <netinet/in.h>
#include <stdbool.h>
#include <string.h>

#include "policy/k8s_names.h"

static bool is_lower_alnum(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
}

static bool is_alnum(char ch)
{
	return is_lower_alnum(ch) || (ch >= 'A' && ch <= 'Z');
}

/* [a-z0-9]([-a-z0-9]*[a-z0-9])? over s[0..n) */
static bool dns_label_ok(const char *s, size_t n)
{
	if (!n || !is_lower_alnum(s[0]) || !is_lower_alnum(s[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_lower_alnum(s[i]) && s[i] != '-')
			return false;
	return true;
}

const char *bh__dns_label_err(const char *s)
{
	size_t n = strlen(s);

	if (!n)
		return "must not be empty";
	if (n > 63)
		return "must be no more than 63 characters";
	if (!dns_label_ok(s, n))
		return "must be a lowercase RFC 1123 label: lowercase alphanumeric characters or '-', "
		       "starting and ending with an alphanumeric character";
	return NULL;
}

static bool dns_subdomain_ok(const char *s, size_t n)
{
	size_t start = 0;

	for (size_t i = 0; i <= n; i++) {
		if (i < n && s[i] != '.')
			continue;
		if (!dns_label_ok(s + start, i - start))
			return false;
		start = i + 1;
	}
	return n > 0;
}

const char *bh__dns_subdomain_err(const char *s)
{
	size_t n = strlen(s);

	if (!n)
		return "must not be empty";
	if (n > 253)
		return "must be no more than 253 characters";
	if (!dns_subdomain_ok(s, n))
		return "must be a lowercase RFC 1123 subdomain: lowercase alphanumeric characters, '-' or '.', "
		       "starting and ending with an alphanumeric character";
	return NULL;
}

/* ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9] */
static bool label_name_ok(const char *s, size_t n)
{
	if (!n || !is_alnum(s[0]) || !is_alnum(s[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_alnum(s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
			return false;
	return true;
}

const char *bh__qualified_name_err(const char *s)
{
	const char *slash = strchr(s, '/'), *name = s;

	if (slash) {
		size_t plen = (size_t)(slash - s);

		if (strchr(slash + 1, '/'))
			return "must be an optional DNS prefix and a name separated by a single '/'";
		if (!plen)
			return "prefix part must not be empty";
		if (plen > 253)
			return "prefix part must be no more than 253 characters";
		if (!dns_subdomain_ok(s, plen))
			return "prefix part must be a lowercase RFC 1123 subdomain";
		name = slash + 1;
	}
	if (!*name)
		return "name part must not be empty";
	if (strlen(name) > 63)
		return "name part must be no more than 63 characters";
	if (!label_name_ok(name, strlen(name)))
		return "name part must consist of alphanumeric characters, '-', '_' or '.', "
		       "and must start and end with an alphanumeric character";
	return NULL;
}

const char *bh__label_value_err(const char *s)
{
	size_t n = strlen(s);

	if (!n)
		return NULL;
	if (n > 63)
		return "must be no more than 63 characters";
	if (!label_name_ok(s, n))
		return "must be empty or consist of alphanumeric characters, '-', '_' or '.', "
		       "and must start and end with an alphanumeric character";
	return NULL;
}

const char *bh__svc_name_err(const char *s)
{
	size_t n = strlen(s);
	bool letter = false;

	if (!n)
		return "must not be empty";
	if (n > 15)
		return "must be no more than 15 characters";
	for (size_t i = 0; i < n; i++) {
		if (s[i] >= 'a' && s[i] <= 'z')
			letter = true;
		else if (!(s[i] >= '0' && s[i] <= '9') && s[i] != '-')
			return "must contain only lowercase alphanumeric characters (a-z, 0-9) and '-'";
	}
	if (!letter)
		return "must contain at least one letter (a-z)";
	if (strstr(s, "--"))
		return "must not contain consecutive hyphens";
	if (s[0] == '-' || s[n - 1] == '-')
		return "must not begin or end with a hyphen";
	return NULL;
}

uint8_t bh__proto_parse(const char *s)
{
	static const struct {
		const char *name;
		uint8_t proto;
	} protos[] = {
		{ "TCP", IPPROTO_TCP },
		{ "UDP", IPPROTO_UDP },
		{ "SCTP", IPPROTO_SCTP },
	};

	for (size_t i = 0; i < sizeof(protos) / sizeof(protos[0]); i++)
		if (!strcmp(s, protos[i].name))
			return protos[i].proto;
	return 0;
}
