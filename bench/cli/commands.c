/* The command table, in the order `hilbench --help` lists them.
 * Adding a command: write bench/cli/cmd_<name>.c with int hb_cmd_<name>(...),
 * declare it here and add one row. */
#include "hb_cli.h"

int hb_cmd_help(struct hb_global *g, int argc, char **argv);
int hb_cmd_run(struct hb_global *g, int argc, char **argv);
int hb_cmd_boards(struct hb_global *g, int argc, char **argv);
int hb_cmd_model(struct hb_global *g, int argc, char **argv);
int hb_cmd_infer(struct hb_global *g, int argc, char **argv);
int hb_cmd_history(struct hb_global *g, int argc, char **argv);
int hb_cmd_doctor(struct hb_global *g, int argc, char **argv);
int hb_cmd_flash(struct hb_global *g, int argc, char **argv);
int hb_cmd_power(struct hb_global *g, int argc, char **argv);
int hb_cmd_vboard(struct hb_global *g, int argc, char **argv);
int hb_cmd_build(struct hb_global *g, int argc, char **argv);
int hb_cmd_sweep(struct hb_global *g, int argc, char **argv);
int hb_cmd_calibrate(struct hb_global *g, int argc, char **argv);

const struct hb_cmd hb_commands[] = {
	{"help", "show this list, or 'help COMMAND' for a command's help", hb_cmd_help},
	{"run", "measure a network on a board (default: the virtual board) beside the model", hb_cmd_run},
	{"boards", "list the board profiles, or 'boards show NAME' for one", hb_cmd_boards},
	{"model", "SC-NeuroCore's analytic FPGA estimate for a network (no board)", hb_cmd_model},
	{"infer", "one inference with the golden model: class and spike counts (no hardware)", hb_cmd_infer},
	{"history", "list stored runs, or 'history show ID' for one run's table and JSON", hb_cmd_history},
	{"sweep", "measure a calibration campaign (networks x L x seeds x clocks), resumable", hb_cmd_sweep},
	{"calibrate", "fit the board's energy model to a sweep; held-out errors; SC-NeuroCore export", hb_cmd_calibrate},
	{"doctor", "what this host can reach: USB, serial ports, tools, permissions", hb_cmd_doctor},
	{"build", "build a board's bitstream (yosys/nextpnr, Vivado or openXC7), cached by build hash", hb_cmd_build},
	{"flash", "load a bitstream onto a board with openFPGALoader", hb_cmd_flash},
	{"power", "live readout of a board's power monitors (INA219)", hb_cmd_power},
	{"vboard", "run the virtual board (simulated gateware, pty UART, INA219, truth)", hb_cmd_vboard},
};
const unsigned hb_n_commands = sizeof hb_commands / sizeof hb_commands[0];
