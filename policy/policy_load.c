// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Loading a policy set: files and directories -> YAML documents ->
 * Kubernetes objects (NetworkPolicy, the cluster-wide tiers of
 * policy/cnp.h, their lists, List) -> one sorted set, with every problem
 * recorded and loading carried on.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "policy/cnp_int.h"

#define API_NETWORKING "networking.k8s.io/v1"
#define API_TIERS "policy.networking.k8s.io/v1alpha2"
#define API_TIERS_V1 "policy.networking.k8s.io/v1alpha1"
#define MAX_FILE_SIZE (64u << 20)

struct loader {
	struct bh_policy_set *set;
	size_t cap;
	struct bh_loc *name_at;	/* parallel to set->v: where metadata.name is */
	size_t cnp_cap;
	struct bh_loc *cnp_name_at;	/* parallel to set->cnp */
	struct bh_diag *diag;
	int io_err;		/* first I/O error */
	struct bh_limits lim;
	size_t n_objects;	/* policy objects seen, valid or not */
	int oom_before;		/* diag->oom when loading started */
};

void bh_policy_set_free(struct bh_policy_set *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		bh__policy_deinit(&s->v[i]);
	free(s->v);
	for (size_t i = 0; i < s->n_cnp; i++)
		bh__cnp_deinit(&s->cnp[i]);
	free(s->cnp);
	for (size_t i = 0; i < s->n_files; i++)
		free(s->files[i]);
	free(s->files);
	free(s);
}

/* Counts a policy object of any kind; true when it is over the limit (reported once), not to be loaded. */
static bool over_limit(struct loader *l, struct bh_dctx *c, const struct bh_ynode *obj)
{
	if (l->n_objects++ == l->lim.policies) {
		bh__derr(c, obj, "more than %u policies, the limit (--limit-policies): this one and "
			 "those after it are not loaded", l->lim.policies);
		return true;
	}
	return l->n_objects > l->lim.policies;
}

static int add_policy(struct loader *l, struct bh_dctx *c, const struct bh_ynode *obj)
{
	struct bh_policy_set *s = l->set;
	size_t before = c->errors;
	struct bh_policy p = { 0 };
	struct bh_loc name_at;
	int err;

	if (over_limit(l, c, obj))
		return 0;
	err = bh__policy_decode(c, obj, &p, &name_at);
	if (err || c->errors != before || !p.name) {
		bh__policy_deinit(&p);
		return err;
	}
	if (s->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		struct bh_policy *v = realloc(s->v, cap * sizeof(*v));
		struct bh_loc *at;

		if (v)
			s->v = v;
		at = v ? realloc(l->name_at, cap * sizeof(*at)) : NULL;
		if (!at) {
			bh__policy_deinit(&p);
			return -ENOMEM;
		}
		l->name_at = at;
		l->cap = cap;
	}
	l->name_at[s->n] = name_at;
	s->v[s->n++] = p;
	return 0;
}

static int add_cnp(struct loader *l, struct bh_dctx *c, const struct bh_ynode *obj,
		   unsigned int api)
{
	struct bh_policy_set *s = l->set;
	size_t before = c->errors;
	struct bh_cnp p = { 0 };
	struct bh_loc name_at;
	int err;

	if (over_limit(l, c, obj))
		return 0;
	err = bh__cnp_decode(c, obj, api, &p, &name_at);
	if (err || c->errors != before || !p.name) {
		bh__cnp_deinit(&p);
		return err;
	}
	if (s->n_cnp == l->cnp_cap) {
		size_t cap = l->cnp_cap ? l->cnp_cap * 2 : 8;
		struct bh_cnp *v = realloc(s->cnp, cap * sizeof(*v));
		struct bh_loc *at;

		if (v)
			s->cnp = v;
		at = v ? realloc(l->cnp_name_at, cap * sizeof(*at)) : NULL;
		if (!at) {
			bh__cnp_deinit(&p);
			return -ENOMEM;
		}
		l->cnp_name_at = at;
		l->cnp_cap = cap;
	}
	l->cnp_name_at[s->n_cnp] = name_at;
	s->cnp[s->n_cnp++] = p;
	return 0;
}

/* What may appear where: top level, items of a List, items of a typed list. */
enum nesting {
	TOP,
	IN_LIST,
	IN_TYPED_LIST,
};

static int object_decode(struct loader *l, struct bh_dctx *c, const struct bh_ynode *obj,
			 enum nesting where, int item);

struct list_args {
	struct loader *l;
	enum nesting where;
	int item;		/* IN_TYPED_LIST: index into kinds[] of the items' kind */
};

static int list_item(struct bh_dctx *c, const struct bh_ynode *item, size_t idx, void *obj)
{
	struct list_args *a = obj;

	return object_decode(a->l, c, item, a->where, a->item);
}

static const struct bh_field list_fields[] = {
	{ "apiVersion", NULL, BH_F_IGNORE },	/* checked by object_decode */
	{ "kind", NULL, BH_F_IGNORE },
	{ "metadata", NULL, BH_F_IGNORE },
	{ "items", NULL, BH_F_IGNORE },		/* decoded below, after the unknown-field pass */
};

static int list_items(struct loader *l, struct bh_dctx *c, const struct bh_ynode *obj,
		      enum nesting where, int item)
{
	struct list_args args = { l, where, item };
	const struct bh_ynode *items;
	size_t old;
	int err;

	err = bh__decode_map(c, obj, list_fields, sizeof(list_fields) / sizeof(list_fields[0]), NULL,
			     NULL);
	items = bh_ynode_get(obj, "items");
	if (err || !items || bh_ynode_is_null(items))
		return err;
	old = bh__path_key(c, "items");
	err = bh__decode_seq(c, items, list_item, &args);
	bh__path_pop(c, old);
	return err;
}

static const struct {
	const char *kind;
	const char *api;
	bool list;
	int item;		/* typed lists: index of their items' kind; -1 for List */
	int cnp_api;		/* cluster-wide objects: enum bh_cnp_api; -1 otherwise */
} kinds[] = {
	{ "NetworkPolicy", API_NETWORKING, false, -1, -1 },
	{ "NetworkPolicyList", API_NETWORKING, true, 0, -1 },
	{ "ClusterNetworkPolicy", API_TIERS, false, -1, BH_CNP_V1ALPHA2 },
	{ "ClusterNetworkPolicyList", API_TIERS, true, 2, -1 },
	{ "AdminNetworkPolicy", API_TIERS_V1, false, -1, BH_ANP_V1ALPHA1 },
	{ "AdminNetworkPolicyList", API_TIERS_V1, true, 4, -1 },
	{ "BaselineAdminNetworkPolicy", API_TIERS_V1, false, -1, BH_BANP_V1ALPHA1 },
	{ "BaselineAdminNetworkPolicyList", API_TIERS_V1, true, 6, -1 },
	{ "List", "v1", true, -1, -1 },
};

#define OBJECT_KINDS "NetworkPolicy, ClusterNetworkPolicy, AdminNetworkPolicy or " \
	"BaselineAdminNetworkPolicy"

static int add_object(struct loader *l, struct bh_dctx *c, const struct bh_ynode *obj, size_t kind)
{
	if (kinds[kind].cnp_api < 0)
		return add_policy(l, c, obj);
	return add_cnp(l, c, obj, (unsigned int)kinds[kind].cnp_api);
}

static void kind_problem(struct bh_dctx *c, const struct bh_ynode *at, const char *key, const char *msg)
{
	size_t old = bh__path_key(c, key);

	bh__derr(c, at, "%s", msg);
	bh__path_pop(c, old);
}

static int object_decode(struct loader *l, struct bh_dctx *c, const struct bh_ynode *obj,
			 enum nesting where, int item)
{
	const struct bh_ynode *kn, *an;
	const char *kind, *api;
	size_t i;

	if (obj->kind != BH_Y_MAP) {
		bh__derr(c, obj, "expected a Kubernetes object (a mapping), got %s", bh_ynode_kind_name(obj));
		return 0;
	}
	kn = bh_ynode_get(obj, "kind");
	an = bh_ynode_get(obj, "apiVersion");
	if (kn && bh_ynode_is_null(kn))
		kn = NULL;
	if (an && bh_ynode_is_null(an))
		an = NULL;
	/* a typed list's items are of its kind: the type may be left out */
	if (where == IN_TYPED_LIST && !kn && !an)
		return add_object(l, c, obj, (size_t)item);
	if (!kn || !an) {
		kind_problem(c, obj, kn ? "apiVersion" : "kind", "required field is missing");
		return 0;
	}
	kind = kn->kind == BH_Y_SCALAR ? kn->str : NULL;
	api = an->kind == BH_Y_SCALAR ? an->str : NULL;
	if (!kind || !api) {
		size_t old = bh__path_key(c, kind ? "apiVersion" : "kind");

		bh__derr(c, kind ? an : kn, "expected a string, got %s", bh_ynode_kind_name(kind ? an : kn));
		bh__path_pop(c, old);
		return 0;
	}
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (!strcmp(kind, kinds[i].kind))
			break;
	if (i == sizeof(kinds) / sizeof(kinds[0]) || (where != TOP && kinds[i].list) ||
	    (where == IN_TYPED_LIST && (int)i != item)) {
		size_t old = bh__path_key(c, "kind");

		bh__derr(c, kn, "unsupported kind \"%s\" (expected %s)", kind,
			 where == TOP ? OBJECT_KINDS ", a list of them, or List" :
			 where == IN_LIST ? OBJECT_KINDS : kinds[item].kind);
		bh__path_pop(c, old);
		return 0;
	}
	if (strcmp(api, kinds[i].api)) {
		size_t old = bh__path_key(c, "apiVersion");

		bh__derr(c, an, "unsupported apiVersion \"%s\" for kind %s (expected \"%s\")", api, kind,
			 kinds[i].api);
		bh__path_pop(c, old);
		return 0;
	}
	if (kinds[i].list)
		return list_items(l, c, obj, kinds[i].item < 0 ? IN_LIST : IN_TYPED_LIST, kinds[i].item);
	return add_object(l, c, obj, i);
}

static int load_buf(struct loader *l, const char *name, const char *buf, size_t len)
{
	const char *file = bh__intern_file(&l->set->files, &l->set->n_files, name);
	struct bh_ystream ys;
	struct bh_dctx c;
	int err;

	if (!file)
		return -ENOMEM;
	size_t from = l->diag->n;

	err = bh_yaml_parse(file, buf, len, l->diag, &ys);
	if (err == -ENOMEM)
		goto out;
	bh__dctx_init(&c, l->diag, file);
	c.lim = &l->lim;
	err = 0;
	for (size_t i = 0; i < ys.n && !err; i++) {
		/* empty documents (a stray "---", a file of comments) are fine */
		if (bh_ynode_is_null(ys.docs[i]))
			continue;
		err = object_decode(l, &c, ys.docs[i], TOP, -1);
	}
	bh__diag_sort_from(l->diag, from);
out:
	bh_ystream_deinit(&ys);
	return err;
}

static void io_problem(struct loader *l, const char *path, const char *what, int err)
{
	struct bh_loc loc = { bh__intern_file(&l->set->files, &l->set->n_files, path), 0, 0 };

	if (loc.file)
		bh_diag_add(l->diag, &loc, "%s: %s", what, strerror(err));
	else
		bh_diag_add(l->diag, NULL, "%s: %s: %s", path, what, strerror(err));
	if (!l->io_err)
		l->io_err = -err;
}

/* Reads a whole file; 0 or -errno. */
int bh__read_file(const char *path, char **out, size_t *len)
{
	size_t cap = 0, n = 0;
	char *buf = NULL;
	FILE *f;
	int err = 0;

	f = fopen(path, "re");
	if (!f)
		return -errno;
	for (;;) {
		size_t got;

		if (n == cap) {
			char *nb;

			if (cap >= MAX_FILE_SIZE) {
				err = -EFBIG;
				break;
			}
			cap = cap ? cap * 2 : 65536;
			nb = realloc(buf, cap);
			if (!nb) {
				err = -ENOMEM;
				break;
			}
			buf = nb;
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0) {
			if (ferror(f))
				err = errno ? -errno : -EIO;
			break;
		}
	}
	fclose(f);
	if (err) {
		free(buf);
		return err;
	}
	*out = buf;
	*len = n;
	return 0;
}

/* `name` is what locations say: the path, or "<stdin>" for "-". */
static int load_file(struct loader *l, const char *path, const char *name)
{
	char *buf = NULL;
	size_t len = 0;
	int err;

	err = bh__read_file(path, &buf, &len);
	if (err == -ENOMEM)
		return err;
	if (err) {
		io_problem(l, name, "cannot read", -err);
		return 0;
	}
	err = load_buf(l, name, buf, len);
	free(buf);
	return err;
}

static bool yaml_name(const char *name)
{
	size_t n = strlen(name);

	if (name[0] == '.')
		return false;
	return (n > 5 && !strcmp(name + n - 5, ".yaml")) || (n > 4 && !strcmp(name + n - 4, ".yml"));
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every *.yaml / *.yml regular file in dir, sorted by name, not recursive. */
static int load_dir(struct loader *l, const char *dir)
{
	size_t n = 0, cap = 0, dlen = strlen(dir);
	char **names = NULL;
	struct dirent *de;
	int err = 0;
	DIR *d;

	d = opendir(dir);
	if (!d) {
		io_problem(l, dir, "cannot open directory", errno);
		return 0;
	}
	while ((de = readdir(d))) {
		struct stat st;
		char *full;

		if (!yaml_name(de->d_name))
			continue;
		if (asprintf(&full, "%s%s%s", dir, dlen && dir[dlen - 1] == '/' ? "" : "/", de->d_name) < 0) {
			err = -ENOMEM;
			break;
		}
		if (stat(full, &st) < 0 || !S_ISREG(st.st_mode)) {
			free(full);
			continue;
		}
		if (n == cap) {
			char **nv;

			cap = cap ? cap * 2 : 16;
			nv = realloc(names, cap * sizeof(*nv));
			if (!nv) {
				free(full);
				err = -ENOMEM;
				break;
			}
			names = nv;
		}
		names[n++] = full;
	}
	closedir(d);
	if (n > 1)
		qsort(names, n, sizeof(*names), str_cmp);
	for (size_t i = 0; i < n; i++) {
		if (!err)
			err = load_file(l, names[i], names[i]);
		free(names[i]);
	}
	free(names);
	return err;
}

static int load_path(struct loader *l, const char *path)
{
	struct stat st;

	if (!strcmp(path, "-"))
		return load_file(l, "/dev/stdin", "<stdin>");
	if (stat(path, &st) < 0) {
		io_problem(l, path, "cannot open", errno);
		return 0;
	}
	if (S_ISDIR(st.st_mode))
		return load_dir(l, path);
	return load_file(l, path, path);
}

static int policy_cmp(const void *a, const void *b)
{
	const struct bh_policy *x = a, *y = b;
	int c = strcmp(x->namespace, y->namespace);

	return c ? c : strcmp(x->name, y->name);
}

static int dup_cmp(const void *a, const void *b, void *arg)
{
	const struct bh_policy *v = arg;
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	int c = policy_cmp(&v[x], &v[y]);

	return c ? c : (x < y ? -1 : x > y);
}

/*
 * Two policies with one namespace/name: each later one is an error naming
 * the first. Indices sorted by (namespace, name, load order) put every
 * group together with its original first. 0 or -ENOMEM.
 */
static int check_duplicates(struct loader *l)
{
	struct bh_policy_set *s = l->set;
	size_t *idx, *orig_of, first = 0;

	if (s->n < 2)
		return 0;
	idx = malloc(s->n * sizeof(*idx));
	orig_of = malloc(s->n * sizeof(*orig_of));
	if (!idx || !orig_of) {
		free(idx);
		free(orig_of);
		return -ENOMEM;
	}
	for (size_t i = 0; i < s->n; i++) {
		idx[i] = i;
		orig_of[i] = i;
	}
	qsort_r(idx, s->n, sizeof(*idx), dup_cmp, s->v);
	for (size_t i = 1; i < s->n; i++) {
		if (policy_cmp(&s->v[idx[first]], &s->v[idx[i]]))
			first = i;
		else
			orig_of[idx[i]] = idx[first];
	}
	/* reported in load order, like every other problem */
	for (size_t i = 0; i < s->n; i++) {
		const struct bh_loc *orig = &l->name_at[orig_of[i]];

		if (orig_of[i] == i)
			continue;
		bh_diag_add(l->diag, &l->name_at[i],
			    "metadata.name: policy \"%s/%s\" is already defined at %s:%u:%u",
			    s->v[i].namespace, s->v[i].name, orig->file, orig->line, orig->col);
	}
	free(idx);
	free(orig_of);
	return 0;
}

static int finish(struct loader *l, size_t diag_before, int err, struct bh_policy_set **out)
{
	*out = NULL;
	if (!err)
		err = check_duplicates(l);
	if (!err)
		err = bh__cnp_finish(l->set, l->cnp_name_at, l->diag);
	free(l->name_at);
	free(l->cnp_name_at);
	/* a diagnostic that could not be recorded (a warning, say) is out of memory, not invalid */
	if (!err && l->diag->oom && !l->oom_before)
		err = -ENOMEM;
	if (!err && bh_diag_count(l->diag) != diag_before)
		err = l->io_err ? l->io_err : -EINVAL;
	if (err) {
		bh_policy_set_free(l->set);
		return err;
	}
	if (l->set->n > 1)
		qsort(l->set->v, l->set->n, sizeof(*l->set->v), policy_cmp);
	*out = l->set;
	return 0;
}

/* Starts a loader with lim, or the defaults when NULL. 0 or -ENOMEM. */
static int loader_init(struct loader *l, const struct bh_limits *lim, struct bh_diag *diag)
{
	memset(l, 0, sizeof(*l));
	l->diag = diag;
	l->oom_before = diag->oom;
	if (lim)
		l->lim = *lim;
	else
		bh_limits_default(&l->lim);
	l->set = calloc(1, sizeof(*l->set));
	return l->set ? 0 : -ENOMEM;
}

int bh_policy_set_load_limited(const char *const *paths, size_t n_paths,
			       const struct bh_limits *lim, struct bh_diag *diag,
			       struct bh_policy_set **out)
{
	size_t before = bh_diag_count(diag);
	struct loader l;
	int err = 0;

	*out = NULL;
	if (loader_init(&l, lim, diag))
		return -ENOMEM;
	for (size_t i = 0; i < n_paths && !err; i++)
		err = load_path(&l, paths[i]);
	return finish(&l, before, err, out);
}

int bh_policy_set_load_buf_limited(const char *name, const char *buf, size_t len,
				   const struct bh_limits *lim, struct bh_diag *diag,
				   struct bh_policy_set **out)
{
	size_t before = bh_diag_count(diag);
	struct loader l;
	int err;

	*out = NULL;
	if (loader_init(&l, lim, diag))
		return -ENOMEM;
	err = load_buf(&l, name, buf, len);
	return finish(&l, before, err, out);
}

int bh_policy_set_load(const char *const *paths, size_t n_paths,
		       struct bh_diag *diag, struct bh_policy_set **out)
{
	return bh_policy_set_load_limited(paths, n_paths, NULL, diag, out);
}

int bh_policy_set_load_buf(const char *name, const char *buf, size_t len,
			   struct bh_diag *diag, struct bh_policy_set **out)
{
	return bh_policy_set_load_buf_limited(name, buf, len, NULL, diag, out);
}
