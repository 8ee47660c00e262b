/* units.c - tick labels and the direction of units. Ticks fall on round
 * values, so they print with as few digits as the value needs, scaled the
 * way the tables scale: times by 1000 from ns, sizes by 1024 from bytes,
 * rates by 1000. */
#include "report/units.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

struct scale {
	double factor;
	const char *suffix;
};

static const struct scale time_scale[] = {
	{ 1e9, "s" }, { 1e6, "ms" }, { 1e3, "us" }, { 1, "ns" }, { 0, NULL },
};

static const struct scale byte_scale[] = {
	{ 1099511627776.0, "TiB" },
	{ 1073741824.0, "GiB" },
	{ 1048576.0, "MiB" },
	{ 1024.0, "KiB" },
	{ 1, "B" },
	{ 0, NULL },
};

static const struct scale rate_scale[] = {
	{ 1e9, "G" }, { 1e6, "M" }, { 1e3, "k" }, { 1, "" }, { 0, NULL },
};

static bool ends_with(const char *s, const char *end)
{
	size_t n = strlen(s), m = strlen(end);

	return n >= m && !strcmp(s + n - m, end);
}

bool report_unit_higher_is_better(const char *unit)
{
	return unit && ends_with(unit, "/s");
}

bool report_higher_is_better(const struct record *rec)
{
	if (rec->better != RECORD_BETTER_BY_UNIT)
		return rec->better == RECORD_BETTER_HIGHER;
	return report_unit_higher_is_better(rec->unit);
}

bool report_unit_is_bytes(const char *unit)
{
	return unit && (!strcmp(unit, "bytes") || !strcmp(unit, "B"));
}

/* The largest step the value reaches; 0 and tiny values use the last
 * (unscaled) one. */
static const struct scale *pick(const struct scale *table, double v)
{
	size_t i = 0;

	while (table[i + 1].suffix && fabs(v) < table[i].factor)
		i++;
	return &table[i];
}

/* Up to three significant digits, no trailing zeros: 1.5, 12, 125. */
static void digits(double v, char *buf, size_t len)
{
	double a = fabs(v);
	int prec = a >= 100 ? 0 : a >= 10 ? 1 : 2;
	char *dot;

	snprintf(buf, len, "%.*f", prec, v);
	dot = strchr(buf, '.');
	if (dot) {
		char *end = buf + strlen(buf) - 1;

		while (end > dot && *end == '0')
			*end-- = '\0';
		if (end == dot)
			*end = '\0';
	}
}

char *fmt_tick(double v, const char *unit, char *buf, size_t len)
{
	const struct scale *s;
	char num[32];

	if (!unit)
		unit = "";
	if (!isfinite(v)) {
		snprintf(buf, len, "-");
	} else if (!strcmp(unit, "ns")) {
		s = pick(time_scale, v);
		digits(v / s->factor, num, sizeof(num));
		snprintf(buf, len, "%s %s", num, s->suffix);
	} else if (report_unit_is_bytes(unit)) {
		s = pick(byte_scale, v);
		digits(v / s->factor, num, sizeof(num));
		snprintf(buf, len, "%s %s", num, s->suffix);
	} else if (ends_with(unit, "/s")) {
		/* The axis label names the unit; ticks keep the prefix. */
		s = pick(rate_scale, v);
		digits(v / s->factor, num, sizeof(num));
		snprintf(buf, len, "%s%s%s/s", num, *s->suffix ? " " : "",
			 s->suffix);
	} else {
		digits(v, num, sizeof(num));
		snprintf(buf, len, "%s", num);
	}
	return buf;
}
