/* parse_task.c - a task for `procthread try` with a bug in it: it parses
 * "key=value" lines, as a configuration or a log parser would, and
 * trusts every line to hold an '='. A hostile input - one line without
 * one - makes it read through a null pointer, and it crashes.
 *
 * examples/try/records/ holds eight inputs; one of them is hostile.
 *
 *   procthread try build/examples/try/parse_task.so:parse_task \
 *           --args examples/try/records
 *
 * Its result is the number of pairs and the total length of the values,
 * as text. The bug is on purpose: it is what the process pool isolates.
 */
#include <procthread/pool.h>

#include <stdio.h>
#include <string.h>

int parse_task(const void *arg, size_t len, struct pt_task_out *out);

int parse_task(const void *arg, size_t len, struct pt_task_out *out)
{
	char line[256];
	const char *p = arg, *end = p + len;
	unsigned long pairs = 0, value_bytes = 0;
	int n;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n_line = (size_t)((nl ? nl : end) - p);
		const char *value;

		if (n_line >= sizeof(line))
			return 1; /* a line too long: refused, not a crash */
		memcpy(line, p, n_line);
		line[n_line] = '\0';
		p += n_line + 1;
		if (!line[0] || line[0] == '#')
			continue;
		/* The bug: no check that strchr() found an '='. */
		value = strchr(line, '=') + 1;
		value_bytes += strlen(value);
		pairs++;
	}
	n = snprintf(out->data, out->cap, "%lu pairs, %lu value bytes\n", pairs,
		     value_bytes);
	if (n < 0 || (size_t)n >= out->cap)
		return 2;
	out->len = (size_t)n;
	return 0;
}
