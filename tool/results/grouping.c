/* grouping.c - telling records apart by a key, in O(n log n).
 *
 * The report pairs and groups records many ways (a process record with its
 * thread twin, a peer with our figure, records of one chart, groups of
 * bars). Comparing every record with every other made `report` quadratic:
 * 9,200 records took 10 s, 36,800 over two minutes. Here each record gets
 * a key string that is equal exactly when the records agree on what is
 * compared, and records are grouped by sorting the keys.
 */
#include "results/results.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A parameter of a record, to be sorted by key. */
struct kept_param {
	const struct param *p;
};

static int cmp_param_key(const void *a, const void *b)
{
	const struct kept_param *x = a, *y = b;

	return strcmp(x->p->key, y->p->key);
}

/* Separators that a suite, name or parameter does not contain. */
#define FIELD_SEP '\x1f'
#define PARAM_SEP '\x1e'

char *record_key(const struct record *rec, unsigned fields, param_filter *keep,
		 const void *ctx)
{
	struct kept_param *sorted = NULL;
	size_t n = 0, len = 0;
	char *key = NULL;
	FILE *f;

	if (rec->n_params) {
		sorted = malloc(rec->n_params * sizeof(*sorted));
		if (!sorted)
			return NULL;
	}
	for (size_t i = 0; i < rec->n_params; i++)
		if (!keep || keep(&rec->params[i], ctx))
			sorted[n++].p = &rec->params[i];
	if (n > 1)
		qsort(sorted, n, sizeof(*sorted), cmp_param_key);
	f = open_memstream(&key, &len);
	if (!f) {
		free(sorted);
		return NULL;
	}
	fprintf(f, "%s%c%s%c", rec->suite, FIELD_SEP, rec->name, FIELD_SEP);
	if (fields & RESULTS_KEY_KIND)
		fprintf(f, "%s%c", rec->kind, FIELD_SEP);
	if (fields & RESULTS_KEY_PEER)
		fprintf(f, "%s%s%c", rec->peer ? "p:" : "-",
			rec->peer ? rec->peer : "", FIELD_SEP);
	if (fields & RESULTS_KEY_UNIT)
		fprintf(f, "%s%c", rec->unit, FIELD_SEP);
	for (size_t i = 0; i < n; i++) {
		const struct param *p = sorted[i].p;

		/* 64 and 64.0 are one value, as record_same_case() has
		 * it: numbers are written as the doubles they compare as. */
		if (p->type == PARAM_STR)
			fprintf(f, "%s=s:%s%c", p->key, p->str, PARAM_SEP);
		else
			fprintf(f, "%s=n:%.17g%c", p->key,
				p->type == PARAM_INT ? (double)p->i : p->real,
				PARAM_SEP);
	}
	free(sorted);
	if (fclose(f)) {
		free(key);
		return NULL;
	}
	return key;
}

struct keyed {
	const char *key;
	size_t i;
};

static int cmp_keyed(const void *a, const void *b)
{
	const struct keyed *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	return c ? c : (x->i > y->i) - (x->i < y->i);
}

int group_by_key(char *const *keys, size_t n, size_t *group_of,
		 size_t *n_groups)
{
	struct keyed *order = malloc((n ? n : 1) * sizeof(*order));
	size_t *leader = malloc((n ? n : 1) * sizeof(*leader));
	size_t groups = 0;

	if (!order || !leader) {
		free(order);
		free(leader);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++)
		order[i] = (struct keyed){ keys[i], i };
	qsort(order, n, sizeof(*order), cmp_keyed);
	/* Within a run of equal keys the first item comes first: it leads
	 * the group. */
	for (size_t k = 0; k < n; k++)
		leader[order[k].i] =
			k && !strcmp(order[k].key, order[k - 1].key)
				? leader[order[k - 1].i]
				: order[k].i;
	/* Numbered in the order of their first items: a leader is seen
	 * before any other item of its group. */
	for (size_t i = 0; i < n; i++)
		group_of[i] = leader[i] == i ? groups++ : group_of[leader[i]];
	free(order);
	free(leader);
	*n_groups = groups;
	return 0;
}

int group_records(const struct results *res, const size_t *recs, size_t n,
		  unsigned fields, param_filter *keep, const void *ctx,
		  size_t *group_of, size_t *n_groups)
{
	char **keys = calloc(n ? n : 1, sizeof(*keys));
	int err = keys ? 0 : -ENOMEM;

	for (size_t i = 0; i < n && !err; i++) {
		keys[i] = record_key(&res->records[recs ? recs[i] : i], fields,
				     keep, ctx);
		if (!keys[i])
			err = -ENOMEM;
	}
	if (!err)
		err = group_by_key(keys, n, group_of, n_groups);
	for (size_t i = 0; keys && i < n; i++)
		free(keys[i]);
	free(keys);
	return err;
}

int results_counterparts(const struct results *res, size_t *pair_of,
			 size_t *ours_of)
{
	size_t n = res->n_records, n_groups = 0;
	size_t *group_of = malloc((n ? n : 1) * sizeof(*group_of));
	size_t *first = NULL;
	int err;

	if (!group_of)
		return -ENOMEM;
	err = group_records(res, NULL, n, 0, NULL, NULL, group_of, &n_groups);
	/* Per group, 3 slots: our first thread, process and other record. */
	if (!err) {
		first = malloc((n_groups ? n_groups : 1) * 3 * sizeof(*first));
		if (!first)
			err = -ENOMEM;
	}
	if (err)
		goto out;
	for (size_t g = 0; g < 3 * n_groups; g++)
		first[g] = RESULTS_NO_RECORD;
	for (size_t i = 0; i < n; i++) {
		const struct record *r = &res->records[i];
		size_t slot =
			3 * group_of[i] + (!strcmp(r->kind, "thread")	 ? 0
					   : !strcmp(r->kind, "process") ? 1
									 : 2);

		if (!r->peer && first[slot] == RESULTS_NO_RECORD)
			first[slot] = i;
	}
	for (size_t i = 0; i < n; i++) {
		const struct record *r = &res->records[i];
		size_t g = 3 * group_of[i];
		size_t own = g + (!strcmp(r->kind, "thread")	? 0
				  : !strcmp(r->kind, "process") ? 1
								: 2);

		pair_of[i] = !r->peer && !strcmp(r->kind, "process")
				     ? first[g]
				     : RESULTS_NO_RECORD;
		/* Slot 2 mixes the other kinds: it must agree on kind. */
		ours_of[i] =
			r->peer && first[own] != RESULTS_NO_RECORD &&
					!strcmp(res->records[first[own]].kind,
						r->kind)
				? first[own]
				: RESULTS_NO_RECORD;
	}
out:
	free(first);
	free(group_of);
	return err;
}
