/* Host link throughput through a pty loopback: frames (encode + CRC + write, read + decode
 * with the link codec) against raw bytes over the same pty in the same run.
 * A peer thread echoes the master side back; the host writes through the pty: transport
 * from one thread and reads + decodes from another. Prints MB/s of payload and the ratio
 * framed / raw (goal >= 0.9). Usage: bench_pty_link [MiB] (default 32). */
#include <poll.h>
#include <pthread.h>
#include <pty.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "hb_clock.h"
#include "hb_link_codec.h"
#include "hb_transport.h"

static int master;
static volatile int echo_stop;

static void *echo(void *arg)
{
	(void)arg;
	static uint8_t buf[65536];
	while (!echo_stop) {
		struct pollfd p = {.fd = master, .events = POLLIN};
		if (poll(&p, 1, 50) <= 0)
			continue;
		ssize_t n = read(master, buf, sizeof buf);
		if (n <= 0)
			break;
		for (ssize_t o = 0; o < n;) {
			ssize_t w = write(master, buf + o, (size_t)(n - o));
			if (w <= 0)
				return NULL;
			o += w;
		}
	}
	return NULL;
}

struct job {
	struct hb_transport *t;
	size_t total; /* payload bytes */
	int framed;
	enum hb_status st;
};

static void *writer(void *arg)
{
	struct job *j = arg;
	static uint8_t payload[HB_LINK_MAX_PAYLOAD], frame[HB_LINK_MAX_FRAME];
	for (size_t i = 0; i < sizeof payload; i++)
		payload[i] = (uint8_t)(i * 31 + 7);
	size_t sent = 0;
	uint8_t seq = 0;
	while (sent < j->total) {
		size_t n = j->total - sent < sizeof payload ? j->total - sent : sizeof payload;
		if (j->framed) {
			size_t fl;
			j->st = hb_link_frame_encode(0x05, seq++, payload, n, frame, sizeof frame, &fl);
			if (j->st == HB_OK)
				j->st = hb_transport_write(j->t, frame, fl, 5000);
		} else {
			j->st = hb_transport_write(j->t, payload, n, 5000);
		}
		if (j->st != HB_OK)
			return NULL;
		sent += n;
	}
	return NULL;
}

/* Returns payload MB/s, or -1. */
static double run(struct hb_transport *t, size_t total, int framed)
{
	struct job j = {.t = t, .total = total, .framed = framed};
	static struct hb_link_decoder d;
	hb_link_decoder_init(&d, 0);
	uint8_t buf[65536];
	size_t got_payload = 0;
	struct hb_clock *c = hb_clock_system();
	uint64_t t0 = c->now_ns(c);
	pthread_t w;
	pthread_create(&w, NULL, writer, &j);
	while (got_payload < total) {
		size_t n;
		enum hb_status st = hb_transport_read(t, buf, sizeof buf, &n, 5000);
		if (st != HB_OK) {
			fprintf(stderr, "read: %s\n", hb_strerror(st));
			pthread_join(w, NULL);
			return -1;
		}
		if (!framed) {
			got_payload += n;
			continue;
		}
		size_t off = 0;
		for (;;) {
			size_t used;
			struct hb_link_event ev;
			hb_link_decoder_feed(&d, buf + off, n - off, &used, &ev);
			off += used;
			if (ev.kind == HB_LINK_EV_FRAME)
				got_payload += ev.len;
			else if (ev.kind != HB_LINK_EV_NONE) {
				fprintf(stderr, "decoder event %d\n", ev.kind);
				pthread_join(w, NULL);
				return -1;
			}
			if (off == n && ev.kind == HB_LINK_EV_NONE)
				break;
		}
	}
	uint64_t dt = c->now_ns(c) - t0;
	pthread_join(w, NULL);
	if (j.st != HB_OK)
		return -1;
	return (double)total / 1e6 / ((double)dt / 1e9);
}

int main(int argc, char **argv)
{
	size_t mib = argc > 1 ? strtoul(argv[1], NULL, 10) : 32;
	char name[128];
	int slave;
	if (openpty(&master, &slave, name, NULL, NULL) != 0) {
		perror("openpty");
		return 1;
	}
	struct termios tio;
	tcgetattr(master, &tio);
	cfmakeraw(&tio);
	tcsetattr(master, TCSANOW, &tio);
	char uri[160];
	snprintf(uri, sizeof uri, "pty:%s", name);
	struct hb_transport *t;
	if (hb_transport_open(uri, 3000000, &t) != HB_OK)
		return 1;
	close(slave);
	pthread_t e;
	pthread_create(&e, NULL, echo, NULL);
	size_t total = mib << 20;
	double best_raw = 0, best_framed = 0;
	for (int rep = 0; rep < 3; rep++) {
		double r = run(t, total, 0), f = run(t, total, 1);
		if (r < 0 || f < 0)
			return 1;
		printf("round %d: raw %.1f MB/s, framed %.1f MB/s (payload)\n", rep + 1, r, f);
		best_raw = r > best_raw ? r : best_raw;
		best_framed = f > best_framed ? f : best_framed;
	}
	printf("pty loopback, %zu MiB each way per run, 1024-byte payloads (8 bytes framing):\n"
	       "  raw bytes         %8.1f MB/s\n"
	       "  framed + CRC      %8.1f MB/s payload\n"
	       "  ratio framed/raw  %8.3f (goal >= 0.9)\n",
	       mib, best_raw, best_framed, best_framed / best_raw);
	echo_stop = 1;
	pthread_join(e, NULL);
	hb_transport_close(t);
	close(master);
	return 0;
}
