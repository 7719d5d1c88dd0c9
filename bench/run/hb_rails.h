/* hilbench — the power rails of a run: one sampler thread per INA2xx monitor of the board
 * profile, its samples kept in memory, and the mean power of a window (docs/measurement.md).
 * The monitors are reached through the session (real buses, or the virtual board's bus in
 * simulated time); sample stamps are the session clock's. */
#ifndef HB_RAILS_H
#define HB_RAILS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "hb_measure.h"
#include "hb_session.h"

struct hb_rails;

/* Open every monitor of the session's board and start sampling. A monitor that cannot be
 * used leaves the rails without power figures (hb_rails_unavailable says why): timing
 * figures are still worth measuring, so this fails only for lack of memory. */
enum hb_status hb_rails_open(struct hb_session *s, FILE *out, int quiet, struct hb_rails **rails);
/* Why there are no power figures ("" when there are). */
const char *hb_rails_unavailable(const struct hb_rails *r);
size_t hb_rails_count(const struct hb_rails *r);

/* Sum over the rails of the mean power over host interval [h0, h1] (session clock, ns).
 * stretch >= 1: how much longer a conversion lasts in host time than nominally (1 unless the
 * board's time runs slower than the host's: a wall-clock paced virtual board). */
void hb_rails_window(struct hb_rails *r, double h0_ns, double h1_ns, double guard_ns,
		     double stretch, struct hb_window_power *out);

/* Stop sampling at the session's present time and join the threads. Samples stamped at or
 * after that time are not counted (a sampler may have read one in the same instant). */
void hb_rails_stop(struct hb_rails *r);
/* Totals over the rails up to the stop. */
void hb_rails_totals(struct hb_rails *r, uint64_t *samples, uint64_t *dropped);
/* The samples of rail 0 (for the plot), its label and conversion time. Valid until free. */
const struct hb_meas_sample *hb_rails_samples(struct hb_rails *r, size_t *n, const char **rail);
void hb_rails_free(struct hb_rails *r);

#endif
