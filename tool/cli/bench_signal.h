/* bench_signal.h - what Ctrl-C and SIGTERM do during `procthread bench`
 * and `procthread try` (cli/bench_signal.c says how and why): every
 * process the run started is killed, no output or temporary file is
 * left, one line says what was interrupted, and the exit status is
 * 130 (SIGINT) or 143 (SIGTERM). */
#ifndef TOOL_CLI_BENCH_SIGNAL_H
#define TOOL_CLI_BENCH_SIGNAL_H

#include <stdbool.h>

/* Installs the handlers for command cmd ("bench", "try": the message
 * names it); progress: a progress line is on stderr. The message says
 * where bench_position (bench/engine/engine.h) says the run is. */
void cli_bench_signals_install(const char *cmd, bool progress);

/* The run is over and the outputs are being written. */
void cli_bench_signals_writing(void);

/* The default dispositions again. */
void cli_bench_signals_restore(void);

#endif
