/* ticket.c - handing a channel to a process that did not inherit it.
 *
 * The usual way to share a channel is fork(): the child has the handle, the
 * mapping and the descriptors. A unit forked by the fork-server has none of
 * them - it is a copy of the program from before the channel was made - so
 * it receives a ticket (the geometry as plain bytes, and the number of the
 * region's memfd, passed along at that number) and builds its own handle.
 * Nothing in the ticket or the memory is trusted: the memfd must carry the
 * seals pt_region_create() puts on it, its size must match, and the ring's
 * header must agree with the geometry, which is then kept privately.
 */
#include "chan/chan_internal.h"
#include "chan/shm.h"
#include "region/region_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TICKET_MAGIC 0x74656b6369746e70ull /* "ptnticket" */

int pt_chan_make_ticket(const pt_chan *chan, struct pt_chan_ticket *ticket)
{
	const pt_region *region;

	if (!chan || !ticket)
		return -EINVAL;
	if (chan->opts.transport != PT_CHAN_SHM || !chan->shared)
		return -ENOTSUP;
	region = pt__chan_shm_region(chan);
	memset(ticket, 0, sizeof(*ticket));
	ticket->magic = TICKET_MAGIC;
	ticket->transport = PT_CHAN_SHM;
	ticket->max_msg_bytes = chan->opts.max_msg_bytes;
	ticket->spin_ns = chan->opts.spin_ns;
	ticket->capacity = chan->opts.capacity;
	ticket->flags = chan->opts.flags;
	ticket->fd = pt_region_fd(region);
	ticket->region_bytes = pt_region_len(region);
	return 0;
}

int pt_chan_from_ticket(const struct pt_chan_ticket *ticket, pt_chan **out)
{
	pt_region *region;
	pt_chan *chan;
	int fd;
	int rc;

	if (!ticket || !out)
		return -EINVAL;
	if (ticket->magic != TICKET_MAGIC || ticket->transport != PT_CHAN_SHM ||
	    (ticket->flags & ~PT_CHAN_MPMC) || ticket->max_msg_bytes == 0 ||
	    ticket->max_msg_bytes > PT_CHAN_MSG_MAX || ticket->fd < 0 ||
	    ticket->region_bytes > PT_REGION_MAX)
		return -EBADMSG;
	fd = fcntl(ticket->fd, F_DUPFD_CLOEXEC, 3);
	if (fd < 0)
		return -errno;
	rc = pt__region_adopt_fd(fd, (size_t)ticket->region_bytes, &region);
	if (rc)
		return rc;
	chan = calloc(1, sizeof(*chan));
	if (!chan) {
		pt_region_destroy(region);
		return -ENOMEM;
	}
	chan->ops = &pt__chan_shm_ops;
	chan->opts =
		PT_CHAN_OPTS(.transport = PT_CHAN_SHM, .kind = PT_KIND_PROCESS,
			     .max_msg_bytes = ticket->max_msg_bytes,
			     .capacity = ticket->capacity,
			     .flags = ticket->flags,
			     .spin_ns = ticket->spin_ns);
	chan->shared = true;
	rc = pt__chan_shm_adopt(chan, region);
	if (rc) {
		free(chan);
		return rc;
	}
	*out = chan;
	return 0;
}
