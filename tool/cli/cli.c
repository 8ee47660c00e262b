/* cli.c - what every command shares: the dry-run switch of the fuzz
 * target, strict number parsing and the colour rule. */
#include "cli/cli.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

bool cli_dry_run;

bool cli_parse_long(const char *text, long min, long max, long *out)
{
	char *end;
	long v;

	if (!text || !*text)
		return false;
	errno = 0;
	v = strtol(text, &end, 10);
	if (errno || *end || v < min || v > max)
		return false;
	*out = v;
	return true;
}

bool cli_parse_seconds(const char *text, double max, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(text, &end);
	if (end == text || errno || !isfinite(v))
		return false;
	if (!strcmp(end, "ms"))
		v /= 1000;
	else if (*end && strcmp(end, "s") != 0)
		return false;
	if (v < 0 || v > max)
		return false;
	*out = v;
	return true;
}

bool cli_parse_bytes(const char *text, uint64_t max, uint64_t *out)
{
	static const struct {
		const char *suffix;
		uint64_t scale;
	} units[] = { { "", 1 },	{ "K", 1024 },	    { "KiB", 1024 },
		      { "M", 1 << 20 }, { "MiB", 1 << 20 }, { "B", 1 } };
	unsigned long long v;
	char *end;

	if (!text || *text < '0' || *text > '9')
		return false;
	errno = 0;
	v = strtoull(text, &end, 10);
	if (errno)
		return false;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(end, units[i].suffix) != 0)
			continue;
		if (v > max / units[i].scale)
			return false;
		*out = v * units[i].scale;
		return true;
	}
	return false;
}

bool cli_use_colour(int fd)
{
	const char *no = getenv("NO_COLOR");

	return isatty(fd) && !(no && *no);
}
