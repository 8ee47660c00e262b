/* clock.c - deadline arithmetic shared by everything that waits. */
#include "util/clock.h"

int pt__ms_until(uint64_t deadline_ns)
{
	uint64_t now;
	uint64_t left_ms;

	if (deadline_ns == 0)
		return -1;
	now = pt__now_ns();
	if (now >= deadline_ns)
		return 0;
	/* Round up, so a wait never ends just before its deadline. */
	left_ms = (deadline_ns - now + 999999u) / 1000000u;
	return left_ms > 0x7fffffff ? 0x7fffffff : (int)left_ms;
}

uint64_t pt__deadline_min(uint64_t a, uint64_t b)
{
	if (a == 0)
		return b;
	if (b == 0)
		return a;
	return a < b ? a : b;
}

uint64_t pt__deadline_after_ms(int timeout_ms)
{
	if (timeout_ms < 0)
		return 0;
	return pt__now_ns() + (uint64_t)timeout_ms * 1000000u;
}
