/* hilbench — one status enum for the whole code base.
 *
 * HB_OK is 0, every error is negative. Byte counts never travel in this type:
 * functions that move bytes return a status and report the count through an
 * out-parameter (size_t *). */
#ifndef HB_STATUS_H
#define HB_STATUS_H

#ifdef __cplusplus
extern "C" {
#endif

enum hb_status {
	HB_OK = 0,
	HB_ERR = -1,           /* generic failure, see the log for details */
	HB_ERR_ARG = -2,       /* invalid argument (caller bug or bad user input) */
	HB_ERR_NOMEM = -3,     /* allocation failed */
	HB_ERR_IO = -4,        /* I/O error from the OS or a foreign library */
	HB_ERR_TIMEOUT = -5,   /* no (complete) answer within the time limit */
	HB_ERR_NOTFOUND = -6,  /* device, file, board or tool not found */
	HB_ERR_PERM = -7,      /* permission denied (udev rules, file modes) */
	HB_ERR_BUSY = -8,      /* device or interface claimed by someone else */
	HB_ERR_GONE = -9,      /* device vanished (unplugged, pty closed, chip reset for good) */
	HB_ERR_FORMAT = -10,   /* malformed data: file, frame, reply */
	HB_ERR_CRC = -11,      /* integrity check failed */
	HB_ERR_PROTO = -12,    /* peer violated the protocol or answered with an error */
	HB_ERR_UNSUPPORTED = -13, /* feature not available in this build or on this device */
	HB_ERR_RANGE = -14,    /* value out of range (overflow, saturation, oversize) */
	HB_ERR_MISMATCH = -15, /* result differs from what was expected (golden model, identity) */
	HB_ERR_INTERRUPTED = -16, /* stopped by the user (SIGINT) */
	HB_ERR_NACK = -17,     /* I2C address or data byte not acknowledged */
};

/* A short, static, human-readable description ("timeout", "device vanished" ...). */
const char *hb_strerror(enum hb_status st);

/* For the status of loading a user's input file (a board profile, a network file): non-zero
 * when the input is at fault -- missing, malformed, out of range, corrupted (CRC), a
 * directory, unreadable -- which commands report as a usage error (exit 2); zero for the
 * machine's failures (out of memory, an I/O error while reading). */
int hb_input_error(enum hb_status st);

#ifdef __cplusplus
}
#endif
#endif
