/* peer_iceoryx.c - Eclipse iceoryx beside the ipc suite: the round trip
 * of a SIZE-byte message between two processes, publisher/subscriber over
 * iceoryx's shared memory (C binding, v2), as `procthread bench ipc`
 * measures its ring.
 *
 *   pt-peer-iceoryx SIZE busy|waitset ROUND_TRIPS [CPU_A CPU_B]
 *
 * With CPU_A and CPU_B, side A runs on the first CPU and side B on the
 * second, as the suite's cross-CPU cases do.
 *
 * It starts its own RouDi (iceoryx's broker) with a configuration of its
 * own in a temporary folder - a mempool for SIZE-byte chunks - and stops
 * it at the end and removes the shared memory it leaves (iceoryx 2.0
 * leaves its segments in /dev/shm; none was there before, since no RouDi
 * ran). iceoryx 2 has one
 * RouDi per machine: when another one runs (a process named iox-roudi),
 * this program says so and exits 3 without touching it. This process only
 * runs RouDi and the two sides, each a child: RouDi ends the processes
 * registered with it when it stops.
 *
 * Side A (a child) loans a chunk, writes the message, publishes it on
 * "pt/ping"; side B (a child) takes it, loans a reply, copies the message
 * into it, publishes it on "pt/pong" and releases the ping; A takes and
 * releases the pong. busy: both sides poll iox_sub_take_chunk; waitset:
 * both sleep in a wait set until their subscriber has data. Prints
 * "value N": ns per round trip, the median of 5 batches.
 */
#include <iceoryx_binding_c/chunk.h>
#include <iceoryx_binding_c/enums.h>
#include <iceoryx_binding_c/log.h>
#include <iceoryx_binding_c/notification_info.h>
#include <iceoryx_binding_c/publisher.h>
#include <iceoryx_binding_c/runtime.h>
#include <iceoryx_binding_c/subscriber.h>
#include <iceoryx_binding_c/types.h>
#include <iceoryx_binding_c/wait_set.h>

#include <dirent.h>
#include <pwd.h>
#include <sched.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MGMT_SEGMENT "/dev/shm/iceoryx_mgmt"
#define STOP	     UINT64_MAX
#define BATCHES	     5
#define SETUP_S	     10

struct side {
	iox_pub_storage_t pub_storage;
	iox_sub_storage_t sub_storage;
	iox_ws_storage_t ws_storage;
	iox_pub_t pub;
	iox_sub_t sub;
	iox_ws_t ws;
	bool waitset;
	uint32_t size;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void pause_ms(int ms)
{
	struct timespec ts = { 0, (long)ms * 1000000L };

	nanosleep(&ts, NULL);
}

/* Whether a process named iox-roudi runs (one of another user, too). */
static bool roudi_running(void)
{
	DIR *proc = opendir("/proc");
	struct dirent *e;
	bool found = false;

	while (proc && !found && (e = readdir(proc))) {
		char path[300], comm[32] = "";
		FILE *f;

		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", e->d_name);
		f = fopen(path, "re");
		if (!f)
			continue;
		found = fgets(comm, sizeof(comm), f) &&
			!strncmp(comm, "iox-roudi", 9);
		fclose(f);
	}
	if (proc)
		closedir(proc);
	return found;
}

static bool exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

static void open_side(struct side *s, const char *out, const char *in)
{
	iox_pub_options_t po;
	iox_sub_options_t so;

	iox_pub_options_init(&po);
	po.historyCapacity = 0;
	s->pub = iox_pub_init(&s->pub_storage, "pt", out, "msg", &po);
	iox_sub_options_init(&so);
	so.queueCapacity = 4;
	so.historyRequest = 0;
	s->sub = iox_sub_init(&s->sub_storage, "pt", in, "msg", &so);
	if (s->waitset) {
		s->ws = iox_ws_init(&s->ws_storage);
		iox_ws_attach_subscriber_state(
			s->ws, s->sub, SubscriberState_HAS_DATA, 0, NULL);
	}
}

static void close_side(struct side *s)
{
	if (s->waitset)
		iox_ws_deinit(s->ws);
	iox_sub_deinit(s->sub);
	iox_pub_deinit(s->pub);
}

/* The next chunk on s's subscriber, waiting as s says. */
static const void *take(struct side *s)
{
	const void *chunk;

	for (;;) {
		if (iox_sub_take_chunk(s->sub, &chunk) ==
		    ChunkReceiveResult_SUCCESS)
			return chunk;
		if (s->waitset) {
			iox_notification_info_t info[1];
			uint64_t missed;

			iox_ws_wait(s->ws, info, 1, &missed);
		}
	}
}

static bool publish(struct side *s, const void *src)
{
	void *chunk;

	if (iox_pub_loan_chunk(s->pub, &chunk, s->size) !=
	    AllocationResult_SUCCESS)
		return false;
	memcpy(chunk, src, s->size);
	iox_pub_publish_chunk(s->pub, chunk);
	return true;
}

/* Waits until s's publisher has a subscriber and its subscriber is
 * subscribed. */
static bool connected(struct side *s)
{
	uint64_t end = now_ns() + (uint64_t)SETUP_S * 1000000000u;

	while (now_ns() < end) {
		if (iox_pub_has_subscribers(s->pub) &&
		    iox_sub_get_subscription_state(s->sub) ==
			    SubscribeState_SUBSCRIBED)
			return true;
		pause_ms(1);
	}
	return false;
}

static void pin(int cpu)
{
	cpu_set_t set;

	if (cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static int side_b(struct side *s)
{
	iox_set_loglevel(Iceoryx_LogLevel_Off);
	iox_runtime_init("pt_peer_iceoryx_b");
	open_side(s, "pong", "ping");
	if (!connected(s))
		return 1;
	for (;;) {
		const void *in = take(s);
		uint64_t head;

		memcpy(&head, in, sizeof(head));
		if (!publish(s, in))
			return 1;
		iox_sub_release_chunk(s->sub, in);
		if (head == STOP)
			break;
	}
	/* the stop's echo is taken by A before it ends us */
	pause_ms(20);
	close_side(s);
	iox_runtime_shutdown();
	return 0;
}

static bool round_trips(struct side *a, unsigned char *msg, uint64_t n,
			uint64_t *seq)
{
	for (uint64_t i = 0; i < n; i++) {
		const void *back;
		uint64_t head;

		memcpy(msg, seq, sizeof(*seq));
		if (!publish(a, msg))
			return false;
		back = take(a);
		memcpy(&head, back, sizeof(head));
		iox_sub_release_chunk(a->sub, back);
		if (head != *seq)
			return false;
		++*seq;
	}
	return true;
}

static int cmp_double(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;

	return (a > b) - (a < b);
}

/* Measures: a warm-up, then BATCHES timed batches of round trips, and
 * the stop message. Returns the median ns per round trip, or 0. */
static double measure(struct side *a, unsigned char *msg, uint64_t n)
{
	uint64_t seq = 0, stop = STOP, per_batch = n / BATCHES + 1;
	double per[BATCHES];
	const void *back;

	if (!connected(a)) {
		fprintf(stderr, "pt-peer-iceoryx: the two sides did not "
				"connect\n");
		return 0;
	}
	if (!round_trips(a, msg, n / 10 + 1, &seq)) /* warm-up */
		return 0;
	for (int b = 0; b < BATCHES; b++) {
		uint64_t start = now_ns();

		if (!round_trips(a, msg, per_batch, &seq))
			return 0;
		per[b] = (double)(now_ns() - start) / (double)per_batch;
	}
	memcpy(msg, &stop, sizeof(stop));
	if (!publish(a, msg))
		return 0;
	back = take(a);
	iox_sub_release_chunk(a->sub, back);
	qsort(per, BATCHES, sizeof(per[0]), cmp_double);
	return per[BATCHES / 2];
}

static int side_a(struct side *a, uint64_t n)
{
	unsigned char *msg = calloc(1, a->size);
	double ns;

	if (!msg)
		return 1;
	iox_set_loglevel(Iceoryx_LogLevel_Off);
	iox_runtime_init("pt_peer_iceoryx_a");
	open_side(a, "ping", "pong");
	ns = measure(a, msg, n);
	if (ns > 0) {
		printf("value %.1f\n", ns);
		fflush(stdout);
	}
	close_side(a);
	iox_runtime_shutdown();
	free(msg);
	return ns > 0 ? 0 : 1;
}

/* A RouDi configuration with one mempool that holds size-byte chunks. */
static bool write_config(const char *path, uint32_t size)
{
	FILE *f = fopen(path, "we");
	/* the chunk header and alignment: a little over the payload */
	unsigned long chunk = ((unsigned long)size + 256 + 63) & ~63ul;
	int ok;

	if (!f)
		return false;
	ok = fprintf(f,
		     "[general]\nversion = 1\n\n[[segment]]\n\n"
		     "[[segment.mempool]]\nsize = %lu\ncount = 32\n",
		     chunk) > 0;
	return fclose(f) == 0 && ok;
}

static pid_t start_roudi(const char *config)
{
	pid_t pid = fork();

	if (pid == 0) {
		/* dup2 clears O_CLOEXEC on the copies */
		int null = open("/dev/null", O_WRONLY | O_CLOEXEC);

		if (null >= 0) {
			dup2(null, STDOUT_FILENO);
			dup2(null, STDERR_FILENO);
		}
		execlp("iox-roudi", "iox-roudi", "-c", config, "-l", "off",
		       "-m", "off", (char *)NULL);
		_exit(127);
	}
	return pid;
}

int main(int argc, char **argv)
{
	char dir[] = "/tmp/pt-iceoryx-XXXXXX", config[64];
	struct side s = { 0 };
	int cpu[2] = { -1, -1 };
	char payload[300];
	struct passwd pwd, *pw = NULL;
	char pwbuf[1024];
	uint64_t n;
	pid_t roudi, a = -1, b = -1;
	int status = 0, st;

	if ((argc != 4 && argc != 6) ||
	    (strcmp(argv[2], "busy") != 0 && strcmp(argv[2], "waitset") != 0)) {
		fprintf(stderr, "usage: pt-peer-iceoryx SIZE busy|waitset "
				"ROUND_TRIPS [CPU_A CPU_B]\n");
		return 2;
	}
	for (int i = 0; argc == 6 && i < 2; i++)
		cpu[i] = (int)strtol(argv[4 + i], NULL, 10);
	s.size = (uint32_t)strtoul(argv[1], NULL, 10);
	s.waitset = !strcmp(argv[2], "waitset");
	n = strtoull(argv[3], NULL, 10);
	if (s.size < sizeof(uint64_t) || n == 0) {
		fprintf(stderr, "pt-peer-iceoryx: SIZE is at least 8 and "
				"ROUND_TRIPS at least 1\n");
		return 2;
	}
	if (roudi_running()) {
		fprintf(stderr, "pt-peer-iceoryx: another RouDi is running; "
				"not touching it\n");
		return 3;
	}
	if (!mkdtemp(dir))
		return 1;
	snprintf(config, sizeof(config), "%s/roudi.toml", dir);
	if (!write_config(config, s.size)) {
		status = 1;
		goto out;
	}
	roudi = start_roudi(config);
	if (roudi < 0) {
		status = 1;
		goto out;
	}
	for (int i = 0; i < SETUP_S * 100 && !exists(MGMT_SEGMENT); i++)
		pause_ms(10);
	if (!exists(MGMT_SEGMENT)) {
		fprintf(stderr, "pt-peer-iceoryx: RouDi did not start\n");
		status = 1;
		goto stop;
	}
	pause_ms(50); /* RouDi listens once its segments exist */
	b = fork();
	if (b == 0) {
		pin(cpu[1]);
		_exit(side_b(&s));
	}
	a = b > 0 ? fork() : -1;
	if (a == 0) {
		pin(cpu[0]);
		_exit(side_a(&s, n));
	}
	for (int i = 0; i < 2; i++) {
		pid_t pid = i ? b : a;

		if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) ||
		    WEXITSTATUS(st))
			status = 1;
	}
stop:
	kill(roudi, SIGTERM);
	waitpid(roudi, &st, 0);
	/* iceoryx 2.0 leaves its segments: the management one and the
	 * payload one, named after the user */
	unlink(MGMT_SEGMENT);
	if (getpwuid_r(getuid(), &pwd, pwbuf, sizeof(pwbuf), &pw) == 0 && pw) {
		snprintf(payload, sizeof(payload), "/dev/shm/%s", pw->pw_name);
		unlink(payload);
	}
out:
	unlink(config);
	rmdir(dir);
	return status;
}
