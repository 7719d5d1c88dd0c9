/* hilbench — the board twin's FTDI chips, emulated at the libftdi seam (hb_ftdi_api).
 *
 * A twin session (bench/run/hb_session.c) installs these in place of libftdi1, so the real
 * ftdi: transport and ftdi-i2c: bus run unchanged against the virtual board, in its
 * simulated time (drivers/vtime). Each emulated chip is found by VID:PID[:serial] and takes
 * its USB speed, packet size, interfaces and baud generator from the FTDI chip table
 * (drivers/transport/hb_ftdi_chips.h). What it costs is what the real part costs:
 *
 *   - USB: data moves in (micro)frames, 125 us for high-speed parts (FT2232H, FT232H), 1 ms
 *     for full-speed parts (FT231X), on a grid from simulated time 0. A write lands in the
 *     chip at the next frame boundary; a read is answered with the next IN packet, which the
 *     chip sends when its buffer holds a packet's worth (512 - 2 or 64 - 2 bytes), after
 *     SEND_IMMEDIATE in MPSSE mode, or when its latency timer (default 16 ms) runs out since
 *     the last packet; then at the next frame boundary. A write larger than the chip's TX
 *     FIFO (4 KB on the H series, 512 bytes on the FT-X) waits while the UART drains it.
 *   - UART interfaces: bytes reach the virtual board's UART pin at the landing time; a baud
 *     rate the chip's generator cannot make within the tolerance is refused the way libftdi
 *     refuses it ("Unsupported baudrate", -1).
 *   - MPSSE interfaces: the commands hilbench's I2C master sends (set/get bits, clock bytes
 *     and bits in and out, SEND_IMMEDIATE, clock divisor, divide-by-5, 3-phase clocking,
 *     adaptive clocking, drive-only-zero open-drain, loopback) are interpreted; the I2C
 *     START, address, data, ACK and STOP they make on AD0 (SCL) and AD1/AD2 (SDA) reach the
 *     virtual board's bus byte by byte; data bits take 1/f_SCL each (1.5/f_SCL with 3-phase
 *     clocking). Unknown opcodes answer 0xFA and the opcode, as the MPSSE does.
 *
 * The host calls' own timeouts (usb_read_timeout) are in the host's clock and are not used:
 * the chip answers every read within its latency timer. */
#ifndef HB_FTDI_TWIN_H
#define HB_FTDI_TWIN_H

#include <stddef.h>
#include <stdint.h>

#include "hb_status.h"
#include "hb_vtime.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One chip on the twin's USB. */
struct hb_ftdi_twin_dev {
	uint16_t vid, pid;
	char serial[64];          /* "" = any serial matches */
	unsigned uart_ifaces;     /* bit i: interface A+i is wired to the board's UART */
	unsigned i2c_ifaces;      /* bit i: interface A+i's MPSSE is wired to the board's I2C bus */
};

struct hb_ftdi_twin_stats {
	uint64_t opens, usb_writes, usb_reads, empty_packets;
	uint64_t uart_bytes_out, uart_bytes_in;
	uint64_t mpsse_cmds, i2c_bytes;
	uint64_t refused_bauds;
};

/* Install the emulated chips (hb_ftdi_api now points here) for the board behind vt. */
enum hb_status hb_ftdi_twin_install(struct hb_vtime *vt, const struct hb_ftdi_twin_dev *devs,
				    size_t n);
/* Restore libftdi1 (hb_ftdi_api_reset). */
void hb_ftdi_twin_uninstall(void);
void hb_ftdi_twin_get_stats(struct hb_ftdi_twin_stats *out);

#ifdef __cplusplus
}
#endif
#endif
