/* ring_support.c - making the channels the ring's tests run. */
#include "ring_support.h"

#include "support/test.h"

#include <check.h>

pt_chan *ring_make(enum pt_chan_transport t, enum pt_kind kind, size_t max_msg,
		   uint32_t capacity, unsigned flags)
{
	struct pt_chan_opts opts =
		PT_CHAN_OPTS(.transport = t, .kind = kind,
			     .max_msg_bytes = max_msg, .capacity = capacity,
			     .flags = flags);
	pt_chan *chan = NULL;
	int rc = pt_chan_create(&opts, &chan);

	ck_assert_msg(rc == 0, "create %s: %s", pt_chan_transport_name(t),
		      pt_strerror(rc));
	return chan;
}
