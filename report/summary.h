/* summary.h - the top of the report: for this machine, what processes cost
 * over threads, claim by claim (creation, memory, switching, communication,
 * failure), each in one sentence and one number, taken from the records of
 * the run. A claim whose suite is not in the run says so. */
#ifndef PT_REPORT_SUMMARY_H
#define PT_REPORT_SUMMARY_H

#include "report/results.h"
#include "report/term.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define PT_SUMMARY_NONE ((size_t)-1)

struct pt_claim {
	const char *claim; /* "creation", "memory", ... (static) */
	char *sentence;	   /* plain text; NULL when not measured */
	char *number;	   /* the one number: "10.8x" */
	size_t process;	   /* the records the number comes from, or */
	size_t thread;	   /* PT_SUMMARY_NONE */
	bool noisy;	   /* either record's interval is wide */
	const char *suite; /* the suite that measures it (static) */
	/* The number as a ratio (NAN for a claim that is two counts) and
	 * its 95% interval: the ratio of the medians' interval ends that
	 * lie farthest apart, so it holds at least 95% for each. */
	double ratio, low, high;
	const char *verdict; /* "processes dearer", "processes cheaper",
			      * "no clear difference" (static) */
};

struct pt_summary {
	struct pt_claim *claims;
	size_t n;
};

/* Works out the claims of results. Returns 0 and fills *out (free it with
 * pt_summary_free()), or -ENOMEM. */
int pt_summary_build(const struct pt_results *results, struct pt_summary *out);
void pt_summary_free(struct pt_summary *summary);

/* "[12.0× … 37.1×]": the claim's 95% interval. Returns buf. */
const char *pt_claim_interval(const struct pt_claim *claim, char *buf,
			      size_t len);

/* The Summary block `procthread bench` ends with: one line per claim with
 * its ratio, interval and verdict, laid out for term (NULL: plain). */
void pt_summary_print(const struct pt_summary *summary,
		      const struct pt_term *term, FILE *out);

#endif
