/* shm.h - what ticket.c needs of the PT_CHAN_SHM transport: its region,
 * and a handle built around a region another process created. */
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

#endif
