/* cpu.h - a spinning loop's pause between two looks at shared memory, and
 * when it gives its CPU away (spin.c). */
#ifndef PT_UTIL_CPU_H
#define PT_UTIL_CPU_H

#include <stdbool.h>
#include <stdint.h>

/* A spin offers its CPU (pt__spin_yield()) once every
 * PT__SPIN_TRIES_PER_YIELD tries. The first offer comes only after a spin
 * has gone unanswered longer than a task's round trip between two busy
 * CPUs (64 tries were too few on the 2-vCPU VM measured): an offer is a
 * system call. */
#define PT__SPIN_TRIES_PER_YIELD 128

/* Tells the CPU this is a spin-wait: on x86 PAUSE, which keeps a pause-less
 * loop's exit from flushing the pipeline and leaves a sibling hyper-thread
 * the core; on arm64 YIELD. */
static inline void pt__cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield");
#endif
}

/* Offers the calling thread's CPU to another task queued on it. A spin
 * that ends in a sleep (ends_in_sleep) skips the offer while offers have
 * lately cost this thread a time slice; one that never sleeps always
 * makes it (spin.c says why). */
void pt__spin_yield(bool ends_in_sleep);

/* The pause before a spin's try number tries (0 for the first): a
 * pt__cpu_relax(), and a pt__spin_yield() when one is due. */
static inline void pt__spin_pause(uint64_t tries, bool ends_in_sleep)
{
	if (tries && tries % PT__SPIN_TRIES_PER_YIELD == 0)
		pt__spin_yield(ends_in_sleep);
	pt__cpu_relax();
}

#endif
