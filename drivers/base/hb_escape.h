/* hilbench — text that is safe to print on a terminal.
 *
 * Messages quote things hilbench did not write: values from a user's file, bytes from a
 * serial line, a tool's stderr. A control byte among them (ESC starts a terminal command
 * sequence; a newline fakes a log line) must never reach the terminal raw. hb_escape()
 * keeps printable ASCII and well-formed UTF-8 text and writes everything else as an escape:
 * \n \r \t, and \xNN for the other control bytes (C0, DEL, the C1 range U+0080..U+009F; U+009B
 * is a one-byte CSI), for the code points that reorder text or break lines (bidi controls,
 * U+2028/9: each byte of their UTF-8) and for bytes that are not valid UTF-8. A backslash stays as it is (so escaping twice changes
 * nothing). hb_log and the command-line error functions escape every message they print. */
#ifndef HB_ESCAPE_H
#define HB_ESCAPE_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Escape n bytes of s into out (cap > 0, always NUL-terminated). If the result does not
 * fit it is cut at an escape or character boundary and ends in "...". Returns out. */
char *hb_escape(char *out, size_t cap, const void *s, size_t n);

/* The same for a NUL-terminated string. */
char *hb_escape_str(char *out, size_t cap, const char *s);

/* Escape a NUL-terminated string in place (buffer of cap bytes). Returns buf. */
char *hb_escape_inplace(char *buf, size_t cap);

#ifdef __cplusplus
}
#endif
#endif
