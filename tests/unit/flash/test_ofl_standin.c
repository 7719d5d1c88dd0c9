/* The openFPGALoader stand-in of board twins (gateware/twin/ofl_standin.c): it refuses what
 * the installed openFPGALoader refuses (compared output for output), refuses what would
 * not load on the board the twin describes (UART channel, wrong chip, wrong file), records
 * what it accepts, and hilbench's flasher (hb_flash_run) runs it unchanged.
 * Labelled sim: it needs the installed openFPGALoader, whose tables it checks against. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hb_flash.h"
#include "hb_ofl_twin.h"
#include "ofl_bitfile.h"
#include "ofl_test_util.h"

static char dir[64], rec[128], tables[128], bin[128], bit[128];
static const char *real;

static void rm_rf(void)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

/* The twin of an iCEBreaker: FT2232H, programs on A, UART on B. */
static void setup(void)
{
	real = real_ofl();
	strcpy(dir, "/tmp/hb-ofl-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(rec, sizeof rec, "%s/loads.jsonl", dir);
	snprintf(tables, sizeof tables, "%s/tables", dir);
	snprintf(bin, sizeof bin, "%s/top.bin", dir);
	snprintf(bit, sizeof bit, "%s/top.bit", dir);
	cr_assert_eq(hb_ofl_bitfile_placeholder(HB_OFL_ICE40, bin, 1000), HB_OK);
	cr_assert_eq(hb_ofl_bitfile_placeholder(HB_OFL_ECP5, bit, 1000), HB_OK);
	struct hb_ofl_twin t = {.standin = standin_path(), .real = real, .family = "ice40",
				.flash_interface = 'A', .uart_interface = 'B', .vid = 0x0403,
				.pid = 0x6010, .record = rec, .tables = tables};
	cr_assert_eq(hb_ofl_twin_setenv(&t), HB_OK);
}

static void teardown(void)
{
	hb_ofl_twin_unsetenv();
	rm_rf();
}

TestSuite(ofl_standin, .init = setup, .fini = teardown, .timeout = 120);

/* argv for the stand-in or the real program: prog, then the arguments, NULL-ended. */
#define ARGV(...) ((char *const[]){"openFPGALoader", __VA_ARGS__, NULL})

static void standin(char *const argv[], struct proc_out *r)
{
	run_prog(getenv("HB_OPENFPGALOADER"), argv, r);
}

static size_t n_loads(void)
{
	static struct hb_ofl_load l[8];
	size_t n;
	cr_assert_eq(hb_ofl_twin_read_loads(rec, l, 8, &n), HB_OK);
	return n;
}

Test(ofl_standin, what_the_real_program_refuses_before_usb_is_refused_identically)
{
	/* Every case ends inside openFPGALoader before it opens a USB device, so running the
	 * real program here is safe on any machine. The stand-in must print the same bytes on
	 * stdout and stderr and exit the same way. */
	char *const *cases[] = {
		ARGV("-b", "nosuch", "-m", bin),
		ARGV("-c", "nosuch", "-m", bin),
		ARGV("-b", "ice40_generic", "-c", "nosuch", "-m", bin),
		ARGV("-b", "ice40_generic", "--ftdi-channel", "4", "-m", bin),
		ARGV("--ftdi-channel=-1", "-b", "ice40_generic", bin),
		ARGV("--ftdi-channel", "x", bin),
		ARGV("-b", "ice40_generic", "--bogus", bin),
		ARGV("-b", "ice40_generic", "-m"),
		ARGV("-c", "usb-blaster", "--ftdi-channel", "0", bin),
		ARGV("-c", "usb-blaster", "--ftdi-serial", "X", bin),
		ARGV("-v", "--quiet", bin),
		ARGV("--verbose-level", "1", "--quiet", bin),
		ARGV("-mbice40_generic", bin),
		ARGV("---x"),
		ARGV("--verify=maybe", bin),
		ARGV("-b"),
		ARGV("-f", "-m", "--dump-flash", bin),
		/* answered by the real program itself */
		ARGV("-V"),
		ARGV("--list-boards"),
		ARGV("--list-cables", "-b", "nosuch"),
		ARGV("-h", "-b", "x"),
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		static struct proc_out r, s;
		run_prog(real, cases[i], &r);
		standin(cases[i], &s);
		char what[256] = "";
		for (int k = 1; cases[i][k]; k++)
			snprintf(what + strlen(what), sizeof what - strlen(what), " %s", cases[i][k]);
		cr_assert_eq(s.code, r.code, "%s: exit %d, openFPGALoader %d\n%s", what, s.code,
			     r.code, s.err);
		cr_assert_str_eq(s.out, r.out, "%s: stdout", what);
		cr_assert_str_eq(s.err, r.err, "%s: stderr", what);
	}
	cr_assert_eq(n_loads(), 0, "nothing was loaded");
}

Test(ofl_standin, accepted_load_prints_progress_and_is_recorded)
{
	struct proc_out r;
	standin(ARGV("-b", "ice40_generic", "-c", "ft2232", "--ftdi-channel", "0", "-m", bin), &r);
	cr_assert_eq(r.code, 0, "%s", r.err);
	cr_assert_str_empty(r.err);
	cr_assert(strstr(r.out, "write to ram\nBoard default cable overridden with ft2232\n"
				"Parse file DONE\n\rLoading to CRAM: ["), "%s", r.out);
	cr_assert(strstr(r.out, "] 100.00%\nDone\nWait for CDONE DONE\n"), "%s", r.out);
	struct hb_ofl_load l[4];
	size_t n;
	cr_assert_eq(hb_ofl_twin_read_loads(rec, l, 4, &n), HB_OK);
	cr_assert_eq(n, 1);
	cr_assert_str_eq(l[0].board, "ice40_generic");
	cr_assert_str_eq(l[0].cable, "ft2232");
	cr_assert_eq(l[0].channel, 0);
	cr_assert_str_empty(l[0].serial);
	cr_assert_eq(l[0].to_flash, 0);
	cr_assert_eq(l[0].verify, 0);
	cr_assert_str_eq(l[0].family, "ice40");
	cr_assert_str_eq(l[0].file, bin);
	cr_assert_str_eq(l[0].type, "bin");
	struct stat sb;
	cr_assert_eq(stat(bin, &sb), 0);
	cr_assert_eq(l[0].size, (long long)sb.st_size);
	char hex[65];
	sha256sum(bin, hex);
	cr_assert_str_eq(l[0].sha256, hex);

	/* a second load is a second line, in order: flash with verify this time */
	standin(ARGV("-b", "ice40_generic", "--ftdi-channel", "0", "-f", "--verify", bin), &r);
	cr_assert_eq(r.code, 0, "%s", r.err);
	cr_assert(strstr(r.out, "Verifying write (May take time)\n"), "%s", r.out);
	cr_assert_eq(hb_ofl_twin_read_loads(rec, l, 4, &n), HB_OK);
	cr_assert_eq(n, 2);
	cr_assert_eq(l[1].to_flash, 1);
	cr_assert_eq(l[1].verify, 1);
	cr_assert_str_eq(l[1].cable, "ft2232", "the board's default cable");
}

Test(ofl_standin, uart_channel_is_refused)
{
	struct proc_out r;
	standin(ARGV("-b", "ice40_generic", "-c", "ft2232", "--ftdi-channel", "1", "-m", bin), &r);
	cr_assert_eq(r.code, 1);
	cr_assert(strstr(r.err, "Error: hilbench twin: --ftdi-channel 1 (interface B) is the "
				"board's UART"), "%s", r.err);
	cr_assert(strstr(r.err, "interface A (--ftdi-channel 0)"), "%s", r.err);
	/* a cable whose own default is interface B is the same mistake */
	standin(ARGV("-b", "ice40_generic", "-c", "ft2232_b", "-m", bin), &r);
	cr_assert_eq(r.code, 1);
	cr_assert(strstr(r.err, "cable ft2232_b (interface B, no --ftdi-channel) is the board's "
				"UART"), "%s", r.err);
	/* and channel 3 of a two-interface chip does not exist */
	standin(ARGV("-b", "ice40_generic", "--ftdi-channel", "3", "-m", bin), &r);
	cr_assert_eq(r.code, 1);
	cr_assert(strstr(r.err, "has only interfaces A and B"), "%s", r.err);
	cr_assert_eq(n_loads(), 0);
}

Test(ofl_standin, without_an_expected_channel_the_uart_is_still_refused)
{
	unsetenv("HB_OFL_EXPECT_CHANNEL");
	struct proc_out r;
	standin(ARGV("-b", "ice40_generic", "--ftdi-channel", "1", "-m", bin), &r);
	cr_assert_eq(r.code, 1);
	cr_assert(strstr(r.err, "is the board's UART (HB_OFL_UART_CHANNEL=1), not the interface "
				"that programs the FPGA"), "%s", r.err);
	standin(ARGV("-b", "ice40_generic", "--ftdi-channel", "0", "-m", bin), &r);
	cr_assert_eq(r.code, 0, "%s", r.err);
}

Test(ofl_standin, a_cable_for_another_chip_finds_no_device)
{
	struct proc_out r;
	standin(ARGV("-b", "ice40_generic", "-c", "ft231X", "--ftdi-channel", "0", "-m", bin), &r);
	cr_assert_eq(r.code, 1);
	cr_assert(strstr(r.err, "cable ft231X is 0403:6015; the board's FTDI is 0403:6010"),
		  "%s", r.err);
	cr_assert(strstr(r.err, "unable to open ftdi device: -3 (device not found)\n"
				"Error: Failed to claim cable\n"), "%s", r.err);
	setenv("HB_OFL_USB_SERIAL", "FT4ICE", 1);
	standin(ARGV("-b", "ice40_generic", "--ftdi-serial", "FT4XYZ", "-m", bin), &r);
	cr_assert_eq(r.code, 1);
	cr_assert(strstr(r.err, "unable to open ftdi device: -3"), "%s", r.err);
	standin(ARGV("-b", "ice40_generic", "--ftdi-serial", "FT4ICE", "--ftdi-channel", "0",
		     "-m", bin), &r);
	cr_assert_eq(r.code, 0, "%s", r.err);
	cr_assert_eq(n_loads(), 1);
	/* the same chip under another cable name loads, with a note */
	standin(ARGV("-b", "ice40_generic", "-c", "bus_blaster", "--ftdi-channel", "0", "-m", bin),
		&r);
	cr_assert_eq(r.code, 0, "%s", r.err);
	cr_assert(strstr(r.out, "hilbench twin: note: cable bus_blaster replaces the board's own "
				"cable ft2232"), "%s", r.out);
	/* without the chip's VID:PID a cable that is no FTDI cannot be emulated */
	unsetenv("HB_OFL_USB");
	standin(ARGV("-b", "ice40_generic", "-c", "usb-blaster", "-m", bin), &r);
	cr_assert_eq(r.code, 2);
	cr_assert(strstr(r.err, "cable usb-blaster is not an FTDI cable"), "%s", r.err);
	cr_assert_eq(n_loads(), 2);
}

Test(ofl_standin, sram_and_flash_options_must_agree)
{
	struct proc_out r;
	standin(ARGV("-b", "ice40_generic", "--ftdi-channel", "0", "-m", "--verify", bin), &r);
	cr_assert_eq(r.code, 1);
	cr_assert(strstr(r.err, "--verify without -f (--write-flash)"), "%s", r.err);
	standin(ARGV("-b", "ice40_generic", "--ftdi-channel", "0", "-f", "-m", bin), &r);
	cr_assert_eq(r.code, 1);
	cr_assert(strstr(r.err, "both -f (--write-flash) and -m (--write-sram)"), "%s", r.err);
	cr_assert_eq(n_loads(), 0);
	/* neither: openFPGALoader writes the flash of an SPI (iCE40) board ... */
	standin(ARGV("-b", "ice40_generic", "--ftdi-channel", "0", bin), &r);
	cr_assert_eq(r.code, 0, "%s", r.err);
	struct hb_ofl_load l[2];
	size_t n;
	cr_assert_eq(hb_ofl_twin_read_loads(rec, l, 2, &n), HB_OK);
	cr_assert_eq(l[0].to_flash, 1);
	/* ... and the SRAM of a JTAG (ECP5) board */
	setenv("HB_OFL_FAMILY", "ecp5", 1);
	setenv("HB_OFL_USB", "0403:6015", 1);
	setenv("HB_OFL_UART_CHANNEL", "0", 1);
	standin(ARGV("-b", "ulx3s", bit), &r);
	cr_assert_eq(r.code, 0, "%s", r.err);
	cr_assert(strstr(r.out, "SRAM erase: DONE\n"), "%s", r.out);
	cr_assert_eq(hb_ofl_twin_read_loads(rec, l, 2, &n), HB_OK);
	cr_assert_eq(n, 2);
	cr_assert_eq(l[1].to_flash, 0);
	cr_assert_str_eq(l[1].cable, "ft231X");
}

static void expect_refused(char *const argv[], const char *words)
{
	static struct proc_out r;
	int last = 0;
	while (argv[last + 1])
		last++;
	standin(argv, &r);
	cr_assert_eq(r.code, 1, "%s: exit %d\n%s%s", argv[last], r.code, r.out, r.err);
	cr_assert(strstr(r.err, words), "expected '%s' in:\n%s", words, r.err);
}

Test(ofl_standin, file_type_must_fit_the_family)
{
	char path[160];
	/* iCE40 */
	expect_refused(ARGV("-b", "ice40_generic", "--ftdi-channel", "0", "-m", bit),
		       "file type 'bit' does not fit the board: an iCE40 takes a .bin");
	snprintf(path, sizeof path, "%s/ecp5.bin", dir);
	cr_assert_eq(hb_ofl_bitfile_placeholder(HB_OFL_ECP5, path, 10), HB_OK);
	expect_refused(ARGV("-b", "ice40_generic", "--ftdi-channel", "0", "-m", path),
		       "not an iCE40 bitstream: no synchronisation word 7E AA 99 7E");
	snprintf(path, sizeof path, "%s/top", dir);
	cr_assert_eq(hb_ofl_bitfile_placeholder(HB_OFL_ICE40, path, 10), HB_OK);
	expect_refused(ARGV("-b", "ice40_generic", "--ftdi-channel", "0", "-m", path),
		       "file type 'raw'");
	expect_refused(ARGV("-b", "ice40_generic", "--ftdi-channel", "0", "-m", "/nonexistent/x.bin"),
		       "Error: fail to open /nonexistent/x.bin");
	/* --file-type names the type instead of the name */
	struct proc_out r;
	standin(ARGV("-b", "ice40_generic", "--ftdi-channel", "0", "--file-type", "bin", "-m",
		     path), &r);
	cr_assert_eq(r.code, 0, "%s", r.err);

	/* ECP5 (ULX3S: one FT231X interface for JTAG and UART) */
	setenv("HB_OFL_FAMILY", "ecp5", 1);
	setenv("HB_OFL_USB", "0403:6015", 1);
	setenv("HB_OFL_UART_CHANNEL", "0", 1);
	snprintf(path, sizeof path, "%s/top.xyz", dir);
	cr_assert_eq(hb_ofl_bitfile_placeholder(HB_OFL_ECP5, path, 10), HB_OK);
	expect_refused(ARGV("-b", "ulx3s", "--ftdi-channel", "0", "-m", path),
		       "Error: Failed to claim FPGA device: incompatible file format");
	expect_refused(ARGV("-b", "ulx3s", "--ftdi-channel", "0", "-f", path), "file type 'xyz'");
	expect_refused(ARGV("-b", "ulx3s", "--ftdi-channel", "0", "-m", bin),
		       "not an ECP5 bitstream: no preamble FF FF BD B3");
	snprintf(path, sizeof path, "%s/ice.bit", dir);
	cr_assert_eq(hb_ofl_bitfile_placeholder(HB_OFL_ICE40, path, 10), HB_OK);
	expect_refused(ARGV("-b", "ulx3s", "-m", path), "not an ECP5 bitstream: no preamble");
	snprintf(path, sizeof path, "%s/x7.bit", dir);
	cr_assert_eq(hb_ofl_bitfile_placeholder(HB_OFL_ARTIX7, path, 10), HB_OK);
	expect_refused(ARGV("-b", "ulx3s", "-m", path), "not an ECP5 .bit: it starts 00 09 0F F0");
	snprintf(path, sizeof path, "%s/ecp5.bin", dir);
	standin(ARGV("-b", "ulx3s", "--ftdi-channel", "0", "-m", path), &r);
	cr_assert_eq(r.code, 0, ".bin is an ECP5 type too: %s", r.err);
	expect_refused(ARGV("-b", "ulx3s", "--ftdi-channel", "1", "-m", bit),
		       "the board's FT-X (FT231X) (0403:6015) has only interface A");

	/* Artix-7 (Arty: FT2232H, JTAG on A, UART on B) */
	setenv("HB_OFL_FAMILY", "artix7", 1);
	setenv("HB_OFL_USB", "0403:6010", 1);
	setenv("HB_OFL_UART_CHANNEL", "1", 1);
	expect_refused(ARGV("-b", "arty_a7_35t", "--ftdi-channel", "0", "-m", bin),
		       "file type 'bin' does not fit the board: an Artix-7 takes a .bit");
	expect_refused(ARGV("-b", "arty_a7_35t", "--ftdi-channel", "0", "-m", bit),
		       "not a Xilinx .bit: it starts FF 00");
	snprintf(path, sizeof path, "%s/x7.bit", dir);
	standin(ARGV("-b", "arty_a7_35t", "--ftdi-channel", "0", "-m", path), &r);
	cr_assert_eq(r.code, 0, "%s", r.err);
	cr_assert(strstr(r.out, "load program\n\rFlash SRAM: ["), "%s", r.out);
	cr_assert_eq(n_loads(), 3);
}

Test(ofl_standin, gzip_bitstreams)
{
	char gz[160], cmd[400];
	struct proc_out r;
	snprintf(gz, sizeof gz, "%s/top.bin.gz", dir);
	snprintf(cmd, sizeof cmd, "gzip -c '%s' > '%s'", bin, gz);
	cr_assert_eq(system(cmd), 0);
	standin(ARGV("-b", "ice40_generic", "--ftdi-channel", "0", "-m", gz), &r);
	cr_assert_eq(r.code, 0, "a gzip'd .bin is a .bin: %s", r.err);
	struct hb_ofl_load l[2];
	size_t n;
	cr_assert_eq(hb_ofl_twin_read_loads(rec, l, 2, &n), HB_OK);
	cr_assert_str_eq(l[0].type, "bin");
	snprintf(gz, sizeof gz, "%s/top.gz", dir);
	snprintf(cmd, sizeof cmd, "gzip -c '%s' > '%s'", bin, gz);
	cr_assert_eq(system(cmd), 0);
	expect_refused(ARGV("-b", "ice40_generic", "--ftdi-channel", "0", "-m", gz),
		       "can't determine real type");
	snprintf(gz, sizeof gz, "%s/plain.bin.gz", dir);
	snprintf(cmd, sizeof cmd, "cp '%s' '%s'", bin, gz);
	cr_assert_eq(system(cmd), 0);
	expect_refused(ARGV("-b", "ice40_generic", "--ftdi-channel", "0", "-m", gz),
		       "not gzip (no 1F 8B magic)");
	if (hb_ofl_bitfile_has_zlib()) {
		/* gzip'd content of the wrong family is found out after inflating */
		snprintf(gz, sizeof gz, "%s/ecp5.bin.gz", dir);
		snprintf(cmd, sizeof cmd, "gzip -c '%s' > '%s'", bit, gz);
		cr_assert_eq(system(cmd), 0);
		expect_refused(ARGV("-b", "ice40_generic", "--ftdi-channel", "0", "-m", gz),
			       "not an iCE40 bitstream");
	}
}

Test(ofl_standin, ice40_without_its_board_row_finds_no_fpga)
{
	struct proc_out r;
	standin(ARGV("-c", "ft2232", "--ftdi-channel", "0", "-m", bin), &r);
	cr_assert_eq(r.code, 1);
	cr_assert(strstr(r.err, "Error: no device found\n"), "%s", r.err);
}

Test(ofl_standin, a_second_file_is_refused)
{
	expect_refused(ARGV("-b", "ice40_generic", "--ftdi-channel", "0", "-m", bin, bit),
		       "a second file");
}

Test(ofl_standin, the_standin_says_when_it_cannot_answer)
{
	struct proc_out r;
	standin(ARGV("-b", "ice40_generic", "--freq", "1M", "-m", bin), &r);
	cr_assert_eq(r.code, 2);
	cr_assert(strstr(r.err, "--freq: the stand-in does not emulate this option"), "%s", r.err);
	setenv("HB_OFL_EXPECT_CHANNEL", "7", 1);
	standin(ARGV("-b", "ice40_generic", "-m", bin), &r);
	cr_assert_eq(r.code, 2);
	cr_assert(strstr(r.err, "HB_OFL_EXPECT_CHANNEL=7"), "%s", r.err);
	unsetenv("HB_OFL_FAMILY");
	standin(ARGV("-b", "ice40_generic", "-m", bin), &r);
	cr_assert_eq(r.code, 2);
	cr_assert(strstr(r.err, "HB_OFL_FAMILY=(not set)"), "%s", r.err);
	setenv("HB_OFL_REAL", getenv("HB_OPENFPGALOADER"), 1);
	standin(ARGV("-V"), &r);
	cr_assert_eq(r.code, 2, "it must not run itself as the real program");
	cr_assert(strstr(r.err, "is this stand-in, not openFPGALoader"), "%s", r.err);
	setenv("HB_OFL_REAL", "/nonexistent/openFPGALoader", 1);
	standin(ARGV("-V"), &r);
	cr_assert_eq(r.code, 2);
	cr_assert(strstr(r.err, "HB_OFL_REAL=/nonexistent/openFPGALoader is not an executable"),
		  "%s", r.err);
	setenv("HB_OFL_REAL", real, 1);
	setenv("HB_OFL_FAMILY", "ice40", 1);
	setenv("HB_OFL_EXPECT_CHANNEL", "A", 1); /* letters work too */
	setenv("HB_OFL_RECORD", dir, 1);          /* a directory: cannot append */
	standin(ARGV("-b", "ice40_generic", "--ftdi-channel", "0", "-m", bin), &r);
	cr_assert_eq(r.code, 2);
	cr_assert(strstr(r.err, "cannot append the load to HB_OFL_RECORD"), "%s", r.err);
}

/* The tables are the program's, not the stand-in's: a "real" program with one board and
 * one cable of its own; and they are asked once per program, then cached. */
Test(ofl_standin, tables_come_from_the_real_program_and_are_cached)
{
	char fake[160], count[160];
	snprintf(fake, sizeof fake, "%s/ofl", dir);
	snprintf(count, sizeof count, "%s/count", dir);
	FILE *f = fopen(fake, "w");
	cr_assert_not_null(f);
	fprintf(f, "#!/bin/sh\necho x >> '%s'\n"
		   "if [ \"$1\" = --help ]; then exec '%s' --help; fi\n"
		   "printf 'cable name               vid:pid\\n"
		   "ft2232                   0x0403:6010\\n\\n"
		   "board name               cable_name\\n"
		   "my_board                 ft2232\\n"
		   "a_board_name_of_26_chars_ft2232\\n"
		   "cableless_board          \\n\\n'\n",
		count, real);
	fclose(f);
	chmod(fake, 0755);
	setenv("HB_OFL_REAL", fake, 1);
	struct proc_out r;
	standin(ARGV("-b", "my_board", "--ftdi-channel", "0", "-m", bin), &r);
	cr_assert_eq(r.code, 0, "%s", r.err);
	standin(ARGV("-b", "a_board_name_of_26_chars_", "--ftdi-channel", "0", "-m", bin), &r);
	cr_assert_eq(r.code, 0, "a long name runs into its cable: %s", r.err);
	standin(ARGV("-b", "cableless_board", "--ftdi-channel", "0", "-m", bin), &r);
	cr_assert_eq(r.code, 0, "%s", r.err);
	cr_assert(strstr(r.out, "Board cableless_board has not default cable\n"), "%s", r.out);
	standin(ARGV("-b", "ice40_generic", "-m", bin), &r);
	cr_assert_eq(r.code, 1);
	cr_assert_str_eq(r.err, "Error: cannot find board 'ice40_generic'\n");
	standin(ARGV("-b", "my_board", "-c", "digilent", "-m", bin), &r);
	cr_assert_str_eq(r.err, "error : digilent not found\n");
	char calls[256];
	slurp(count, calls, sizeof calls);
	cr_assert_str_eq(calls, "x\nx\n", "two runs (lists, help), then the cache: %s", calls);
	/* another program (here: the same file, changed) is asked again */
	f = fopen(fake, "a");
	fputs("# changed\n", f);
	fclose(f);
	standin(ARGV("-b", "my_board", "--ftdi-channel", "0", "-m", bin), &r);
	cr_assert_eq(r.code, 0, "%s", r.err);
	slurp(count, calls, sizeof calls);
	cr_assert_str_eq(calls, "x\nx\nx\nx\n");
	/* a damaged cache is not trusted */
	f = fopen(tables, "r+");
	char key[2048];
	cr_assert_not_null(fgets(key, sizeof key, f));
	fputs("lists 5\nbogus", f);
	fclose(f);
	cr_assert_eq(truncate(tables, (off_t)strlen(key) + 13), 0);
	standin(ARGV("-b", "my_board", "--ftdi-channel", "0", "-m", bin), &r);
	cr_assert_eq(r.code, 0, "%s", r.err);
	slurp(count, calls, sizeof calls);
	cr_assert_str_eq(calls, "x\nx\nx\nx\nx\nx\n");
	/* a program that prints no tables is refused, with its name */
	f = fopen(fake, "w");
	fputs("#!/bin/sh\necho hello\n", f);
	fclose(f);
	standin(ARGV("-b", "my_board", "-m", bin), &r);
	cr_assert_eq(r.code, 2);
	cr_assert(strstr(r.err, "printed no --list-cables table"), "%s", r.err);
}

/* ---- through hilbench's flasher ---- */

struct lines {
	int n, progress;
	char last_err[512];
};

static void on_line(void *ctx, int is_err, const char *line)
{
	struct lines *l = ctx;
	l->n++;
	if (!is_err && strstr(line, "Loading to CRAM: [") && strchr(line, '%'))
		l->progress++;
	if (is_err)
		snprintf(l->last_err, sizeof l->last_err, "%s", line);
}

Test(ofl_standin, hb_flash_run_drives_the_standin)
{
	struct lines l = {0};
	struct hb_flash_opts o = {.ofl_board = "ice40_generic", .cable = "ft2232",
				  .ftdi_channel = 0, .bitstream = bin, .timeout_ms = 60000,
				  .on_line = on_line, .ctx = &l};
	struct hb_flash_result res;
	cr_assert_eq(hb_flash_run(&o, &res), HB_OK, "%s", res.message);
	cr_assert_eq(res.exit_code, 0);
	cr_assert_geq(l.progress, 2, "the progress bar arrives step by step (%d)", l.progress);
	cr_assert_eq(n_loads(), 1);

	/* refusals come back as hilbench's clear errors */
	struct {
		const char *board, *cable;
		int channel;
		enum hb_status st;
		const char *words;
	} cases[] = {
		{"ice40_generic", "ft2232", 1, HB_ERR_IO, "is the board's UART"},
		{"nosuch", NULL, 0, HB_ERR_ARG, "openFPGALoader does not know this board"},
		{"ice40_generic", "nosuch", 0, HB_ERR_ARG, "unknown cable"},
		{"ice40_generic", "ft231X", 0, HB_ERR_NOTFOUND, "FTDI cable not found"},
		{NULL, "ft2232", 0, HB_ERR_NOTFOUND, "no FPGA answered on the JTAG chain"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		o = (struct hb_flash_opts){.ofl_board = cases[i].board, .cable = cases[i].cable,
					   .ftdi_channel = cases[i].channel, .bitstream = bin,
					   .timeout_ms = 60000};
		cr_assert_eq(hb_flash_run(&o, &res), cases[i].st, "case %zu: %s", i, res.message);
		cr_assert(strstr(res.message, cases[i].words), "case %zu: %s", i, res.message);
		cr_assert_eq(res.exit_code, 1);
	}
	cr_assert_eq(n_loads(), 1, "no refused load was recorded");
}

Test(ofl_standin, setenv_checks_what_it_is_given)
{
	struct hb_ofl_twin t = {.standin = "/bin/true", .family = "ice40", .flash_interface = 'A',
				.uart_interface = 'B', .vid = 0x0403, .pid = 0x6010, .record = rec};
	cr_assert_eq(hb_ofl_twin_setenv(&t), HB_OK);
	cr_assert_str_eq(getenv("HB_OPENFPGALOADER"), "/bin/true");
	cr_assert_str_eq(getenv("HB_OFL_EXPECT_CHANNEL"), "0");
	cr_assert_str_eq(getenv("HB_OFL_UART_CHANNEL"), "1");
	cr_assert_str_eq(getenv("HB_OFL_USB"), "0403:6010");
	cr_assert_null(getenv("HB_OFL_REAL"), "NULL: from PATH");
	t.family = "sim";
	cr_assert_eq(hb_ofl_twin_setenv(&t), HB_ERR_ARG);
	t.family = "ecp5";
	t.flash_interface = 'E';
	cr_assert_eq(hb_ofl_twin_setenv(&t), HB_ERR_ARG);
	t.flash_interface = 'A';
	t.record = NULL;
	cr_assert_eq(hb_ofl_twin_setenv(&t), HB_ERR_ARG);
	/* a record that is not the stand-in's is an error, not a silent empty list */
	write_bytes(rec, "{\"board\":1}\n", 12);
	struct hb_ofl_load l[1];
	size_t n;
	cr_assert_eq(hb_ofl_twin_read_loads(rec, l, 1, &n), HB_ERR_FORMAT);
	unlink(rec);
	cr_assert_eq(hb_ofl_twin_read_loads(rec, l, 1, &n), HB_OK);
	cr_assert_eq(n, 0, "no file: no loads");
}

Test(ofl_standin, placeholders_pass_their_own_family_only)
{
	static const char *const ext[] = {"bin", "bit", "bit"};
	for (int f = 0; f < 3; f++) {
		char path[160];
		snprintf(path, sizeof path, "%s/p%d.%s", dir, f, ext[f]);
		cr_assert_eq(hb_ofl_bitfile_placeholder((enum hb_ofl_family)f, path, 100), HB_OK);
		static uint8_t data[4096];
		FILE *fp = fopen(path, "rb");
		size_t n = fread(data, 1, sizeof data, fp);
		fclose(fp);
		for (int g = 0; g < 3; g++) {
			char msg[256];
			enum hb_status st = hb_ofl_bitfile_check((enum hb_ofl_family)g, ext[g], 0, data,
								 n, msg, sizeof msg);
			cr_assert_eq(st == HB_OK, f == g, "file of %s checked as %s: %s",
				     hb_ofl_family_name((enum hb_ofl_family)f),
				     hb_ofl_family_name((enum hb_ofl_family)g), msg);
		}
	}
}
