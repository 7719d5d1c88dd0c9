/* hilbench — passing outside strings to gnuplot safely.
 *
 * A gnuplot script is code: a title or a file name pasted into it unescaped can end the
 * command (a newline or a quote) and run another one (`system`, backquotes). Every string that
 * comes from outside (a file, the database, the command line) goes through hb_gp_quote(): a
 * single-quoted gnuplot string (no backslash or backquote processing inside), with ' doubled
 * and control characters, backquotes and @ (macro) replaced. Labels also get `noenhanced` where
 * they are used, so ^ _ { } print as themselves. */
#ifndef HB_GNUPLOT_H
#define HB_GNUPLOT_H

#include <stddef.h>

/* Write s as a single-quoted gnuplot string into out (always terminated; truncated to fit
 * with the closing quote kept). */
void hb_gp_quote(char *out, size_t cap, const char *s);

/* Run gnuplot on a script with its standard output going to out_path (created or truncated):
 * the script must not `set output`, so the output file name never appears in gnuplot code.
 * Returns 0, or -1 with the reason in err (gnuplot missing, a file that cannot be written, a
 * gnuplot error). */
int hb_gp_run(const char *script, const char *out_path, char *err, size_t errlen);

#endif
