/* summary.h - the top of the report: for this machine, what processes cost
 * over threads, claim by claim (creation, memory, switching, communication,
 * failure), each in one sentence and one number, taken from the records of
 * the run. A claim whose suite is not in the run says so. */
#ifndef TOOL_REPORT_SUMMARY_H
#define TOOL_REPORT_SUMMARY_H

#include "results/results.h"
#include "term/term.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define SUMMARY_NONE ((size_t)-1)

struct claim {
	const char *claim; /* "creation", "memory", ... (static) */
	char *sentence;	   /* plain text; NULL when not measured */
	char *number;	   /* the one number: "10.8x" */
	size_t process;	   /* the records the number comes from, or */
	size_t thread;	   /* SUMMARY_NONE */
	bool noisy;	   /* either record's interval is wide */
	const char *suite; /* the suite that measures it (static) */
	/* The number as a ratio (NAN for a claim that is two counts) and
	 * its 95% interval: the ratio of the medians' interval ends that
	 * lie farthest apart, so it holds at least 95% for each. */
	double ratio, low, high;
	const char *verdict; /* "processes dearer", "processes cheaper",
			      * "no clear difference" (static) */
};

struct summary {
	struct claim *claims;
	size_t n;
};

/* Works out the claims of results. Returns 0 and fills *out (free it with
 * summary_free()), or -ENOMEM. */
int summary_build(const struct results *results, struct summary *out);
void summary_free(struct summary *summary);

/* "[12.0× … 37.1×]": the claim's 95% interval. Returns buf. */
const char *claim_interval(const struct claim *claim, char *buf, size_t len);

/* The Summary block `procthread bench` ends with: one line per claim with
 * its ratio, interval and verdict, laid out for term (NULL: plain). */
void summary_print(const struct summary *summary, const struct term *term,
		   FILE *out);

#endif
