/* Helpers for the virtual board's sim tests: a raw termios pty client, the I2C socket. */
#ifndef VB_TEST_UTIL_H
#define VB_TEST_UTIL_H
#ifdef __cplusplus
extern "C" {
#endif
#include <stddef.h>
#include <stdint.h>

/* Open the pty slave raw. Returns the fd or -1. */
int vbt_pty_open(const char *path);
/* Read up to n bytes, stopping when n arrived or timeout_ms passed; returns the count, or -1
 * when the port vanished (EIO/hang-up) before anything arrived. */
int vbt_read(int fd, uint8_t *buf, size_t n, int timeout_ms);
/* I2C socket transaction: returns the status byte (0 ACK, 1 addr NACK, 2 data NACK, 3 bus
 * error) or -1 on socket failure. */
int vbt_i2c(const char *sock, uint8_t op, uint8_t addr, const uint8_t *w, uint8_t wn, uint8_t *r,
	    uint8_t rn);
int vbt_ina_read(const char *sock, uint8_t reg, uint16_t *v);
int vbt_ina_write(const char *sock, uint8_t reg, uint16_t v);
void vbt_sleep_ms(int ms);
/* CPU time (user+system) of a process in seconds, from /proc. */
double vbt_cpu_seconds(int pid);

/* A struct hb_transport over an open pty fd (test-local; the drivers' pty: backend is
 * separate), and the network -> link CONFIG conversion. */
struct hb_transport;
struct hb_net;
struct hb_link_netcfg;
struct vbt_pty_transport {
	int fd;
};
void vbt_pty_transport_init(struct vbt_pty_transport *p, struct hb_transport *t, int fd);
void vbt_netcfg_from(const struct hb_net *n, struct hb_link_netcfg *c);
#ifdef __cplusplus
}
#endif
#endif
