// SPDX-License-Identifier: GPL-2.0-or-later
#include <dlfcn.h>
#include <stddef.h>
#include <stdio.h>

#include "source/curl_dl.h"

static struct bh_curl_api api;
static void *lib;

static const struct {
	const char *name;
	size_t off;
} syms[] = {
#define SYM(field, name) { #name, offsetof(struct bh_curl_api, field) }
	SYM(global_init, curl_global_init),
	SYM(global_cleanup, curl_global_cleanup),
	SYM(easy_init, curl_easy_init),
	SYM(easy_setopt, curl_easy_setopt),
	SYM(easy_getinfo, curl_easy_getinfo),
	SYM(easy_cleanup, curl_easy_cleanup),
	SYM(easy_strerror, curl_easy_strerror),
	SYM(multi_init, curl_multi_init),
	SYM(multi_setopt, curl_multi_setopt),
	SYM(multi_add_handle, curl_multi_add_handle),
	SYM(multi_remove_handle, curl_multi_remove_handle),
	SYM(multi_assign, curl_multi_assign),
	SYM(multi_info_read, curl_multi_info_read),
	SYM(multi_socket_action, curl_multi_socket_action),
	SYM(multi_cleanup, curl_multi_cleanup),
#undef SYM
};

const struct bh_curl_api *bh_curl_load(char *err, size_t len)
{
	void *h;

	if (lib)
		return &api;
	/* the soname of libcurl 7 and 8; the handle stays open for the process */
	h = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		snprintf(err, len, "cannot load libcurl: %s", dlerror());
		return NULL;
	}
	for (size_t i = 0; i < sizeof(syms) / sizeof(syms[0]); i++) {
		void *f = dlsym(h, syms[i].name);

		if (!f) {
			snprintf(err, len, "libcurl lacks %s", syms[i].name);
			dlclose(h);
			return NULL;
		}
		*(void **)((char *)&api + syms[i].off) = f;
	}
	lib = h;
	return &api;
}
