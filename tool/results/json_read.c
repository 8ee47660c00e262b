/* json_read.c - reading a results file back, and saying exactly what is
 * wrong with one that is not valid.
 *
 * The reader checks what docs/results-schema.md promises: the schema
 * string (version 2, or version 1, which lacks raw and cpu), the required
 * objects and fields with their JSON types, the
 * values a field may take (kind), and that each record's statistics are
 * ordered (min <= median <= max, ci_low <= ci_high). Unknown fields are
 * allowed, so a newer writer of the same schema version can add some. The
 * first problem found is reported as "where: what", where is a path such as
 * results[3].median.
 *
 * A record's figures must also be plausible (check_values()): finite; not
 * negative for a time or a rate (a memory delta may be); no larger than
 * 1e15 ns (11 days per operation) or 1e18 in any unit; not subnormal, and
 * no time below a picosecond but 0. A file that breaks these was edited or
 * corrupted, and drawing it would put "-nan" into the charts.
 */
#include "results/io.h"

#include <procthread/error.h>

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct reader {
	char *err;
	size_t len;
};

static int fail(struct reader *rd, const char *where, const char *key,
		const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int fail(struct reader *rd, const char *where, const char *key,
		const char *fmt, ...)
{
	/* A problem of the whole document has no field to name. */
	int n = snprintf(rd->err, rd->len, "%s%s%s%s", where,
			 *where && *key ? "." : "", key,
			 *where || *key ? ": " : "");
	va_list ap;

	if (n >= 0 && (size_t)n < rd->len) {
		va_start(ap, fmt);
		vsnprintf(rd->err + n, rd->len - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static const char *type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
		return "an integer";
	case JSON_REAL:
		return "a number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	case JSON_NULL:
		break;
	}
	return "null";
}

/* Looks key up; a missing required field is an error, a missing optional
 * one sets *v to NULL. */
static int field(struct reader *rd, const json_t *obj, const char *where,
		 const char *key, bool required, json_t **v)
{
	*v = json_object_get(obj, key);
	if (!*v && required)
		return fail(rd, where, key, "missing");
	return 0;
}

static int get_string(struct reader *rd, const json_t *obj, const char *where,
		      const char *key, bool required, char **out)
{
	json_t *v;
	int rc = field(rd, obj, where, key, required, &v);

	if (rc || !v)
		return rc;
	if (!json_is_string(v))
		return fail(rd, where, key, "expected a string, found %s",
			    type_name(v));
	*out = strdup(json_string_value(v));
	return *out ? 0 : -ENOMEM;
}

static int get_number(struct reader *rd, const json_t *obj, const char *where,
		      const char *key, bool required, double *out)
{
	json_t *v;
	int rc = field(rd, obj, where, key, required, &v);

	if (rc || !v)
		return rc;
	if (!json_is_number(v))
		return fail(rd, where, key, "expected a number, found %s",
			    type_name(v));
	*out = json_number_value(v);
	return 0;
}

static int get_int(struct reader *rd, const json_t *obj, const char *where,
		   const char *key, bool required, long long min,
		   long long *out)
{
	json_t *v;
	int rc = field(rd, obj, where, key, required, &v);

	if (rc || !v)
		return rc;
	if (!json_is_integer(v))
		return fail(rd, where, key, "expected an integer, found %s",
			    type_name(v));
	*out = json_integer_value(v);
	if (*out < min)
		return fail(rd, where, key, "%lld is below %lld", *out, min);
	return 0;
}

static int get_bool(struct reader *rd, const json_t *obj, const char *where,
		    const char *key, bool *out)
{
	json_t *v;
	int rc = field(rd, obj, where, key, false, &v);

	if (rc || !v)
		return rc;
	if (!json_is_boolean(v))
		return fail(rd, where, key, "expected a boolean, found %s",
			    type_name(v));
	*out = json_is_true(v);
	return 0;
}

static int get_triple(struct reader *rd, const json_t *obj, const char *where,
		      const char *key, double out[3])
{
	json_t *v;
	int rc = field(rd, obj, where, key, false, &v);

	if (rc || !v)
		return rc;
	if (!json_is_array(v) || json_array_size(v) != 3)
		return fail(rd, where, key, "expected an array of 3 numbers");
	for (size_t i = 0; i < 3; i++) {
		if (!json_is_number(json_array_get(v, i)))
			return fail(rd, where, key,
				    "expected an array of 3 numbers");
		out[i] = json_number_value(json_array_get(v, i));
	}
	return 0;
}

static int get_strv(struct reader *rd, const json_t *obj, const char *where,
		    const char *key, char ***list, size_t *n)
{
	json_t *v, *item;
	size_t i;
	int rc = field(rd, obj, where, key, false, &v);

	if (rc || !v)
		return rc;
	if (!json_is_array(v))
		return fail(rd, where, key, "expected an array of strings");
	json_array_foreach(v, i, item)
	{
		if (!json_is_string(item))
			return fail(rd, where, key,
				    "item %zu: expected a string", i);
		if (results_strv_push(list, n, json_string_value(item)))
			return -ENOMEM;
	}
	return 0;
}

static int read_machine(struct reader *rd, const json_t *m,
			struct results_machine *out)
{
	const char *w = "machine";
	long long online = 0, allowed = 0, mem = 0;
	int rc;

	rc = get_string(rd, m, w, "kernel", true, &out->kernel);
	rc = rc ? rc : get_string(rd, m, w, "arch", false, &out->arch);
	rc = rc ? rc : get_string(rd, m, w, "cpu_model", true, &out->cpu_model);
	rc = rc ? rc : get_int(rd, m, w, "cpus_online", true, 1, &online);
	rc = rc ? rc : get_int(rd, m, w, "cpus_allowed", false, 0, &allowed);
	rc = rc ? rc : get_int(rd, m, w, "memory_bytes", false, 0, &mem);
	rc = rc ? rc : get_bool(rd, m, w, "virtualised", &out->virtualised);
	rc = rc ? rc
		: get_string(rd, m, w, "hypervisor", false, &out->hypervisor);
	rc = rc ? rc
		: get_string(rd, m, w, "clocksource", false, &out->clocksource);
	rc = rc ? rc : get_string(rd, m, w, "thp", false, &out->thp);
	rc = rc ? rc
		: get_triple(rd, m, w, "loadavg_start", out->loadavg_start);
	rc = rc ? rc : get_triple(rd, m, w, "loadavg_end", out->loadavg_end);
	rc = rc ? rc : get_bool(rd, m, w, "busy", &out->busy);
	rc = rc ? rc
		: get_number(rd, m, w, "clock_cost_ns", false,
			     &out->clock_cost_ns);
	rc = rc ? rc
		: get_number(rd, m, w, "clock_resolution_ns", false,
			     &out->clock_resolution_ns);
	out->cpus_online = (long)online;
	out->cpus_allowed = (long)allowed;
	out->memory_bytes = (uint64_t)mem;
	return rc;
}

static int read_config(struct reader *rd, const json_t *c,
		       struct results_config *out)
{
	const char *w = "config";
	long long runs = 0, rounds = 1;
	json_t *cpus;
	int rc;

	rc = get_string(rd, c, w, "profile", true, &out->profile);
	rc = rc ? rc : get_string(rd, c, w, "pin", false, &out->pin);
	rc = rc ? rc : get_int(rd, c, w, "runs", false, 0, &runs);
	rc = rc ? rc : get_int(rd, c, w, "rounds", false, 1, &rounds);
	rc = rc ? rc
		: get_number(rd, c, w, "min_time_s", false, &out->min_time_s);
	rc = rc ? rc : get_number(rd, c, w, "warmup_s", false, &out->warmup_s);
	rc = rc ? rc : get_bool(rd, c, w, "peers", &out->peers);
	rc = rc ? rc
		: get_strv(rd, c, w, "suites", &out->suites, &out->n_suites);
	if (rc)
		return rc;
	out->runs = (unsigned)runs;
	out->rounds = (unsigned)rounds;
	cpus = json_object_get(c, "cpus");
	if (!cpus)
		return 0;
	if (!json_is_array(cpus) || json_array_size(cpus) != 2 ||
	    !json_is_integer(json_array_get(cpus, 0)) ||
	    !json_is_integer(json_array_get(cpus, 1)))
		return fail(rd, w, "cpus", "expected an array of 2 integers");
	out->cpus[0] = (int)json_integer_value(json_array_get(cpus, 0));
	out->cpus[1] = (int)json_integer_value(json_array_get(cpus, 1));
	return 0;
}

static int read_params(struct reader *rd, const json_t *obj, const char *where,
		       struct record *rec)
{
	const char *key;
	json_t *params, *v;
	int rc = field(rd, obj, where, "params", true, &params);

	if (rc)
		return rc;
	if (!json_is_object(params))
		return fail(rd, where, "params", "expected an object, found %s",
			    type_name(params));
	rec->params =
		calloc(json_object_size(params) + 1, sizeof(*rec->params));
	if (!rec->params)
		return -ENOMEM;
	json_object_foreach((json_t *)params, key, v)
	{
		struct param *p = &rec->params[rec->n_params];

		if (json_is_string(v)) {
			p->type = PARAM_STR;
			p->str = strdup(json_string_value(v));
			if (!p->str)
				return -ENOMEM;
		} else if (json_is_integer(v)) {
			p->type = PARAM_INT;
			p->i = json_integer_value(v);
		} else if (json_is_real(v)) {
			p->type = PARAM_REAL;
			p->real = json_real_value(v);
		} else {
			char sub[64];

			snprintf(sub, sizeof(sub), "%s.params", where);
			free(p->str);
			return fail(rd, sub, key,
				    "expected a string or a number, found %s",
				    type_name(v));
		}
		p->key = strdup(key);
		rec->n_params++;
		if (!p->key)
			return -ENOMEM;
	}
	return 0;
}

static int read_stats(struct reader *rd, const json_t *obj, const char *where,
		      struct stats *s)
{
	static const char *const keys[] = { "min",    "median", "p90",
					    "p99",    "max",	"mean",
					    "stddev", "ci_low", "ci_high" };
	double *dst[] = { &s->min,  &s->median, &s->p90,    &s->p99,	&s->max,
			  &s->mean, &s->stddev, &s->ci_low, &s->ci_high };
	long long samples = 0, outliers = 0;
	int rc = get_int(rd, obj, where, "samples", true, 1, &samples);

	for (size_t i = 0; !rc && i < sizeof(keys) / sizeof(keys[0]); i++)
		rc = get_number(rd, obj, where, keys[i], true, dst[i]);
	rc = rc ? rc : get_int(rd, obj, where, "outliers", false, 0, &outliers);
	rc = rc ? rc : get_number(rd, obj, where, "p1", false, &s->p1);
	if (rc)
		return rc;
	s->samples = (size_t)samples;
	s->outliers = (size_t)outliers;
	if (!(s->min <= s->median && s->median <= s->max))
		return fail(rd, where, "median", "not between min and max");
	if (!(s->ci_low <= s->ci_high))
		return fail(rd, where, "ci_low", "above ci_high");
	return 0;
}

#define MAX_TIME_NS   1e15 /* 11.6 days for one operation */
#define MAX_ANY_VALUE 1e18
#define MIN_TIME_NS   1e-3 /* a picosecond: no operation is that quick */

static bool unit_is_time(const char *unit)
{
	return !strcmp(unit, "ns");
}

static bool unit_is_rate(const char *unit)
{
	size_t n = strlen(unit);

	return n > 2 && !strcmp(unit + n - 2, "/s");
}

#define TINY_OK	       1u /* a spread or one sample: may be below 1 ps */
#define NEVER_NEGATIVE 2u /* a spread, a count: whatever the unit */

/* Why v is not a plausible value in unit, or NULL. */
static const char *implausible(double v, const char *unit, unsigned flags)
{
	bool time = unit_is_time(unit);

	if (!isfinite(v))
		return "is not a finite number";
	if (v < 0 && ((flags & NEVER_NEGATIVE) || time || unit_is_rate(unit)))
		return (flags & NEVER_NEGATIVE) ? "is negative"
		       : time			? "is a negative time"
						: "is a negative rate";
	if (fabs(v) > (time ? MAX_TIME_NS : MAX_ANY_VALUE))
		return time ? "is absurd (above 1e15 ns, 11 days)"
			    : "is absurd (above 1e18)";
	if (v != 0 && fpclassify(v) == FP_SUBNORMAL)
		return "is absurd (a subnormal number)";
	if (time && !(flags & TINY_OK) && v != 0 && fabs(v) < MIN_TIME_NS)
		return "is absurd (below a picosecond)";
	return NULL;
}

/* The figures of a record read so far; the message names the field and
 * the case, so the user can find it in the file. */
static int check_values(struct reader *rd, const char *where,
			const struct record *rec)
{
	const struct stats *s = &rec->stats;
	static const char *const keys[] = { "min",    "median", "p90",
					    "p99",    "max",	"mean",
					    "stddev", "ci_low", "ci_high" };
	const double v[] = { s->min,  s->median, s->p90,    s->p99,    s->max,
			     s->mean, s->stddev, s->ci_low, s->ci_high };

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const char *why = implausible(v[i], rec->unit,
					      !strcmp(keys[i], "stddev")
						      ? TINY_OK | NEVER_NEGATIVE
						      : 0);

		if (why)
			return fail(rd, where, keys[i],
				    "%g %s %s, in case %s %s (%s)", v[i],
				    rec->unit, why, rec->suite, rec->name,
				    rec->kind);
	}
	return 0;
}

/* raw (schema 2, optional): one plausible number per sample. */
static int read_raw(struct reader *rd, const json_t *obj, const char *where,
		    struct record *rec)
{
	json_t *raw, *item;
	size_t i;
	int rc = field(rd, obj, where, "raw", false, &raw);

	if (rc || !raw)
		return rc;
	if (!json_is_array(raw))
		return fail(rd, where, "raw", "expected an array, found %s",
			    type_name(raw));
	if (json_array_size(raw) != rec->stats.samples)
		return fail(rd, where, "raw",
			    "%zu values for %zu samples, in case %s %s (%s)",
			    json_array_size(raw), rec->stats.samples,
			    rec->suite, rec->name, rec->kind);
	rec->raw = malloc((rec->stats.samples ? rec->stats.samples : 1) *
			  sizeof(*rec->raw));
	if (!rec->raw)
		return -ENOMEM;
	json_array_foreach(raw, i, item)
	{
		const char *why;

		if (!json_is_number(item))
			return fail(rd, where, "raw",
				    "item %zu: expected a number, found %s", i,
				    type_name(item));
		rec->raw[i] = json_number_value(item);
		why = implausible(rec->raw[i], rec->unit, TINY_OK);
		if (why)
			return fail(rd, where, "raw",
				    "item %zu: %g %s %s, in case %s %s (%s)", i,
				    rec->raw[i], rec->unit, why, rec->suite,
				    rec->name, rec->kind);
		rec->n_raw++;
	}
	return 0;
}

/* cpu (schema 2, optional): per-operation figures, none negative. */
static int read_cpu(struct reader *rd, const json_t *obj, const char *where,
		    struct record *rec)
{
	static const char *const keys[] = { "user_ns", "sys_ns",
					    "voluntary_csw",
					    "involuntary_csw" };
	double *dst[] = { &rec->cpu.user_ns, &rec->cpu.sys_ns,
			  &rec->cpu.voluntary_csw, &rec->cpu.involuntary_csw };
	char sub[48];
	json_t *cpu;
	int rc = field(rd, obj, where, "cpu", false, &cpu);

	if (rc || !cpu)
		return rc;
	if (!json_is_object(cpu))
		return fail(rd, where, "cpu", "expected an object, found %s",
			    type_name(cpu));
	snprintf(sub, sizeof(sub), "%s.cpu", where);
	for (size_t i = 0; i < 4; i++) {
		const char *why;

		rc = get_number(rd, cpu, sub, keys[i], true, dst[i]);
		if (rc)
			return rc;
		why = implausible(*dst[i], "ns", TINY_OK | NEVER_NEGATIVE);
		if (why)
			return fail(rd, sub, keys[i], "%g %s", *dst[i], why);
	}
	rec->cpu.measured = true;
	return 0;
}

/* "better": "higher" or "lower", when the case said which way its figure
 * is better; absent, the unit says. */
static int read_better(struct reader *rd, const json_t *obj, const char *where,
		       struct record *rec)
{
	json_t *v;
	int rc = field(rd, obj, where, "better", false, &v);

	if (rc || !v)
		return rc;
	if (json_is_string(v) && !strcmp(json_string_value(v), "higher"))
		rec->better = RECORD_BETTER_HIGHER;
	else if (json_is_string(v) && !strcmp(json_string_value(v), "lower"))
		rec->better = RECORD_BETTER_LOWER;
	else
		return fail(rd, where, "better",
			    "expected \"higher\" or "
			    "\"lower\"");
	return 0;
}

static int read_record(struct reader *rd, const json_t *obj, size_t index,
		       struct record *rec)
{
	char where[32];
	long long batch = 0;
	int rc = 0;

	snprintf(where, sizeof(where), "results[%zu]", index);
	if (!json_is_object(obj))
		return fail(rd, where, "", "expected an object, found %s",
			    type_name(obj));
	rc = rc ? rc : get_string(rd, obj, where, "suite", true, &rec->suite);
	rc = rc ? rc : get_string(rd, obj, where, "name", true, &rec->name);
	rc = rc ? rc : get_string(rd, obj, where, "kind", true, &rec->kind);
	if (!rc && rec->kind && strcmp(rec->kind, "thread") != 0 &&
	    strcmp(rec->kind, "process") != 0 && strcmp(rec->kind, "none") != 0)
		return fail(rd, where, "kind",
			    "'%s' is not thread, process or none", rec->kind);
	rc = rc ? rc : read_params(rd, obj, where, rec);
	rc = rc ? rc : get_string(rd, obj, where, "unit", true, &rec->unit);
	rc = rc ? rc : read_stats(rd, obj, where, &rec->stats);
	rc = rc ? rc : check_values(rd, where, rec);
	rc = rc ? rc : get_int(rd, obj, where, "batch", false, 0, &batch);
	rc = rc ? rc : get_string(rd, obj, where, "peer", false, &rec->peer);
	rc = rc ? rc : read_raw(rd, obj, where, rec);
	rc = rc ? rc : read_cpu(rd, obj, where, rec);
	rc = rc ? rc : read_better(rd, obj, where, rec);
	rec->batch = (uint64_t)batch;
	return rc;
}

static int read_records(struct reader *rd, const json_t *root,
			struct results *out)
{
	json_t *results, *item;
	size_t i;
	int rc = field(rd, root, "", "results", true, &results);

	if (rc)
		return rc;
	if (!json_is_array(results))
		return fail(rd, "", "results", "expected an array, found %s",
			    type_name(results));
	json_array_foreach(results, i, item)
	{
		struct record rec = { 0 };

		rc = read_record(rd, item, i, &rec);
		if (!rc)
			rc = results_add(out, &rec);
		record_clear(&rec);
		if (rc)
			return rc;
	}
	return 0;
}

int results_from_json(const json_t *root, struct results *out, char *err,
		      size_t err_len)
{
	struct reader rd = { .err = err, .len = err_len };
	json_t *schema, *tool, *machine, *config;
	int rc;

	results_init(out);
	if (!json_is_object(root))
		return fail(&rd, "", "",
			    "not a procthread results file (the "
			    "top level is not an object)");
	schema = json_object_get(root, "schema");
	if (!json_is_string(schema))
		return fail(&rd, "", "",
			    "not a procthread results file (no "
			    "'schema' string)");
	if (strcmp(json_string_value(schema), RESULTS_SCHEMA) != 0 &&
	    strcmp(json_string_value(schema), RESULTS_SCHEMA_V1) != 0)
		return fail(&rd, "", "schema",
			    "'%s' is not supported (this procthread reads %s "
			    "and %s)",
			    json_string_value(schema), RESULTS_SCHEMA,
			    RESULTS_SCHEMA_V1);
	rc = field(&rd, root, "", "tool", true, &tool);
	if (!rc && !json_is_object(tool))
		rc = fail(&rd, "", "tool", "expected an object");
	rc = rc ? rc
		: get_string(&rd, tool, "tool", "name", true, &out->tool_name);
	rc = rc ? rc
		: get_string(&rd, tool, "tool", "version", true,
			     &out->tool_version);
	rc = rc ? rc
		: get_string(&rd, tool, "tool", "build", false,
			     &out->tool_build);
	rc = rc ? rc
		: get_string(&rd, root, "", "started_at", true,
			     &out->started_at);
	rc = rc ? rc
		: get_string(&rd, root, "", "finished_at", false,
			     &out->finished_at);
	rc = rc ? rc : field(&rd, root, "", "machine", true, &machine);
	if (!rc && !json_is_object(machine))
		rc = fail(&rd, "", "machine", "expected an object");
	rc = rc ? rc : read_machine(&rd, machine, &out->machine);
	rc = rc ? rc : field(&rd, root, "", "config", true, &config);
	if (!rc && !json_is_object(config))
		rc = fail(&rd, "", "config", "expected an object");
	rc = rc ? rc : read_config(&rd, config, &out->config);
	rc = rc ? rc
		: get_strv(&rd, root, "", "notes", &out->notes, &out->n_notes);
	rc = rc ? rc : read_records(&rd, root, out);
	if (rc == -ENOMEM)
		snprintf(err, err_len, "out of memory");
	return rc;
}

int results_read_file(const char *path, struct results *out, char *err,
		      size_t err_len)
{
	json_error_t jerr;
	char why[384];
	json_t *root;
	int rc;

	results_init(out);
	root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		if (json_error_code(&jerr) == json_error_cannot_open_file) {
			rc = errno ? -errno : -ENOENT;
			snprintf(err, err_len, "%s: cannot read: %s", path,
				 pt_strerror(-rc));
			return rc;
		}
		snprintf(err, err_len,
			 "%s: not valid JSON (line %d, column "
			 "%d: %s)",
			 path, jerr.line, jerr.column, jerr.text);
		return -EINVAL;
	}
	rc = results_from_json(root, out, why, sizeof(why));
	json_decref(root);
	if (rc)
		snprintf(err, err_len, "%s: %s", path, why);
	return rc;
}
