/* demo.h - the demos of `procthread demo`: each shows one difference between
 * processes and threads, live, with values measured on the spot. */
#ifndef PT_CLI_DEMO_H
#define PT_CLI_DEMO_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

struct pt_demo_ctx {
	FILE *out;   /* where the human text goes */
	bool json;   /* fill *facts instead of printing text */
	bool colour; /* ANSI colour allowed on out */
};

/* A demo prints its text (or, with ctx->json, adds its facts to the
 * object) and returns 0, or prints why it failed to stderr and returns 1. */
typedef int pt_demo_fn(const struct pt_demo_ctx *ctx, json_t *facts);

struct pt_demo {
	const char *name;
	const char *summary;
	pt_demo_fn *run;
};

extern const struct pt_demo pt_demo_isolation;

/* Bold text when colour is allowed: "\033[1m" or "". */
const char *pt_demo_bold(const struct pt_demo_ctx *ctx);
const char *pt_demo_plain(const struct pt_demo_ctx *ctx);

#endif
