/* chart_keys.c - what the charts read from a record: its numbers and
 * strings, the parameters that name a series or say where a case ran, the
 * limits, and the labels and units of parameters; and the streams labels
 * are written to. The leaf under the chart files: charts.c, chart_build.c,
 * chart_bars.c and chart_marks.c all read records through it. */
#include "report/chart_build.h"

#include <stdlib.h>
#include <string.h>

FILE *chart_text_open(struct chart_text *text)
{
	text->buf = NULL;
	text->len = 0;
	return open_memstream(&text->buf, &text->len);
}

char *chart_text_close(struct chart_text *text, FILE *f)
{
	if (fclose(f)) {
		free(text->buf);
		return NULL;
	}
	return text->buf;
}

/* String parameters that tell series apart rather than charts. */
static const char *const series_keys[] = { "transport", "impl", "crash", "via",
					   NULL };
/* Parameters that say where a case ran, not what it measured. */
static const char *const ignored_keys[] = { "cpus", NULL };

size_t chart_list_index(const char *const *list, const char *key)
{
	size_t i;

	for (i = 0; list[i]; i++)
		if (!strcmp(list[i], key))
			return i;
	return i;
}

bool chart_in_list(const char *const *list, const char *key)
{
	return list[chart_list_index(list, key)] != NULL;
}

bool chart_is_series_key(const char *key)
{
	return chart_in_list(series_keys, key);
}

const char *chart_variant(const struct record *rec)
{
	for (size_t i = 0; series_keys[i]; i++) {
		const char *v = chart_str(rec, series_keys[i]);

		if (v)
			return v;
	}
	return NULL;
}

bool chart_is_ignored_key(const char *key)
{
	return chart_in_list(ignored_keys, key);
}

double chart_num(const struct param *p)
{
	return p->type == PARAM_INT ? (double)p->i : p->real;
}

const char *chart_str(const struct record *rec, const char *key)
{
	const struct param *p = record_param(rec, key);

	return p && p->type == PARAM_STR ? p->str : NULL;
}

int chart_kind_colour(const char *kind)
{
	return !strcmp(kind, "thread")	  ? SVG_THREAD
	       : !strcmp(kind, "process") ? SVG_PROCESS
					  : SVG_OTHER;
}

bool chart_is_limit(const struct record *rec)
{
	const char *t = chart_str(rec, "transport");

	return (t && !strncmp(t, "limit-", 6)) ||
	       !strncmp(rec->name, "limit", 5);
}

/* A string parameter that splits charts (not a series name, not where the
 * case ran). */
bool chart_is_facet(const struct param *p)
{
	return p->type == PARAM_STR && !chart_is_series_key(p->key) &&
	       !chart_is_ignored_key(p->key);
}

static size_t count_facets(const struct record *r)
{
	size_t n = 0;

	for (size_t i = 0; i < r->n_params; i++)
		n += chart_is_facet(&r->params[i]);
	return n;
}

bool chart_facets_agree(const struct record *a, const struct record *b,
			bool b_may_lack)
{
	for (size_t i = 0; i < a->n_params; i++) {
		const struct param *p = &a->params[i];
		const char *other;

		if (!chart_is_facet(p))
			continue;
		/* A limit bounds every placement, and a value of "none"
		 * says the parameter does not apply to it (memcpy does not
		 * wait). */
		if (b_may_lack &&
		    (!strcmp(p->key, "placement") || !strcmp(p->str, "none")))
			continue;
		other = chart_str(b, p->key);
		if (!other ? !b_may_lack : strcmp(other, p->str) != 0)
			return false;
	}
	return b_may_lack || count_facets(a) == count_facets(b);
}

static const struct {
	const char *suite; /* NULL: any */
	const char *key, *label, *unit;
} param_names[] = {
	{ "ipc", "size", "message size", "bytes" },
	{ "pool", "size", "payload size", "bytes" },
	{ NULL, "size", "size", "bytes" },
	{ NULL, "touched", "parent's touched memory", "bytes" },
	{ NULL, "working_set", "working set per turn", "bytes" },
	{ NULL, "stack", "stack size", "bytes" },
	{ NULL, "task_ns", "task length", "ns" },
	{ NULL, "workers", "workers", "" },
	{ NULL, "units", "units", "" },
	{ NULL, "in_flight", "in flight", "" },
};
#define N_PARAM_NAMES (sizeof(param_names) / sizeof(param_names[0]))

const char *param_label(const char *suite, const char *key)
{
	for (size_t i = 0; i < N_PARAM_NAMES; i++)
		if (!strcmp(param_names[i].key, key) &&
		    (!param_names[i].suite ||
		     (suite && !strcmp(param_names[i].suite, suite))))
			return param_names[i].label;
	return key;
}

const char *param_unit(const char *key)
{
	size_t n = strlen(key);

	for (size_t i = 0; i < N_PARAM_NAMES; i++)
		if (!strcmp(param_names[i].key, key))
			return param_names[i].unit;
	if (n > 3 && !strcmp(key + n - 3, "_ns"))
		return "ns";
	if (n > 6 && !strcmp(key + n - 6, "_bytes"))
		return "bytes";
	return "";
}
