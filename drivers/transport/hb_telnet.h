/* hilbench — Telnet (RFC 854/855) client codec with the COM-PORT-OPTION (RFC 2217).
 * Pure: bytes in, bytes out, no I/O. The rfc2217: transport and its tests use it. */
#ifndef HB_TELNET_H
#define HB_TELNET_H

#include <stddef.h>
#include <stdint.h>

enum {
	HB_TN_SE = 240,
	HB_TN_NOP = 241,
	HB_TN_SB = 250,
	HB_TN_WILL = 251,
	HB_TN_WONT = 252,
	HB_TN_DO = 253,
	HB_TN_DONT = 254,
	HB_TN_IAC = 255,
	HB_TN_OPT_BINARY = 0,
	HB_TN_OPT_SGA = 3,
	HB_TN_OPT_COMPORT = 44,
};

/* COM-PORT-OPTION commands (client → server); the server answers with cmd + 100. */
enum {
	HB_CPO_SIGNATURE = 0,
	HB_CPO_SET_BAUDRATE = 1,
	HB_CPO_SET_DATASIZE = 2,
	HB_CPO_SET_PARITY = 3,
	HB_CPO_SET_STOPSIZE = 4,
	HB_CPO_SET_CONTROL = 5,
	HB_CPO_PURGE_DATA = 12,
	HB_CPO_SERVER = 100,
	HB_CPO_PARITY_NONE = 1,
	HB_CPO_STOPSIZE_1 = 1,
	HB_CPO_PURGE_BOTH = 3,
};

struct hb_telnet {
	int state;
	uint8_t sb[64];
	size_t sbn;
	int sb_overflow;
	uint8_t cmd;
	uint8_t we_will[256];  /* we announced WILL opt */
	uint8_t we_do[256];    /* we asked DO opt */
	int server_do_comport; /* server accepted our COM-PORT-OPTION (DO 44) */
	int server_refused_comport;
	/* What the server said about each option: DO/DONT (our side), WILL/WONT (its side).
	 * BINARY must be agreed both ways, or the NVT rules apply to data (a CR is sent as
	 * CR NUL, a bare CR may be changed). */
	uint8_t srv_do[256], srv_dont[256], srv_will[256], srv_wont[256];
	/* Latest server replies to COM-PORT commands, and a bit per reply seen (1 << cmd). */
	uint32_t acked;
	uint32_t baud;
	uint8_t datasize, parity, stopsize;
	/* Replies the codec wants sent to the server (drain after every decode). */
	uint8_t reply[128];
	size_t replyn;
};

void hb_telnet_init(struct hb_telnet *tn);
/* Our opening negotiation: WILL COM-PORT, WILL/DO BINARY, WILL/DO SGA. Returns bytes. */
size_t hb_telnet_hello(struct hb_telnet *tn, uint8_t *out, size_t cap);
/* BINARY in both directions: 1 agreed, -1 refused (DONT or WONT), 0 not answered yet. */
int hb_telnet_binary_state(const struct hb_telnet *tn);
/* Escape data: each 0xFF doubled. out must hold 2*n bytes. Returns bytes. */
size_t hb_telnet_escape(const uint8_t *in, size_t n, uint8_t *out);
/* Consume received bytes; writes the data bytes (IAC-unescaped, commands removed) to out
 * (capacity >= n) and returns how many. Negotiation answers accumulate in tn->reply. */
size_t hb_telnet_decode(struct hb_telnet *tn, const uint8_t *in, size_t n, uint8_t *out);
/* IAC SB COM-PORT cmd value... IAC SE with the value escaped. Returns bytes (cap >= 6+2*vn). */
size_t hb_telnet_comport(uint8_t cmd, const uint8_t *val, size_t vn, uint8_t *out);
/* SET-BAUDRATE with a 32-bit big-endian value. */
size_t hb_telnet_set_baud(uint32_t baud, uint8_t *out);

#endif
