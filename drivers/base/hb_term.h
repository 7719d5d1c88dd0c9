/* hilbench — text from outside, printed so that it cannot drive the terminal.
 *
 * Names, descriptions, labels, paths and device strings come from files other people wrote
 * (network files, board profiles), from devices (USB strings, tool output) and from the run
 * database. Printed as they are, an ANSI escape in a network's description could move the
 * cursor, rewrite the results table or set the window title. These are the printing helpers
 * for such text, on the rules of hb_escape() (hb_escape.h): printable ASCII and well-formed
 * UTF-8 pass; \n \r \t and \xNN for every other control byte (C0, DEL, the C1 controls,
 * U+009B being a one-byte CSI), for the bidi controls and U+2028/9, and for bytes that are
 * not UTF-8. A backslash stays as it is (docs/security.md). */
#ifndef HB_TERM_H
#define HB_TERM_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* hb_escape_str() into out (cap bytes, NUL-terminated; NULL prints as "(null)"). Text that
 * does not fit ends in "..." (never half an escape). Returns strlen(out). */
size_t hb_term_escape(const char *s, char *out, size_t cap);

/* The same into one of 8 rotating thread-local buffers of 1024 bytes, for printf arguments:
 *   printf("%s on %s\n", hb_term(net), hb_term(board));
 * At most 8 calls per statement; longer text is cut (use hb_term_fputs for long text). */
const char *hb_term(const char *s);

/* Write s escaped, any length. keep_newlines: '\n' is written as a newline (multi-line text
 * such as a tool's output); 0: as "\n" (one-line fields). Returns 0, or EOF on a write error. */
int hb_term_fputs(const char *s, FILE *f, int keep_newlines);

/* printf into f with the whole formatted text escaped except '\n' (for messages whose
 * arguments carry outside text). Returns the bytes of the formatted text, or -1. */
int hb_term_fprintf(FILE *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int hb_term_vfprintf(FILE *f, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

/* 1 when s would print unchanged (no escape needed). */
int hb_term_is_clean(const char *s);

/* Building blocks for other encoders (JSON, gnuplot): the length of the valid UTF-8
 * sequence at s (left bytes available) with its code point in *cp, 0 when s does not start
 * one (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF). */
size_t hb_utf8_seq(const char *s, size_t left, uint32_t *cp);
/* 1 for a code point hb_escape() escapes although it is valid UTF-8 (and so a JSON or
 * gnuplot writer must encode): C0, DEL, C1, the bidi controls and U+2028/9. */
int hb_term_unsafe_cp(uint32_t cp);

#ifdef __cplusplus
}
#endif
#endif
