/* sample.h - the made-up run the report tests start their results from. */
#ifndef PT_TEST_REPORT_SAMPLE_H
#define PT_TEST_REPORT_SAMPLE_H

#include "results/results.h"

/* results_init(res), then the header of a run of procthread 0.1.0 on a
 * 2-CPU "Test CPU" with kernel 6.1.0, profile quick, started_at as given. */
void sample_run_header(struct results *res, const char *started_at);

#endif
