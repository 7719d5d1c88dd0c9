/* The time socket (docs/vboard.md, "Virtual time") against the virtual board (stand-in top):
 * time moves only as far as the ports allow, a holding port stops it, UART bytes and I2C
 * transactions happen at defined cycles, and the byte-level I2C requests agree with the
 * transaction ones. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "hb_vboard_proc.h"
#include "hb_vtime.h"

static struct hb_vboard_proc *vb;
static struct hb_vtime *vt;

static void setup(void)
{
	static const char *const args[] = {"--pace", "virtual", "-q", "--clock-hz", "1000000",
					   "--baud", "250000", NULL};
	cr_assert_eq(hb_vboard_start(HB_VBOARD_STANDIN, args, 10000, &vb), HB_OK);
	cr_assert(hb_vboard_info(vb)->vtime[0], "no vtime: line");
	cr_assert_eq(hb_vtime_open(hb_vboard_info(vb)->vtime, &vt), HB_OK);
}

static void teardown(void)
{
	hb_vtime_close(vt);
	vt = NULL;
	if (vb)
		hb_vboard_stop(vb, 2000, NULL);
	vb = NULL;
}

TestSuite(vtime, .init = setup, .fini = teardown, .timeout = 60);

Test(vtime, time_moves_exactly_as_far_as_asked)
{
	cr_assert_eq(hb_vtime_clock_hz(vt), 1e6);
	uint64_t c0 = hb_vtime_now_cycle(vt);
	cr_assert_eq(hb_vtime_sleep_ns(vt, 1500000), HB_OK); /* 1.5 ms = 1500 cycles */
	cr_assert_eq(hb_vtime_now_cycle(vt) - c0, 1500);
	/* the board agrees, and it has not run on while this thread held time */
	uint64_t cyc;
	cr_assert_eq(hb_vboard_now(vb, &cyc, NULL), HB_OK);
	cr_assert_eq(cyc, hb_vtime_now_cycle(vt));
	cr_assert_eq(hb_vboard_now(vb, &cyc, NULL), HB_OK);
	cr_assert_eq(cyc, hb_vtime_now_cycle(vt), "time moved while the only port held it");
}

struct peer {
	struct hb_vtime_port *port;
	uint64_t woke_at;
};

static void *peer_main(void *arg)
{
	struct peer *p = arg;
	hb_vtime_port_attach(p->port);
	hb_vtime_sleep_ns(vt, 10000000); /* 10 ms */
	p->woke_at = hb_vtime_now_cycle(vt);
	return NULL;
}

Test(vtime, the_earliest_deadline_wins_and_a_holding_port_holds)
{
	struct peer p = {0};
	uint64_t c0 = hb_vtime_now_cycle(vt);
	cr_assert_eq(hb_vtime_port_new(vt, &p.port), HB_OK);
	pthread_t t;
	cr_assert_eq(pthread_create(&t, NULL, peer_main, &p), 0);
	/* we sleep 4 ms: the board stops there for us although the peer wants 10 ms */
	cr_assert_eq(hb_vtime_sleep_ns(vt, 4000000), HB_OK);
	cr_assert_eq(hb_vtime_now_cycle(vt) - c0, 4000);
	/* we hold: the peer cannot have woken */
	cr_assert_eq(p.woke_at, 0);
	/* parked, we let it run to its deadline */
	hb_vtime_park(vt);
	pthread_join(t, NULL);
	cr_assert_eq(hb_vtime_resume(vt), HB_OK);
	cr_assert_eq(p.woke_at - c0, 10000, "the peer woke at +%llu cycles",
		     (unsigned long long)(p.woke_at - c0));
	cr_assert_geq(hb_vtime_now_cycle(vt), p.woke_at);
}

Test(vtime, uart_bytes_come_back_at_the_cycle_the_line_delivers_them)
{
	/* the stand-in echoes: 2 bytes out and back at 4 cycles per bit, 10 bits a byte */
	uint64_t c0 = hb_vtime_now_cycle(vt);
	cr_assert_eq(hb_vtime_uart_write(vt, "hi", 2), HB_OK);
	uint8_t buf[8];
	size_t got = 0, have = 0;
	while (have < 2) {
		cr_assert_eq(hb_vtime_uart_read(vt, buf + have, sizeof buf - have, &got, 10000000), HB_OK);
		have += got;
	}
	cr_assert_eq(memcmp(buf, "hi", 2), 0);
	uint64_t dt = hb_vtime_now_cycle(vt) - c0;
	/* at least both frames in and the second out (3 x 40 cycles), well under a millisecond */
	cr_assert(dt >= 120 && dt < 1000, "echo took %llu cycles", (unsigned long long)dt);
	/* nothing more: a read times out after exactly its simulated timeout */
	uint64_t c1 = hb_vtime_now_cycle(vt);
	cr_assert_eq(hb_vtime_uart_read(vt, buf, sizeof buf, &got, 2000000), HB_ERR_TIMEOUT);
	cr_assert_eq(hb_vtime_now_cycle(vt) - c1, 2000);
}

Test(vtime, byte_level_i2c_agrees_with_transactions)
{
	/* config register (pointer 0) after power-up: 0x399F, both ways */
	uint8_t w = 0, r[2] = {0}, st = 9;
	cr_assert_eq(hb_vtime_i2c(vt, 0x40, &w, 1, r, 2, &st), HB_OK);
	cr_assert_eq(st, 0);
	cr_assert_eq(r[0] << 8 | r[1], 0x399F);
	int ack = 0;
	cr_assert_eq(hb_vtime_i2c_start(vt, 0x40, 0, &ack), HB_OK);
	cr_assert(ack);
	cr_assert_eq(hb_vtime_i2c_write_byte(vt, 5, &ack), HB_OK); /* CAL */
	cr_assert(ack);
	cr_assert_eq(hb_vtime_i2c_write_byte(vt, 0x10, &ack), HB_OK);
	cr_assert_eq(hb_vtime_i2c_write_byte(vt, 0x00, &ack), HB_OK);
	cr_assert_eq(hb_vtime_i2c_stop(vt), HB_OK);
	/* read CAL back byte by byte, with a repeated START */
	cr_assert_eq(hb_vtime_i2c_start(vt, 0x40, 0, &ack), HB_OK);
	cr_assert_eq(hb_vtime_i2c_write_byte(vt, 5, &ack), HB_OK);
	cr_assert_eq(hb_vtime_i2c_start(vt, 0x40, 1, &ack), HB_OK);
	cr_assert(ack);
	uint8_t hi = 0, lo = 0;
	cr_assert_eq(hb_vtime_i2c_read_byte(vt, 1, &hi), HB_OK);
	cr_assert_eq(hb_vtime_i2c_read_byte(vt, 0, &lo), HB_OK);
	cr_assert_eq(hb_vtime_i2c_stop(vt), HB_OK);
	cr_assert_eq(hi << 8 | lo, 0x1000);
	/* and the transaction path sees the same CAL */
	w = 5;
	cr_assert_eq(hb_vtime_i2c(vt, 0x40, &w, 1, r, 2, &st), HB_OK);
	cr_assert_eq(r[0] << 8 | r[1], 0x1000);
	/* nobody at 0x41; an INA219 pointer above 5 is not acknowledged */
	cr_assert_eq(hb_vtime_i2c_start(vt, 0x41, 0, &ack), HB_OK);
	cr_assert(!ack);
	cr_assert_eq(hb_vtime_i2c_stop(vt), HB_OK);
	cr_assert_eq(hb_vtime_i2c_start(vt, 0x40, 0, &ack), HB_OK);
	cr_assert_eq(hb_vtime_i2c_write_byte(vt, 6, &ack), HB_OK);
	cr_assert(!ack);
	cr_assert_eq(hb_vtime_i2c_stop(vt), HB_OK);
}
