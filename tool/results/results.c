/* results.c - building, comparing and freeing struct results. */
#include "results/results.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *results_strdup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

void results_init(struct results *results)
{
	memset(results, 0, sizeof(*results));
	results->config.cpus[0] = -1;
	results->config.cpus[1] = -1;
	results->config.rounds = 1; /* a run is one round unless it says */
}

static void strv_free(char **list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(list[i]);
	free(list);
}

void record_clear(struct record *rec)
{
	free(rec->suite);
	free(rec->name);
	free(rec->kind);
	free(rec->unit);
	free(rec->peer);
	for (size_t i = 0; rec->params && i < rec->n_params; i++) {
		free(rec->params[i].key);
		free(rec->params[i].str);
	}
	free(rec->params);
	free(rec->raw);
	memset(rec, 0, sizeof(*rec));
}

static void machine_free(struct results_machine *m)
{
	free(m->kernel);
	free(m->arch);
	free(m->cpu_model);
	free(m->hypervisor);
	free(m->clocksource);
	free(m->thp);
}

void results_free(struct results *results)
{
	if (!results)
		return;
	free(results->tool_name);
	free(results->tool_version);
	free(results->tool_build);
	free(results->started_at);
	free(results->finished_at);
	machine_free(&results->machine);
	free(results->config.profile);
	free(results->config.pin);
	strv_free(results->config.suites, results->config.n_suites);
	strv_free(results->notes, results->n_notes);
	for (size_t i = 0; i < results->n_records; i++)
		record_clear(&results->records[i]);
	free(results->records);
	results_init(results);
}

int results_strv_push(char ***list, size_t *n, const char *s)
{
	char **grown = realloc(*list, (*n + 1) * sizeof(**list));
	char *copy = strdup(s);

	if (grown)
		*list = grown;
	if (!grown || !copy) {
		free(copy);
		return -ENOMEM;
	}
	grown[(*n)++] = copy;
	return 0;
}

static int param_copy(struct param *dst, const struct param *src)
{
	*dst = *src;
	dst->key = strdup(src->key);
	dst->str = src->type == PARAM_STR ? strdup(src->str) : NULL;
	if (!dst->key || (src->type == PARAM_STR && !dst->str)) {
		free(dst->key);
		free(dst->str);
		return -ENOMEM;
	}
	return 0;
}

static int record_copy(struct record *dst, const struct record *src)
{
	memset(dst, 0, sizeof(*dst));
	dst->stats = src->stats;
	dst->batch = src->batch;
	dst->cpu = src->cpu;
	dst->better = src->better;
	if (src->n_raw) {
		dst->raw = malloc(src->n_raw * sizeof(*dst->raw));
		if (!dst->raw)
			return -ENOMEM;
		memcpy(dst->raw, src->raw, src->n_raw * sizeof(*dst->raw));
		dst->n_raw = src->n_raw;
	}
	dst->suite = strdup(src->suite);
	dst->name = strdup(src->name);
	dst->kind = strdup(src->kind);
	dst->unit = strdup(src->unit);
	dst->peer = results_strdup_or_null(src->peer);
	if (!dst->suite || !dst->name || !dst->kind || !dst->unit ||
	    (src->peer && !dst->peer))
		goto err_free;
	if (src->n_params) {
		dst->params = calloc(src->n_params, sizeof(*dst->params));
		if (!dst->params)
			goto err_free;
	}
	for (size_t i = 0; i < src->n_params; i++) {
		if (param_copy(&dst->params[i], &src->params[i]))
			goto err_free;
		dst->n_params++;
	}
	return 0;

err_free:
	record_clear(dst);
	return -ENOMEM;
}

int results_add(struct results *results, const struct record *rec)
{
	if (results->n_records == results->cap_records) {
		size_t cap =
			results->cap_records ? 2 * results->cap_records : 64;
		struct record *grown =
			realloc(results->records, cap * sizeof(*grown));

		if (!grown)
			return -ENOMEM;
		results->records = grown;
		results->cap_records = cap;
	}
	if (record_copy(&results->records[results->n_records], rec))
		return -ENOMEM;
	results->n_records++;
	return 0;
}

int results_note(struct results *results, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return results_strv_push(&results->notes, &results->n_notes, buf);
}

const struct param *record_param(const struct record *rec, const char *key)
{
	for (size_t i = 0; i < rec->n_params; i++)
		if (!strcmp(rec->params[i].key, key))
			return &rec->params[i];
	return NULL;
}

static bool param_equal(const struct param *a, const struct param *b)
{
	/* 64 and 64.0 are the same value, whichever way a file spelt it. */
	if (a->type == PARAM_STR || b->type == PARAM_STR)
		return a->type == b->type && !strcmp(a->str, b->str);
	double x = a->type == PARAM_INT ? (double)a->i : a->real;
	double y = b->type == PARAM_INT ? (double)b->i : b->real;
	return x == y;
}

static bool str_equal(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return !strcmp(a, b);
}

bool record_same_case(const struct record *a, const struct record *b,
		      bool ignore_kind, bool ignore_peer)
{
	if (strcmp(a->suite, b->suite) != 0 || strcmp(a->name, b->name) != 0)
		return false;
	if (!ignore_kind && strcmp(a->kind, b->kind) != 0)
		return false;
	if (!ignore_peer && !str_equal(a->peer, b->peer))
		return false;
	if (a->n_params != b->n_params)
		return false;
	/* Keys are unique within a record, so equal counts and every key of
	 * a found in b with the same value means the same set. */
	for (size_t i = 0; i < a->n_params; i++) {
		const struct param *other = record_param(b, a->params[i].key);

		if (!other || !param_equal(&a->params[i], other))
			return false;
	}
	return true;
}

int param_format(const struct param *param, char *buf, size_t len)
{
	switch (param->type) {
	case PARAM_INT:
		return snprintf(buf, len, "%lld", param->i);
	case PARAM_REAL:
		return snprintf(buf, len, "%g", param->real);
	case PARAM_STR:
		return snprintf(buf, len, "%s", param->str);
	}
	return snprintf(buf, len, "?");
}
