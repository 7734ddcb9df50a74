/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef BH_K8S_NAMES_H
#define BH_K8S_NAMES_H

/*
 * Kubernetes name syntax (apimachinery's validation package), apart from
 * the decoding engine that reports it. Pure: no allocation, no state.
 */

#include <stdint.h>

/* Each returns NULL when s is valid, else why not (static text). */
const char *bh__dns_label_err(const char *s);		/* RFC 1123 label, <= 63 */
const char *bh__dns_subdomain_err(const char *s);	/* RFC 1123 subdomain, <= 253 */
const char *bh__qualified_name_err(const char *s);	/* label / annotation key */
const char *bh__label_value_err(const char *s);
const char *bh__svc_name_err(const char *s);		/* IANA_SVC_NAME (named port) */

/* A port protocol (TCP, UDP, SCTP; case-sensitive as in Kubernetes): IPPROTO_*, or 0. */
uint8_t bh__proto_parse(const char *s);

#endif
