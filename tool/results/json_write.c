/* json_write.c - the results as a procthread-results/2 document
 * (docs/results-schema.md), built with jansson. Objects keep the order the
 * schema lists their fields in, which makes files easy to read and diff. */
#include "results/io.h"

#include <procthread/error.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* JSON has no NaN or infinity; the engine never records one, and should
 * one slip through, null makes the reader reject the file loudly. */
static json_t *real(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

static json_t *str(const char *s)
{
	return json_string(s ? s : "unknown");
}

static json_t *strv(char *const *list, size_t n)
{
	json_t *arr = json_array();

	for (size_t i = 0; arr && i < n; i++)
		json_array_append_new(arr, json_string(list[i]));
	return arr;
}

static json_t *triple(const double v[3])
{
	return json_pack("[ooo]", real(v[0]), real(v[1]), real(v[2]));
}

static json_t *machine_json(const struct results_machine *m)
{
	return json_pack(
		"{s:o, s:o, s:o, s:I, s:I, s:I, s:b, s:o, s:o, s:o, s:o, "
		"s:o, s:b, s:o, s:o}",
		"kernel", str(m->kernel), "arch", str(m->arch), "cpu_model",
		str(m->cpu_model), "cpus_online", (json_int_t)m->cpus_online,
		"cpus_allowed", (json_int_t)m->cpus_allowed, "memory_bytes",
		(json_int_t)m->memory_bytes, "virtualised", m->virtualised,
		"hypervisor", str(m->hypervisor), "clocksource",
		str(m->clocksource), "thp", str(m->thp), "loadavg_start",
		triple(m->loadavg_start), "loadavg_end", triple(m->loadavg_end),
		"busy", m->busy, "clock_cost_ns", real(m->clock_cost_ns),
		"clock_resolution_ns", real(m->clock_resolution_ns));
}

static json_t *config_json(const struct results_config *c)
{
	return json_pack("{s:o, s:o, s:[ii], s:I, s:I, s:o, s:o, s:b, s:o}",
			 "profile", str(c->profile), "pin", str(c->pin), "cpus",
			 c->cpus[0], c->cpus[1], "runs", (json_int_t)c->runs,
			 "rounds", (json_int_t)c->rounds, "min_time_s",
			 real(c->min_time_s), "warmup_s", real(c->warmup_s),
			 "peers", c->peers, "suites",
			 strv(c->suites, c->n_suites));
}

static json_t *params_json(const struct record *r)
{
	json_t *obj = json_object();

	for (size_t i = 0; obj && i < r->n_params; i++) {
		const struct param *p = &r->params[i];
		json_t *v = p->type == PARAM_STR   ? json_string(p->str)
			    : p->type == PARAM_INT ? json_integer(p->i)
						   : real(p->real);

		json_object_set_new(obj, p->key, v);
	}
	return obj;
}

static json_t *raw_json(const struct record *r)
{
	json_t *arr = json_array();

	for (size_t i = 0; arr && i < r->n_raw; i++)
		json_array_append_new(arr, real(r->raw[i]));
	return arr;
}

static json_t *record_json(const struct record *r)
{
	const struct stats *s = &r->stats;
	json_t *obj = json_pack(
		"{s:s, s:s, s:s, s:o, s:s, s:I, s:o, s:o, s:o, s:o, s:o, "
		"s:o, s:o, s:o, s:o, s:I, s:I}",
		"suite", r->suite, "name", r->name, "kind", r->kind, "params",
		params_json(r), "unit", r->unit, "samples",
		(json_int_t)s->samples, "min", real(s->min), "median",
		real(s->median), "p90", real(s->p90), "p99", real(s->p99),
		"max", real(s->max), "mean", real(s->mean), "stddev",
		real(s->stddev), "ci_low", real(s->ci_low), "ci_high",
		real(s->ci_high), "outliers", (json_int_t)s->outliers, "batch",
		(json_int_t)r->batch);

	if (obj && r->peer)
		json_object_set_new(obj, "peer", json_string(r->peer));
	if (obj && r->better != RECORD_BETTER_BY_UNIT)
		json_object_set_new(
			obj, "better",
			json_string(r->better == RECORD_BETTER_HIGHER
					    ? "higher"
					    : "lower"));
	if (obj && s->p1 > 0)
		json_object_set_new(obj, "p1", real(s->p1));
	if (obj && r->n_raw)
		json_object_set_new(obj, "raw", raw_json(r));
	if (obj && r->cpu.measured)
		json_object_set_new(
			obj, "cpu",
			json_pack("{s:o, s:o, s:o, s:o}", "user_ns",
				  real(r->cpu.user_ns), "sys_ns",
				  real(r->cpu.sys_ns), "voluntary_csw",
				  real(r->cpu.voluntary_csw), "involuntary_csw",
				  real(r->cpu.involuntary_csw)));
	return obj;
}

json_t *results_to_json(const struct results *results)
{
	json_t *list = json_array();
	json_t *root;

	for (size_t i = 0; list && i < results->n_records; i++)
		if (json_array_append_new(list,
					  record_json(&results->records[i]))) {
			json_decref(list);
			return NULL;
		}
	root = json_pack(
		"{s:s, s:{s:o, s:o, s:o}, s:o, s:o, s:o, s:o, s:o, "
		"s:o}",
		"schema", RESULTS_SCHEMA, "tool", "name",
		str(results->tool_name), "version", str(results->tool_version),
		"build", str(results->tool_build), "machine",
		machine_json(&results->machine), "config",
		config_json(&results->config), "started_at",
		str(results->started_at), "finished_at",
		str(results->finished_at), "notes",
		strv(results->notes, results->n_notes), "results", list);
	return root;
}

int results_write_json(const struct results *results, const char *path,
		       char *err, size_t err_len)
{
	json_t *root = results_to_json(results);
	size_t flags = JSON_INDENT(2) | JSON_REAL_PRECISION(17);
	int rc;

	if (!root) {
		snprintf(err, err_len, "out of memory building the JSON");
		return -ENOMEM;
	}
	if (!strcmp(path, "-")) {
		rc = json_dumpf(root, stdout, flags) ? -EIO : 0;
		fputc('\n', stdout);
		fflush(stdout);
	} else {
		errno = 0;
		rc = json_dump_file(root, path, flags) ? (errno ? -errno : -EIO)
						       : 0;
	}
	if (rc)
		snprintf(err, err_len, "cannot write %s: %s", path,
			 pt_strerror(-rc));
	json_decref(root);
	return rc;
}
