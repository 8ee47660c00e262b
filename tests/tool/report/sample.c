/* sample.c - see sample.h. */
#include "sample.h"

#include <stdlib.h>
#include <string.h>

void sample_run_header(struct results *res, const char *started_at)
{
	results_init(res);
	res->tool_name = strdup("procthread");
	res->tool_version = strdup("0.1.0");
	res->started_at = strdup(started_at);
	res->machine.kernel = strdup("6.1.0");
	res->machine.cpu_model = strdup("Test CPU");
	res->machine.cpus_online = 2;
	res->config.profile = strdup("quick");
}
