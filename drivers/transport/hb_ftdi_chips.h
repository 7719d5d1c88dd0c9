/* hilbench — FTDI chips by USB VID:PID: what each one can do.
 *
 * One table, asked by the ftdi: and serial: transports (is this baud rate reachable?), the
 * ftdi-i2c: bus (does this interface have an MPSSE?), the board-profile validator
 * (interfaces, rates), `hilbench doctor` (chip names) and the emulated chips of the board
 * twins (USB speed, packet size). Facts from the FTDI datasheets and AN232B-05 ("Configuring
 * FT232R, FT2232 and FT232B Baud Rates"), AN_120 ("Aliasing VCP Baud Rates"):
 *
 *   - the UART's baud generator divides a base clock by n + k/8 (n = 2..16383, k = 0..7);
 *     two special divisors give base / 1 and base / 1.5 (there is no divisor between 1 and
 *     2 otherwise);
 *   - FT232R and the FT-X series (FT230X, FT231X, ...) divide 3 MHz: 3 Mbaud at most, then
 *     2 Mbaud, 1.5 Mbaud, 1.412 Mbaud, ...;
 *   - the H series (FT2232H, FT4232H, FT232H) divide 12 MHz (their 120 MHz clock / 10):
 *     12 Mbaud, 8 Mbaud, 6 Mbaud, 5.647 Mbaud, ...; for rates below 12 MHz / 16383.875
 *     (~732 baud) they fall back to the 3 MHz base;
 *   - high-speed parts (the H series) move USB data in 125 us microframes of <= 512-byte
 *     bulk packets, full-speed parts (FT232R, FT-X) in 1 ms frames of <= 64-byte packets.
 *
 * VID:PID 0403:6010 is also used by the older full-speed FT2232C/D (told apart by bcdDevice);
 * the row describes the FT2232H that current boards carry. */
#ifndef HB_FTDI_CHIPS_H
#define HB_FTDI_CHIPS_H

#include <stddef.h>
#include <stdint.h>

#include "hb_status.h"

#ifdef __cplusplus
extern "C" {
#endif

struct hb_ftdi_chip {
	uint16_t vid, pid;
	const char *name;          /* "FT2232H" */
	unsigned n_interfaces;     /* interfaces A.. (1..4) */
	unsigned mpsse_mask;       /* bit i: interface A+i has an MPSSE engine */
	int high_speed;            /* USB 2.0 high speed (else full speed) */
	uint32_t usb_frame_ns;     /* 125000 (microframe) or 1000000 (frame) */
	uint32_t max_packet;       /* bulk packet size: 512 or 64 bytes */
	uint32_t baud_base_hz;     /* baud generator input: 3 MHz or 12 MHz */
	uint32_t max_baud;         /* baud_base_hz: the fastest rate it makes */
};

extern const struct hb_ftdi_chip hb_ftdi_chips[];
extern const size_t hb_n_ftdi_chips;

/* The row for vid:pid, or NULL for a device that is not in the table. */
const struct hb_ftdi_chip *hb_ftdi_chip_find(uint16_t vid, uint16_t pid);

/* The rate the chip's baud generator makes that is closest to baud (0 for baud 0). */
uint32_t hb_ftdi_chip_baud_actual(const struct hb_ftdi_chip *c, uint32_t baud);

/* How far the made rate may be from the asked one: 2 %, the same as the gateware's own
 * divider is allowed (docs/boards.md); both sides together stay inside what an 8N1 frame
 * tolerates. */
#define HB_FTDI_BAUD_TOLERANCE_PCT 2

/* HB_OK when the chip makes baud within HB_FTDI_BAUD_TOLERANCE_PCT; otherwise HB_ERR_ARG
 * (a usage error, not an I/O error) with a message naming the rate, the chip and the
 * nearest rates it can make. why may be NULL. */
enum hb_status hb_ftdi_chip_check_baud(const struct hb_ftdi_chip *c, uint32_t baud, char *why,
				       size_t cap);

#ifdef __cplusplus
}
#endif
#endif
