/* csv.c - one CSV row per record (RFC 4180 quoting), for spreadsheets.
 * Parameters share one column as "key=value;key=value". */
#include "results/io.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static void field(FILE *out, const char *s, bool last)
{
	if (s && strpbrk(s, ",\"\n\r")) {
		fputc('"', out);
		for (; *s; s++) {
			if (*s == '"')
				fputc('"', out);
			fputc(*s, out);
		}
		fputc('"', out);
	} else if (s) {
		fputs(s, out);
	}
	fputc(last ? '\n' : ',', out);
}

static void number(FILE *out, double v, bool last)
{
	fprintf(out, "%.17g%c", v, last ? '\n' : ',');
}

int results_write_csv(const struct results *results, FILE *out)
{
	fputs("suite,name,kind,peer,params,unit,samples,min,median,p90,p99,"
	      "max,mean,stddev,ci_low,ci_high,outliers,batch\n",
	      out);
	for (size_t i = 0; i < results->n_records; i++) {
		const struct record *r = &results->records[i];
		const struct stats *s = &r->stats;
		char params[1024] = "";
		size_t used = 0;

		for (size_t k = 0; k < r->n_params && used < sizeof(params);
		     k++) {
			char value[256];

			param_format(&r->params[k], value, sizeof(value));
			used += (size_t)snprintf(
				params + used, sizeof(params) - used, "%s%s=%s",
				k ? ";" : "", r->params[k].key, value);
		}
		field(out, r->suite, false);
		field(out, r->name, false);
		field(out, r->kind, false);
		field(out, r->peer ? r->peer : "", false);
		field(out, params, false);
		field(out, r->unit, false);
		fprintf(out, "%zu,", s->samples);
		number(out, s->min, false);
		number(out, s->median, false);
		number(out, s->p90, false);
		number(out, s->p99, false);
		number(out, s->max, false);
		number(out, s->mean, false);
		number(out, s->stddev, false);
		number(out, s->ci_low, false);
		number(out, s->ci_high, false);
		fprintf(out, "%zu,%llu\n", s->outliers,
			(unsigned long long)r->batch);
	}
	fflush(out);
	return ferror(out) ? -EIO : 0;
}
