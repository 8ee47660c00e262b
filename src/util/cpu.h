/* cpu.h - a spinning loop's pause between two looks at shared memory. */
#ifndef PT_UTIL_CPU_H
#define PT_UTIL_CPU_H

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

#endif
