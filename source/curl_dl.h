/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef BH_CURL_DL_H
#define BH_CURL_DL_H

/*
 * libcurl, loaded when the Docker source first needs it. Linking it pulls
 * in some thirty shared libraries (TLS, Kerberos, LDAP, ...) that no other
 * command uses; loading them cost every `bulkhead` invocation about 20 ms
 * here, more than `apply` itself spends on a namespace.
 */

#include <curl/curl.h>

struct bh_curl_api {
	CURLcode (*global_init)(long flags);
	void (*global_cleanup)(void);
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *c, CURLoption opt, ...);
	CURLcode (*easy_getinfo)(CURL *c, CURLINFO info, ...);
	void (*easy_cleanup)(CURL *c);
	const char *(*easy_strerror)(CURLcode code);
	CURLM *(*multi_init)(void);
	CURLMcode (*multi_setopt)(CURLM *m, CURLMoption opt, ...);
	CURLMcode (*multi_add_handle)(CURLM *m, CURL *c);
	CURLMcode (*multi_remove_handle)(CURLM *m, CURL *c);
	CURLMcode (*multi_assign)(CURLM *m, curl_socket_t fd, void *p);
	CURLMsg *(*multi_info_read)(CURLM *m, int *left);
	CURLMcode (*multi_socket_action)(CURLM *m, curl_socket_t fd, int ev, int *running);
	CURLMcode (*multi_cleanup)(CURLM *m);
};

/*
 * Loads libcurl (once; later calls are free). Returns the function table,
 * or NULL with a reason in err (e.g. the library is not installed).
 */
const struct bh_curl_api *bh_curl_load(char *err, size_t len);

#endif
