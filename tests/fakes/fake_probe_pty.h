/* The probe firmware core on the host HAL behind a pseudo-terminal, paced to the wall clock
 * by a thread: anything that opens a transport URI (pty:/dev/pts/N) reaches a probe. Used to
 * test the probe: I2C bus and `hilbench probe info` end to end. (The virtual board will give
 * its probe a pty of its own, on its shared simulated time base.)
 *
 * Add devices to f->sim before fake_probe_pty_start(); afterwards only the thread touches the
 * simulation. */
#ifndef FAKE_PROBE_PTY_H
#define FAKE_PROBE_PTY_H

#include <pthread.h>

#include "hbp_sim.h"

struct fake_probe_pty {
	struct hbp_sim *sim;
	char slave[64];   /* /dev/pts/N */
	char uri[80];     /* probe:pty:/dev/pts/N */
	int master, slave_fd;
	pthread_t thread;
	volatile int stop;
};

struct fake_probe_pty *fake_probe_pty_new(void);
int fake_probe_pty_start(struct fake_probe_pty *f);
void fake_probe_pty_free(struct fake_probe_pty *f);

#endif
