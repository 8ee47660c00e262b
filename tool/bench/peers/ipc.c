/* ipc.c - the ipc suite's peers: ZeroMQ (zmq.c) over its sockets, and
 * Eclipse iceoryx (iceoryx.c) over its shared memory, each beside our
 * channels in the same run. */
#include "bench/peers/peers.h"

int bench_ipc_peers(struct bench_ctx *ctx)
{
	int rc = peer_zeromq(ctx);

	return peer_iceoryx(ctx) ? -1 : rc;
}
