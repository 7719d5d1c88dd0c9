/* The real probe image (firmware/stm32f4/hb_probe_blackpill.elf) under QEMU's
 * netduinoplus2 (an STM32F405): its USART1 is a Unix socket, the host side is hilbench's own
 * probe client. QEMU leaves the RCC, GPIO, I2C and watchdog unimplemented (reads as 0), so
 * the firmware must notice the missing clock controller, keep time with SysTick, answer
 * IDENTIFY and STATUS, and report the I2C block that never answers as clean errors (a
 * configuration result, error records in the stream) without hanging or resetting.
 *
 * Waits are bounded and generous (QEMU's speed is the machine's): the client's response
 * timeout is 5 s; QEMU gets 30 s to create its socket. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hb_log.h"
#include "hb_probe.h"
#include "hb_tr_sock.h"

extern char **environ;

struct qemu {
	pid_t pid;
	char dir[64], sock[128], log[128];
	int fd;
	struct hb_transport t;
};

static enum hb_status q_read(struct hb_transport *t, void *buf, size_t cap, size_t *got, int ms)
{
	struct qemu *q = t->priv;
	return hb_sock_read(q->fd, buf, cap, got, ms, "qemu");
}

static enum hb_status q_write(struct hb_transport *t, const void *buf, size_t len, int ms)
{
	struct qemu *q = t->priv;
	return hb_sock_write(q->fd, buf, len, ms, "qemu");
}

static const struct hb_transport_ops q_ops = {.scheme = "qemu", .read = q_read, .write = q_write};

static void qemu_start(struct qemu *q)
{
	memset(q, 0, sizeof *q);
	q->fd = -1;
	strcpy(q->dir, "/tmp/hb_qemu_XXXXXX");
	cr_assert(mkdtemp(q->dir), "mkdtemp: %s", strerror(errno));
	snprintf(q->sock, sizeof q->sock, "%s/uart.sock", q->dir);
	snprintf(q->log, sizeof q->log, "%s/qemu.log", q->dir);
	char chardev[256];
	snprintf(chardev, sizeof chardev, "socket,id=uart,path=%s,server=on,wait=on", q->sock);
	char *argv[] = {HB_QEMU, "-M", "netduinoplus2", "-display", "none", "-monitor", "none",
			"-kernel", HB_PROBE_ELF, "-chardev", chardev, "-serial", "chardev:uart",
			NULL};
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, q->log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	posix_spawn_file_actions_adddup2(&fa, 1, 2);
	int rc = posix_spawn(&q->pid, HB_QEMU, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	cr_assert_eq(rc, 0, "cannot run %s: %s", HB_QEMU, strerror(rc));
	/* QEMU creates the socket and waits for us before it starts the guest. */
	enum hb_log_level lvl = hb_log_get_level();
	hb_log_set_level(HB_LOG_NONE); /* "no such file" until QEMU is up */
	for (int i = 0; i < 600 && q->fd < 0; i++) {
		if (hb_sock_connect_unix(q->sock, 1000, &q->fd) != HB_OK) {
			q->fd = -1;
			int st;
			cr_assert_eq(waitpid(q->pid, &st, WNOHANG), 0, "QEMU exited early (log: %s)",
				     q->log);
			nanosleep(&(struct timespec){.tv_nsec = 50000000}, NULL);
		}
	}
	hb_log_set_level(lvl);
	cr_assert_geq(q->fd, 0, "QEMU did not open %s within 30 s", q->sock);
	q->t.ops = &q_ops;
	q->t.priv = q;
	q->t.baud = HBP_DEFAULT_BAUD;
}

static void qemu_stop(struct qemu *q)
{
	if (q->fd >= 0)
		close(q->fd);
	if (q->pid > 0) {
		kill(q->pid, SIGKILL);
		waitpid(q->pid, NULL, 0);
	}
	unlink(q->sock);
	unlink(q->log);
	rmdir(q->dir);
}

static struct hb_probe *open_probe(struct qemu *q)
{
	struct hb_probe_opts o;
	hb_probe_opts_default(&o);
	o.base_timeout_ms = 5000;
	o.clock = hb_clock_system();
	struct hb_probe *p = NULL;
	enum hb_status st = hb_probe_open(&q->t, &o, &p);
	cr_assert_eq(st, HB_OK, "hb_probe_open: %s (QEMU log %s)", hb_strerror(st), q->log);
	return p;
}

Test(probe_qemu, identify_and_status_from_the_real_image, .timeout = 120)
{
	struct qemu q;
	qemu_start(&q);
	struct hb_probe *p = open_probe(&q);
	const struct hb_probe_identity *id = hb_probe_identity(p);
	cr_assert_eq(id->proto_version, HBP_PROTO_VERSION);
	cr_assert_eq(id->board, HBP_BOARD_BLACKPILL_F411);
	cr_assert_eq(id->timer_hz, HBP_TIMER_HZ);
	cr_assert_eq(id->baud, HBP_DEFAULT_BAUD);
	cr_assert_eq(id->max_monitors, HBP_MAX_MONITORS);
	cr_assert(id->capabilities & HBP_CAP_EMULATED, "the firmware should notice the missing RCC");
	cr_assert(id->capabilities & HBP_CAP_WATCHDOG);
	cr_assert_eq(id->boot_count, 1);
	cr_assert_eq(id->watchdog_resets, 0);
	struct hb_probe_status s1, s2;
	cr_assert_eq(hb_probe_status(p, &s1), HB_OK, "%s", hb_probe_last_error(p));
	cr_assert_eq(s1.running, 0);
	cr_assert_eq(s1.rx_bad_frames, 0);
	cr_assert_eq(s1.fifo_bytes, id->fifo_bytes);
	nanosleep(&(struct timespec){.tv_nsec = 200000000}, NULL);
	cr_assert_eq(hb_probe_status(p, &s2), HB_OK, "%s", hb_probe_last_error(p));
	cr_assert_gt(s2.now_us, s1.now_us, "the probe's clock must advance");
	hb_probe_close(p);
	qemu_stop(&q);
}

Test(probe_qemu, absent_i2c_block_is_a_clean_error_not_a_hang, .timeout = 120)
{
	struct qemu q;
	qemu_start(&q);
	struct hb_probe *p = open_probe(&q);
	struct hb_probe_monitor m = {.index = 0, .addr = 0x40, .config = 0x399F,
				     .shunt_uohm = 100000, .bus_every = 1};
	struct hb_probe_config_result cr;
	cr_assert_eq(hb_probe_configure(p, &m, &cr), HB_OK, "%s", hb_probe_last_error(p));
	cr_assert_eq(cr.result, HBP_I2C_TIMEOUT, "configuration result %u (%s)", cr.result,
		     hb_probe_i2c_status_name(cr.result));
	cr_assert_eq(cr.period_us, 532u + 532u, "12-bit shunt and bus conversions");

	size_t n_err = 0, n_bus = 0;
	struct ctx {
		size_t *err, *bus;
	} c = {&n_err, &n_bus};
	void on_rec(void *ctx, const struct hb_probe_record *r);
	hb_probe_set_record_fn(p, on_rec, &c);
	struct hb_probe_start_result sr;
	cr_assert_eq(hb_probe_start(p, &(struct hb_probe_start){.capture_mask = 0xF}, &sr), HB_OK,
		     "%s", hb_probe_last_error(p));
	cr_assert_eq(sr.enabled, 1);
	cr_assert_eq(sr.ok, 0);
	for (int i = 0; i < 5; i++)
		cr_assert_eq(hb_probe_poll(p, 100), HB_OK, "%s", hb_probe_last_error(p));
	struct hb_probe_stop_result stop;
	cr_assert_eq(hb_probe_stop(p, &stop), HB_OK, "%s", hb_probe_last_error(p));
	cr_assert_eq(n_err, 1, "one error record for the monitor, not one per retry");
	cr_assert_eq(n_bus, 1, "one record for the bus that could not be freed");
	cr_assert_eq(stop.dropped, 0);
	cr_assert_eq(hb_probe_stream(p)->records, stop.records, "host decoded %llu records, the probe sent %u", (unsigned long long)hb_probe_stream(p)->records, stop.records);

	struct hb_probe_status st;
	cr_assert_eq(hb_probe_status(p, &st), HB_OK, "%s", hb_probe_last_error(p));
	cr_assert_eq(st.mon_state[0], HBP_MON_ERROR);
	cr_assert(st.mon_error[0] == HBP_I2C_TIMEOUT || st.mon_error[0] == HBP_I2C_BUS_STUCK);
	cr_assert_geq(st.i2c_errors, 2);
	struct hb_probe_identity id;
	cr_assert_eq(hb_probe_identify(p, &id), HB_OK, "%s", hb_probe_last_error(p));
	cr_assert_eq(id.boot_count, 1, "no reset");
	hb_probe_close(p);
	qemu_stop(&q);
}

void on_rec(void *ctx, const struct hb_probe_record *r)
{
	struct ctx {
		size_t *err, *bus;
	} *c = ctx;
	if (r->kind != HBP_REC_I2C_ERROR)
		return;
	if (r->index == 0) {
		/* the first transfer times out; once recovery found the bus stuck, that is the
		 * reason given */
		cr_assert(r->status == HBP_I2C_TIMEOUT || r->status == HBP_I2C_BUS_STUCK,
			  "monitor error %u", r->status);
		cr_assert_eq(r->op, HBP_OP_CONFIG);
		(*c->err)++;
	} else if (r->index == HBP_REC_BUS_INDEX) {
		/* QEMU's GPIO reads 0: SDA looks held low and clocking does not free it */
		cr_assert_eq(r->status, HBP_I2C_BUS_STUCK);
		cr_assert_eq(r->op, HBP_OP_RECOVERY);
		(*c->bus)++;
	}
}
