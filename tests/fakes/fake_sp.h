/* A fake libserialport behind the hb_sp_api table: a few ports (one USB adapter with a
 * serial number), open errors by errno as the OS reports them, recorded line settings, an
 * rx queue, and a port that vanishes mid-read (SP_ERR_FAIL with EIO). */
#ifndef FAKE_SP_H
#define FAKE_SP_H

#include <stddef.h>
#include <stdint.h>

struct fake_sp_state {
	int open_errno;      /* nonzero: sp_open fails with this errno */
	int vanish_at_read;  /* read number that fails with EIO (0 = never) */
	int reads, opened, closed, freed, flushes;
	int baud, bits, parity, stopbits, flow;
	uint8_t rx[1024];
	size_t rxn, rxoff;
	uint8_t tx[1024];
	size_t txn;
	char opened_name[64];
	int last_errno;
};
extern struct fake_sp_state fake_sp;

void fake_sp_install(void);
void fake_sp_uninstall(void);
void fake_sp_feed(const void *buf, size_t n);

#endif
