/* format.c - numbers as people read them: scaled units, short byte counts,
 * and the noise flag the table and compare share. */
#include "report/report.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* Three significant digits, without an exponent. */
static void three_digits(double v, const char *prefix, const char *unit,
			 char *buf, size_t len)
{
	double a = fabs(v);
	int decimals = a < 10 ? 2 : a < 100 ? 1 : 0;

	snprintf(buf, len, "%.*f %s%s", decimals, v, prefix, unit);
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && !strcmp(s + a - b, suffix);
}

const char *format_value(double value, const char *unit, char *buf, size_t len)
{
	double a = fabs(value);

	if (!isfinite(value)) {
		snprintf(buf, len, "-");
	} else if (!strcmp(unit, "ns")) {
		if (a < 1e3)
			three_digits(value, "", "ns", buf, len);
		else if (a < 1e6)
			three_digits(value / 1e3, "", "us", buf, len);
		else if (a < 1e9)
			three_digits(value / 1e6, "", "ms", buf, len);
		else
			three_digits(value / 1e9, "", "s", buf, len);
	} else if (!strcmp(unit, "bytes")) {
		static const char *const units[] = { "B", "KiB", "MiB", "GiB",
						     "TiB" };
		int i = 0;

		while (a >= 1024 && i < 4) {
			a /= 1024;
			value /= 1024;
			i++;
		}
		if (i == 0)
			snprintf(buf, len, "%.0f B", value);
		else
			three_digits(value, "", units[i], buf, len);
	} else if (ends_with(unit, "/s")) {
		if (a < 1e3)
			three_digits(value, "", unit, buf, len);
		else if (a < 1e6)
			three_digits(value / 1e3, "k", unit, buf, len);
		else if (a < 1e9)
			three_digits(value / 1e6, "M", unit, buf, len);
		else
			three_digits(value / 1e9, "G", unit, buf, len);
	} else {
		snprintf(buf, len, "%.3g %s", value, unit);
	}
	return buf;
}

static bool is_bytes_key(const char *key)
{
	static const char *const keys[] = { "size", "stack", "touched",
					    "working_set" };

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (!strcmp(key, keys[i]))
			return true;
	return ends_with(key, "_bytes");
}

const char *format_param(const struct param *param, char *buf, size_t len)
{
	static const char *const suffix[] = { "", "K", "M", "G", "T" };
	long long v = param->i;
	int i = 0;

	if (param->type != PARAM_INT || !is_bytes_key(param->key) || v <= 0) {
		param_format(param, buf, len);
		return buf;
	}
	while (v % 1024 == 0 && i < 4) {
		v /= 1024;
		i++;
	}
	snprintf(buf, len, "%lld%s", v, suffix[i]);
	return buf;
}

bool record_noisy(const struct record *rec)
{
	const struct stats *s = &rec->stats;
	double half = fmax(s->median - s->ci_low, s->ci_high - s->median);
	double m = fabs(s->median);

	/* Only the interval: a skewed distribution (fork's slow tail) is
	 * not noise, and drift between rounds already widens the interval
	 * (bench/engine/rounds.c). */
	if (m == 0)
		return half > 0;
	return half / m > REPORT_NOISY_SHARE;
}
