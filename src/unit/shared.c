/* shared.c - the calling thread's unit and the layout of the block it
 * shares with its parent (shared.h). A leaf of the unit subsystem: the
 * front end and both backends use it, so neither backend calls back into
 * unit.c. */
#include "unit/shared.h"

_Thread_local struct pt__unit_shared *pt__unit_self;

size_t pt__unit_shared_bytes(size_t result_capacity)
{
	return sizeof(struct pt__unit_shared) + result_capacity;
}

size_t pt__unit_arg_offset(size_t result_capacity)
{
	/* malloc()'s alignment and more: the bytes may hold any type. */
	return (pt__unit_shared_bytes(result_capacity) + 63) & ~(size_t)63;
}
