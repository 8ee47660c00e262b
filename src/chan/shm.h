/* shm.h - what ticket.c needs of the PT_CHAN_SHM transport: its region,
 * and a handle built around a region another process created; and what a
 * pool's process workers need: rings kept out of later forks. */
#ifndef PT_CHAN_SHM_H
#define PT_CHAN_SHM_H

#include <procthread/chan.h>
#include <procthread/region.h>

/* The region of a PT_CHAN_SHM channel. */
const pt_region *pt__chan_shm_region(const pt_chan *chan);

/* Fills chan->impl with a view of the ring in region, whose geometry is in
 * chan->opts. Takes region (destroyed on failure). Returns 0, -EBADMSG
 * when the region does not hold such a ring, or -ENOMEM. */
int pt__chan_shm_adopt(pt_chan *chan, pt_region *region);

/* Keeps chan's ring out of every process forked from now on
 * (MADV_DONTFORK), for a ring whose other side attaches by a ticket: a
 * child forked directly would otherwise hold a second mapping of it that
 * it never uses, and each one more for fork() to copy - a pool of n
 * workers forked from its own process gave the last one the rings of all
 * n. Returns 0, or -EINVAL when chan is not PT_CHAN_SHM. */
int pt__chan_shm_dontfork(pt_chan *chan);

#endif
