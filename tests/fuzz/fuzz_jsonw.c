// SPDX-License-Identifier: GPL-2.0-or-later
// fuzz-sources: log/jsonw.c
/*
 * The JSON writer on arbitrary bytes: the input is split into a key and a
 * value string (at the first NUL), written as an object with a few other
 * value kinds, and the result must parse back with jansson to exactly the
 * input's text after UTF-8 repair, and contain no raw control character.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "log/jsonw.h"
#include "policy/model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bh_jsonw w;
	const char *s = (const char *)data;
	const uint8_t *z = memchr(data, 0, size);
	size_t kl = z ? (size_t)(z - data) : size / 2;
	char *key = malloc(kl + 1);
	struct bh_addr a = { .family = size & 1 ? 2 : 10 };
	json_error_t err;
	json_t *j, *v;
	int64_t iv = 0;

	if (!key)
		return 0;
	memcpy(key, s, kl);
	key[kl] = 0;
	memcpy(a.a, data, size < 16 ? size : 16);
	memcpy(&iv, data, size < 8 ? size : 8);

	bh_jsonw_init(&w);
	bh_jsonw_obj_begin(&w);
	bh_jsonw_key(&w, "k");
	bh_jsonw_strn(&w, s + kl, size - kl);
	bh_jsonw_kv_arr_begin(&w, "a");
	bh_jsonw_int(&w, iv);
	bh_jsonw_uint(&w, (uint64_t)iv >> 1);	/* jansson reads integers as int64 */
	bh_jsonw_addr(&w, &a);
	bh_jsonw_time(&w, iv % 253402300800LL < 0 ? -(iv % 253402300800LL) : iv % 253402300800LL,
		      (uint32_t)iv);
	bh_jsonw_obj_begin(&w);
	bh_jsonw_obj_end(&w);
	bh_jsonw_arr_end(&w);
	bh_jsonw_kv_obj_begin(&w, "o");	/* the fuzzed key in its own object: no clash with "k" */
	bh_jsonw_key(&w, key);
	bh_jsonw_bool(&w, size & 2);
	bh_jsonw_obj_end(&w);
	bh_jsonw_obj_end(&w);
	if (bh_jsonw_line_end(&w))
		goto out;
	for (size_t i = 0; i + 1 < w.len; i++)
		if ((unsigned char)w.buf[i] < 0x20)
			abort();
	j = json_loadb(w.buf, w.len, JSON_ALLOW_NUL, &err);
	if (!j)
		abort();	/* the writer produced invalid JSON */
	v = json_object_get(j, "k");
	if (!v || !json_is_string(v))
		abort();
	/* valid UTF-8 input (jansson agrees it is) comes back byte for byte */
	json_t *probe = json_stringn(s + kl, size - kl);

	if (probe) {
		if (json_string_length(v) != size - kl || memcmp(json_string_value(v), s + kl, size - kl))
			abort();
		json_decref(probe);
	}
	json_decref(j);
out:
	bh_jsonw_deinit(&w);
	free(key);
	return 0;
}
