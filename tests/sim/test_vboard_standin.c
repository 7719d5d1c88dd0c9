/* Sim tests of the virtual board harness on the stand-in top (tests/sim/vboard/
 * standin_hb_top.v: a UART echo; 'B' runs a 1000-cycle busy burst and answers 'D').
 * Exercised: startup lines, pin-level UART through the pty, pacing, I2C socket + INA219,
 * control socket, ground truth, every fault, hb_vboard_proc. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hb_vboard_proc.h"
#include "vb_board.h"
#include "vb_test_util.h"

static struct hb_vboard_proc *vb;
static int pty = -1;

static void start(const char *const *args)
{
	enum hb_status st = hb_vboard_start(HB_VBOARD_STANDIN, args, 10000, &vb);
	cr_assert_eq(st, HB_OK, "start: %s", hb_strerror(st));
	pty = vbt_pty_open(hb_vboard_info(vb)->uart);
	cr_assert(pty >= 0, "open %s", hb_vboard_info(vb)->uart);
}

static void stop(void)
{
	int code = -1;
	if (pty >= 0)
		close(pty);
	pty = -1;
	if (vb)
		cr_assert_eq(hb_vboard_stop(vb, 5000, &code), HB_OK);
	vb = NULL;
	cr_assert_eq(code, 0, "vboard exit status %d", code);
}

static void send_str(const char *s)
{
	cr_assert_eq(write(pty, s, strlen(s)), (ssize_t)strlen(s));
}

static uint64_t stat_field(const char *key)
{
	char reply[512], k[64];
	cr_assert_eq(hb_vboard_ctl(vb, "stats", reply, sizeof reply, 2000), HB_OK);
	snprintf(k, sizeof k, " %s=", key);
	char *p = strstr(reply, k);
	cr_assert(p, "stats has %s: %s", key, reply);
	return strtoull(p + strlen(k), NULL, 10);
}

/* Runs after every test, also after a failed assertion: never leave a board behind. */
static void teardown(void)
{
	if (pty >= 0)
		close(pty);
	pty = -1;
	if (vb)
		hb_vboard_stop(vb, 2000, NULL);
	vb = NULL;
}

TestSuite(vboard_standin, .fini = teardown, .timeout = 60);

static const char *const fast[] = {"--pace", "fast", "-q", NULL};

Test(vboard_standin, startup_lines_and_echo)
{
	start(fast);
	const struct hb_vboard_info *in = hb_vboard_info(vb);
	cr_assert(strncmp(in->uart, "/dev/pts/", 9) == 0, "uart: %s", in->uart);
	cr_assert(strstr(in->i2c, "i2c.sock"));
	cr_assert(strstr(in->ctl, "ctl.sock"));
	cr_assert_float_eq(in->clock_hz, 24e6, 1);
	cr_assert_eq(in->ina219_addr, 0x40);
	send_str("hello, board");
	uint8_t buf[32] = {0};
	cr_assert_eq(vbt_read(pty, buf, 12, 3000), 12);
	cr_assert_str_eq((char *)buf, "hello, board");
	/* every byte went over the pins: 10 bits each at 8 cycles per bit */
	uint64_t c0, c1;
	cr_assert_eq(hb_vboard_now(vb, &c0, NULL), HB_OK);
	cr_assert_geq(c0, 12 * 10 * 8);
	cr_assert_eq(hb_vboard_now(vb, &c1, NULL), HB_OK);
	cr_assert_geq(c1, c0, "time runs");
	cr_assert_eq(stat_field("rx_bytes"), 12);
	cr_assert_eq(stat_field("tx_bytes"), 12);
	cr_assert_eq(stat_field("framing_errors"), 0);
	/* fast pace: the speed figure appears after 0.5 s of simulation */
	vbt_sleep_ms(800);
	char reply[256];
	cr_assert_eq(hb_vboard_ctl(vb, "now", reply, sizeof reply, 2000), HB_OK);
	char *r = strstr(reply, "sim_rate_hz=");
	cr_assert(r && strtod(r + 12, NULL) > 1e5, "%s", reply);
	stop();
}

Test(vboard_standin, realtime_tracks_wall_clock_without_burning_cpu)
{
	/* 1 MHz so that the simulation is far faster than real time on any host. */
	static const char *const a[] = {"--clock-hz", "1000000", "-q", NULL};
	start(a);
	uint64_t c0, c1;
	double ns0, ns1;
	cr_assert_eq(hb_vboard_now(vb, &c0, &ns0), HB_OK);
	double cpu0 = vbt_cpu_seconds(hb_vboard_pid(vb));
	vbt_sleep_ms(500);
	cr_assert_eq(hb_vboard_now(vb, &c1, &ns1), HB_OK);
	double cpu1 = vbt_cpu_seconds(hb_vboard_pid(vb));
	double sim_ms = (ns1 - ns0) * 1e-6;
	cr_assert(sim_ms > 350 && sim_ms < 700, "simulated %.1f ms in 500 ms of wall time", sim_ms);
	cr_assert(cpu1 - cpu0 < 0.25, "idle realtime board used %.3f s CPU in 0.5 s", cpu1 - cpu0);
	cr_assert_eq(c1 - c0, (uint64_t)llround((ns1 - ns0) * 1e-3), "1 cycle per us");
	send_str("rt");
	uint8_t buf[4] = {0};
	cr_assert_eq(vbt_read(pty, buf, 2, 2000), 2);
	cr_assert_eq(memcmp(buf, "rt", 2), 0);
	stop();
}

Test(vboard_standin, truth_is_consistent_and_json_written)
{
	char json[] = "/tmp/hb_vb_truth_XXXXXX";
	int jfd = mkstemp(json);
	close(jfd);
	const char *a[] = {"--pace", "fast", "-q", "--truth", json, NULL};
	start(a);
	uint64_t c_idle;
	cr_assert_eq(hb_vboard_now(vb, &c_idle, NULL), HB_OK);
	struct hb_vboard_truth t_idle, t_all, t_a, t_b;
	cr_assert_eq(hb_vboard_truth(vb, 0, c_idle, &t_idle), HB_OK);
	cr_assert_eq(t_idle.cycles, c_idle);
	cr_assert_eq(t_idle.busy_cycles, 0);
	/* nothing happened yet: energy = idle power x time, exactly */
	double e_expect = t_idle.idle_power_mw * 1e-3 * (double)c_idle / t_idle.clock_hz * 1e9;
	cr_assert_float_eq(t_idle.energy_nj, e_expect, e_expect * 1e-9);
	cr_assert(t_idle.exact);

	send_str("B");
	uint8_t d = 0;
	cr_assert_eq(vbt_read(pty, &d, 1, 3000), 1);
	cr_assert_eq(d, 'D');
	uint64_t c_end;
	cr_assert_eq(hb_vboard_now(vb, &c_end, NULL), HB_OK);
	cr_assert_eq(hb_vboard_truth(vb, 0, c_end, &t_all), HB_OK);
	cr_assert_eq(t_all.busy_cycles, 1000);
	cr_assert_eq(t_all.done, 1, "one done pulse");
	cr_assert_gt(t_all.avg_power_mw, t_all.idle_power_mw, "the burst costs energy");
	/* additivity: [0,m) + [m,end) == [0,end) for an arbitrary split */
	uint64_t m = c_idle + (c_end - c_idle) / 3;
	cr_assert_eq(hb_vboard_truth(vb, 0, m, &t_a), HB_OK);
	cr_assert_eq(hb_vboard_truth(vb, m, c_end, &t_b), HB_OK);
	cr_assert_float_eq(t_a.energy_nj + t_b.energy_nj, t_all.energy_nj, t_all.energy_nj * 1e-9);
	cr_assert_float_eq(t_all.avg_power_mw * 1e-3 * (double)t_all.cycles / t_all.clock_hz * 1e9,
			   t_all.energy_nj, t_all.energy_nj * 1e-9, "energy = avg power x time");
	char reply[256];
	cr_assert_eq(hb_vboard_ctl(vb, "truth 10 5", reply, sizeof reply, 2000), HB_ERR_PROTO);
	cr_assert(strncmp(reply, "err", 3) == 0);
	cr_assert_eq(hb_vboard_ctl(vb, "truth 0 999999999999", reply, sizeof reply, 2000),
		     HB_ERR_PROTO, "the future is refused");
	stop();

	FILE *f = fopen(json, "r");
	cr_assert(f);
	char text[8192];
	size_t n = fread(text, 1, sizeof text - 1, f);
	text[n] = 0;
	fclose(f);
	unlink(json);
	unsigned long long c0, c1;
	char *w = strstr(text, "\"busy_windows\"");
	cr_assert(w, "%s", text);
	cr_assert_eq(sscanf(strstr(w, "\"c0\""), "\"c0\": %llu, \"c1\": %llu", &c0, &c1), 2);
	cr_assert_eq(c1 - c0, 1000, "the busy window is exactly BUSY_CYCLES");
	cr_assert(strstr(w, "\"exact\": 1"));
}

Test(vboard_standin, ina219_follows_the_power_model)
{
	start(fast);
	const char *s = hb_vboard_info(vb)->i2c;
	uint16_t v;
	cr_assert_eq(vbt_ina_read(s, 0, &v), 0);
	cr_assert_eq(v, 0x399F);
	cr_assert_eq(vbt_ina_write(s, 5, 4096), 0);
	vbt_sleep_ms(50); /* fast pace: many conversions */
	cr_assert_eq(vbt_ina_read(s, 2, &v), 0);
	cr_assert(v & 2, "CNVR");
	cr_assert_eq(v >> 3, 825, "3.3 V bus");
	cr_assert_eq(vbt_ina_read(s, 1, &v), 0);
	struct hb_vboard_truth t;
	uint64_t now;
	cr_assert_eq(hb_vboard_now(vb, &now, NULL), HB_OK);
	cr_assert_eq(hb_vboard_truth(vb, 0, now, &t), HB_OK);
	double i_idle_a = t.idle_power_mw * 1e-3 / 3.3;
	double i_meas_a = (int16_t)v * 10e-6 / 0.5; /* 10 uV LSB, 0.5 ohm shunt */
	cr_assert(fabs(i_meas_a - i_idle_a) <= 20e-6, "INA219 %g A vs model %g A", i_meas_a, i_idle_a);
	/* I2C error paths */
	uint8_t reg = 0, r[2];
	cr_assert_eq(vbt_i2c(s, 'X', 0x41, &reg, 1, r, 2), 1, "address NACK");
	cr_assert_eq(vbt_i2c(s, 'Q', 0x40, &reg, 1, r, 2), 3, "bus error for an unknown op");
	reg = 9;
	cr_assert_eq(vbt_i2c(s, 'X', 0x40, &reg, 1, r, 2), 2, "data NACK for a bad pointer");
	stop();
}

Test(vboard_standin, fault_drop_and_dup)
{
	start(fast);
	cr_assert_eq(hb_vboard_fault(vb, "drop", "1"), HB_OK);
	send_str("abc");
	uint8_t buf[16];
	cr_assert_eq(vbt_read(pty, buf, 3, 300), 0, "all bytes dropped");
	cr_assert_eq(stat_field("dropped"), 3);
	cr_assert_eq(hb_vboard_fault(vb, "clear", NULL), HB_OK);
	cr_assert_eq(hb_vboard_fault(vb, "dup", "1"), HB_OK);
	send_str("xy");
	cr_assert_eq(vbt_read(pty, buf, 4, 2000), 4);
	cr_assert_eq(memcmp(buf, "xxyy", 4), 0);
	cr_assert_eq(stat_field("duplicated"), 2);
	stop();
}

Test(vboard_standin, fault_bit_errors_on_the_rx_pin)
{
	static const char *const a[] = {"--pace", "fast", "-q", "--fault", "bit-error=0.05",
					"--seed", "7", NULL};
	start(a);
	uint8_t out[200], in[200];
	for (int i = 0; i < 200; i++)
		out[i] = (uint8_t)(i * 37 + 1);
	cr_assert_eq(write(pty, out, sizeof out), (ssize_t)sizeof out);
	int n = vbt_read(pty, in, sizeof in, 1500);
	cr_assert(stat_field("bits_flipped") > 0);
	cr_assert(n != 200 || memcmp(in, out, 200) != 0, "corruption visible to the host");
	stop();
}

Test(vboard_standin, fault_stall_and_recover)
{
	start(fast);
	cr_assert_eq(hb_vboard_fault(vb, "stall", NULL), HB_OK);
	send_str("zz");
	uint8_t buf[4];
	cr_assert_eq(vbt_read(pty, buf, 2, 300), 0, "a stalled board does not answer");
	cr_assert_eq(hb_vboard_fault(vb, "clear", NULL), HB_OK);
	send_str("ok");
	cr_assert_eq(vbt_read(pty, buf, 2, 2000), 2);
	cr_assert_eq(memcmp(buf, "ok", 2), 0);
	stop();
}

Test(vboard_standin, fault_pty_close_mid_run)
{
	static const char *const a[] = {"--pace", "fast", "-q", "--fault", "pty-close@0.05", NULL};
	start(a);
	uint8_t buf[64];
	int r = 0;
	for (int i = 0; i < 50 && r >= 0; i++) {
		if (write(pty, "p", 1) != 1) { /* EIO: the other side is gone */
			r = -1;
			break;
		}
		r = vbt_read(pty, buf, sizeof buf, 100);
	}
	cr_assert_eq(r, -1, "the host sees the port vanish");
	/* the board itself keeps running: control socket still answers */
	uint64_t c;
	cr_assert_eq(hb_vboard_now(vb, &c, NULL), HB_OK);
	cr_assert_geq(c, (uint64_t)(0.05 * 24e6));
	stop();
}

Test(vboard_standin, fault_ina219_reset_stop_saturate)
{
	start(fast);
	const char *s = hb_vboard_info(vb)->i2c;
	uint16_t v, v2;
	cr_assert_eq(vbt_ina_write(s, 5, 4096), 0);
	cr_assert_eq(hb_vboard_fault(vb, "ina-reset", NULL), HB_OK);
	cr_assert_eq(vbt_ina_read(s, 5, &v), 0);
	cr_assert_eq(v, 0, "CAL reads back 0 after a reset");
	cr_assert_eq(vbt_ina_read(s, 0, &v), 0);
	cr_assert_eq(v, 0x399F);

	cr_assert_eq(hb_vboard_fault(vb, "ina-stop", NULL), HB_OK);
	uint64_t n0 = stat_field("ina_conversions");
	cr_assert_eq(vbt_ina_read(s, 3, &v), 0); /* clears CNVR */
	vbt_sleep_ms(100);
	cr_assert_eq(stat_field("ina_conversions"), n0, "no conversions while stopped");
	cr_assert_eq(vbt_ina_read(s, 2, &v), 0);
	cr_assert_eq(v & 2, 0, "CNVR stays clear");

	cr_assert_eq(hb_vboard_fault(vb, "clear", NULL), HB_OK);
	cr_assert_eq(hb_vboard_fault(vb, "ina-saturate", NULL), HB_OK);
	vbt_sleep_ms(50);
	cr_assert_eq(vbt_ina_read(s, 1, &v), 0);
	cr_assert_eq((int16_t)v, 32000, "full scale at PGA /8");
	cr_assert_eq(hb_vboard_fault(vb, "clear", NULL), HB_OK);
	vbt_sleep_ms(50);
	cr_assert_eq(vbt_ina_read(s, 1, &v2), 0);
	cr_assert_lt((int16_t)v2, 32000);
	stop();
}

Test(vboard_standin, tcp_endpoint_serves_the_same_uart)
{
	char port[16];
	snprintf(port, sizeof port, "%d", 20000 + (int)(getpid() % 20000));
	const char *a[] = {"--pace", "fast", "-q", "--tcp", port, NULL};
	start(a);
	cr_assert(strlen(hb_vboard_info(vb)->tcp) > 0, "tcp: line printed");
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(port)),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	vbt_sleep_ms(50); /* the board accepts between chunks */
	cr_assert_eq(write(fd, "tcp!", 4), 4);
	uint8_t buf[8] = {0};
	cr_assert_eq(vbt_read(fd, buf, 4, 3000), 4);
	cr_assert_eq(memcmp(buf, "tcp!", 4), 0);
	close(fd);
	stop();
}

Test(vboard_standin, usage_errors_exit_2)
{
	char cmd[1024];
	/* the parser (also the control socket's): out-of-range arguments, and edges that stay
	 * valid (checked first: an accepted bad fault would start a board that runs on) */
	struct hb_vb_fault_spec f;
	cr_assert_eq(hb_vb_fault_parse("bit-error=2", &f), HB_ERR_RANGE);
	cr_assert_eq(hb_vb_fault_parse("stall 5", &f), HB_ERR_RANGE);
	cr_assert_eq(hb_vb_fault_parse("bit-error=1", &f), HB_OK);
	cr_assert_eq(hb_vb_fault_parse("drop=0@0.5", &f), HB_OK);
	cr_assert_eq(hb_vb_fault_parse("stall@1", &f), HB_OK);
	const char *bad[] = {"--fault bogus", "--fault drop=x", "--pace slow",
			     "--clock-hz 1000000 --baud 3000000", "--noise-uA -1", "extra",
			     /* out of range: a rate above 1, an argument to a fault that takes none */
			     "--fault bit-error=2", "--fault drop=1.5", "--fault dup=1.0001",
			     "--fault stall=5", "--fault pty-close=1", "--fault ina-stop=0"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		snprintf(cmd, sizeof cmd, "%s %s >/dev/null 2>&1", HB_VBOARD_STANDIN, bad[i]);
		int st = system(cmd);
		cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 2, "'%s' -> %d", bad[i], st);
	}
	snprintf(cmd, sizeof cmd, "%s --help >/dev/null 2>&1", HB_VBOARD_STANDIN);
	cr_assert_eq(system(cmd), 0);
}

Test(vboard_proc, start_failures_and_truth_parsing)
{
	struct hb_vboard_proc *p = NULL;
	static const char *const bad[] = {"--pace", "slow", NULL};
	cr_assert_eq(hb_vboard_start(HB_VBOARD_STANDIN, bad, 5000, &p), HB_ERR_GONE);
	cr_assert_null(p);
	cr_assert_neq(hb_vboard_start("/nonexistent/vboard", NULL, 2000, &p), HB_OK);
	struct hb_vboard_truth t;
	cr_assert_eq(hb_vboard_parse_truth("ok cycles=24 energy_nj=1.5 avg_power_mw=75 "
					   "idle_power_mw=74 clock_hz=24000000 busy_cycles=3 exact=1",
					   &t), HB_OK);
	cr_assert_eq(t.cycles, 24);
	cr_assert_float_eq(t.energy_nj, 1.5, 1e-12);
	cr_assert_eq(t.busy_cycles, 3);
	cr_assert_eq(t.exact, 1);
	cr_assert_eq(hb_vboard_parse_truth("err nope", &t), HB_ERR_PROTO);
	cr_assert_eq(hb_vboard_parse_truth("ok cycles=1", &t), HB_ERR_FORMAT);
}
