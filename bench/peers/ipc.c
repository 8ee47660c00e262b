/* ipc.c - the ipc suite's peers: ZeroMQ (zmq.c) over its sockets, and
 * Eclipse iceoryx (iceoryx.c) over its shared memory, each beside our
 * channels in the same run. */
#include "bench/peers/peers.h"

int pt_bench_ipc_peers(struct pt_bench_ctx *ctx)
{
	int rc = pt_peer_zeromq(ctx);

	return pt_peer_iceoryx(ctx) ? -1 : rc;
}
