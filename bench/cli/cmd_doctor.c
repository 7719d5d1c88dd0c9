/* hilbench doctor — what this host can reach: USB devices (libusb), serial ports
 * (libserialport), the external tools and their versions, udev/group permissions, and per
 * board profile what is present and what is missing. */
#include <getopt.h>
#include <grp.h>
#include <libserialport.h>
#include <libusb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hb_cli.h"
#include "hb_flash.h"
#include "hb_ftdi_chips.h"
#include "hb_params.h"

#include "hb_board.h"
#include "hb_vboard_proc.h"

#define MAX_USB 64
struct usb_dev {
	uint16_t vid, pid;
	uint8_t bus, addr, n_if;
	char serial[64], product[64];
	int open_err; /* libusb error opening it (0 = strings read) */
};

static int is_ftdi(uint16_t vid)
{
	return vid == 0x0403;
}

static void help(void)
{
	printf("Usage: hilbench doctor [--board NAME]\n"
	       "\n"
	       "Checks what this host can reach and says what is missing:\n"
	       "  USB devices (VID:PID, serial, interfaces) and FTDI adapters, through libusb;\n"
	       "  serial ports with their USB VID:PID and serial number (libserialport);\n"
	       "  openFPGALoader, yosys, nextpnr-ice40/ecp5/xilinx, icepack/icetime, ecppack, vivado,\n"
	       "  verilator, ser2net;\n"
	       "  udev rules and group membership for FTDI access;\n"
	       "  for each board profile (or only --board NAME): flasher, USB adapter, UART and\n"
	       "  power-monitor buses present or missing.\n"
	       "\n"
	       "Example:\n"
	       "  hilbench doctor\n"
	       "  hilbench doctor --board icebreaker\n");
}

static int list_usb(struct usb_dev *d, int max, int *nd)
{
	libusb_context *ctx = NULL;
	*nd = 0;
	int r = libusb_init(&ctx);
	if (r != 0) {
		printf("  libusb cannot start (%s): no USB subsystem is visible to this host\n",
		       libusb_error_name(r));
		return -1;
	}
	libusb_device **list = NULL;
	ssize_t n = libusb_get_device_list(ctx, &list);
	for (ssize_t i = 0; i < n && *nd < max; i++) {
		struct libusb_device_descriptor desc;
		if (libusb_get_device_descriptor(list[i], &desc) != 0)
			continue;
		struct usb_dev *u = &d[(*nd)++];
		memset(u, 0, sizeof *u);
		u->vid = desc.idVendor;
		u->pid = desc.idProduct;
		u->bus = libusb_get_bus_number(list[i]);
		u->addr = libusb_get_device_address(list[i]);
		struct libusb_config_descriptor *cfg;
		if (libusb_get_active_config_descriptor(list[i], &cfg) == 0) {
			u->n_if = cfg->bNumInterfaces;
			libusb_free_config_descriptor(cfg);
		}
		libusb_device_handle *h;
		u->open_err = libusb_open(list[i], &h);
		if (u->open_err == 0) {
			if (desc.iSerialNumber)
				libusb_get_string_descriptor_ascii(h, desc.iSerialNumber,
								   (unsigned char *)u->serial,
								   sizeof u->serial);
			if (desc.iProduct)
				libusb_get_string_descriptor_ascii(h, desc.iProduct,
								   (unsigned char *)u->product,
								   sizeof u->product);
			libusb_close(h);
		}
	}
	if (list)
		libusb_free_device_list(list, 1);
	libusb_exit(ctx);
	return 0;
}

static void print_usb(const struct usb_dev *d, int nd, int usb_ok)
{
	const struct libusb_version *v = libusb_get_version();
	printf("USB (libusb %u.%u.%u):\n", v->major, v->minor, v->micro);
	if (usb_ok != 0 || (nd == 0 && access("/dev/bus/usb", F_OK) != 0))
		printf("  No USB devices are visible: this host has no USB at all (libusb sees no "
		       "bus, /dev/bus/usb does not exist; a container or VM needs the devices passed "
		       "through). Nothing here can be plugged in.\n");
	else if (nd == 0)
		printf("  No USB devices are visible (not even a root hub: check permissions on "
		       "/dev/bus/usb).\n");
	int perm = 0;
	for (int i = 0; i < nd; i++) {
		const struct usb_dev *u = &d[i];
		printf("  %04x:%04x bus %u addr %u, %u interface%s%s%s%s%s%s\n", u->vid, u->pid,
		       u->bus, u->addr, u->n_if, u->n_if == 1 ? "" : "s",
		       is_ftdi(u->vid) ? " [FTDI]" : "", u->product[0] ? ", " : "", u->product,
		       u->serial[0] ? ", serial " : "", u->serial);
		if (u->open_err == LIBUSB_ERROR_ACCESS) {
			printf("    cannot open: permission denied%s\n",
			       is_ftdi(u->vid) ? " (install the udev rule, see below)" : "");
			perm += is_ftdi(u->vid);
		}
		if (is_ftdi(u->vid) && u->n_if > 1)
			printf("    ftdi://%04x:%04x%s%s/1 .. /%u (interfaces A..%c)\n", u->vid,
			       u->pid, u->serial[0] ? ":" : "", u->serial, u->n_if,
			       'A' + u->n_if - 1);
	}
	if (perm)
		printf("  hint: FTDI devices need a udev rule: sudo cp "
		       "docs/99-hilbench-ftdi.rules /etc/udev/rules.d/ && sudo udevadm control "
		       "--reload && replug\n");
}

static void print_serial(void)
{
	struct sp_port **ports = NULL;
	printf("Serial ports (libserialport %s):\n", sp_get_package_version_string());
	if (sp_list_ports(&ports) != SP_OK || !ports || !ports[0]) {
		printf("  No serial ports found.\n");
		if (ports)
			sp_free_port_list(ports);
		return;
	}
	for (int i = 0; ports[i]; i++) {
		struct sp_port *p = ports[i];
		const char *desc = sp_get_port_description(p);
		printf("  %s", sp_get_port_name(p));
		if (sp_get_port_transport(p) == SP_TRANSPORT_USB) {
			int vid = 0, pid = 0;
			sp_get_port_usb_vid_pid(p, &vid, &pid);
			const char *sn = sp_get_port_usb_serial(p);
			printf("  USB %04x:%04x%s%s", vid, pid, sn ? " serial " : "", sn ? sn : "");
			if (sn)
				printf("  (serial:usb-serial=%s)", sn);
		}
		if (desc)
			printf("  %s", desc);
		putchar('\n');
	}
	sp_free_port_list(ports);
}

struct tool {
	const char *name;
	const char *version_args; /* NULL: presence only */
	const char *why;
};

static const struct tool tools[] = {
	{"openFPGALoader", "-V", "flashing boards"},
	{"yosys", "-V", "gateware synthesis"},
	{"nextpnr-ice40", "--version", "iCE40 place and route"},
	{"nextpnr-ecp5", "--version", "ECP5 place and route"},
	{"icepack", NULL, "iCE40 bitstreams"},
	{"icetime", NULL, "iCE40 timing"},
	{"ecppack", NULL, "ECP5 bitstreams for hilbench build"},
	{"vivado", NULL, "Artix-7 bitstreams for hilbench build"},
	{"nextpnr-xilinx", NULL, "Artix-7 bitstreams with openXC7 where Vivado is absent"},
	{"verilator", "--version", "the virtual board"},
	{"ser2net", "-v", "serial ports over the network (rfc2217)"},
};

static int find_in_path(const char *name, char *out, size_t cap)
{
	const char *path = getenv("PATH");
	if (!path)
		return 0;
	while (*path) {
		const char *end = strchr(path, ':');
		size_t n = end ? (size_t)(end - path) : strlen(path);
		snprintf(out, cap, "%.*s/%s", (int)n, path, name);
		if (n && access(out, X_OK) == 0)
			return 1;
		path += n + (end ? 1 : 0);
	}
	/* sbin is not always in a user's PATH */
	snprintf(out, cap, "/usr/sbin/%s", name);
	return access(out, X_OK) == 0;
}

static void first_line(const char *exe, const char *args, char *out, size_t cap)
{
	char cmd[700];
	out[0] = 0;
	snprintf(cmd, sizeof cmd, "timeout 5 '%s' %s </dev/null 2>&1", exe, args);
	FILE *p = popen(cmd, "r");
	if (!p)
		return;
	while (fgets(out, (int)cap, p)) {
		out[strcspn(out, "\r\n")] = 0;
		if (out[0])
			break;
	}
	pclose(p);
}

static void print_tools(void)
{
	printf("Tools:\n");
	for (size_t i = 0; i < sizeof tools / sizeof tools[0]; i++) {
		char path[512], ver[200] = "";
		int ok;
		if (strcmp(tools[i].name, "openFPGALoader") == 0)
			ok = hb_flash_find_program(path, sizeof path) == HB_OK;
		else
			ok = find_in_path(tools[i].name, path, sizeof path);
		if (!ok) {
			printf("  %-15s missing (%s)\n", tools[i].name, tools[i].why);
			continue;
		}
		if (tools[i].version_args)
			first_line(path, tools[i].version_args, ver, sizeof ver);
		printf("  %-15s %s%s%s\n", tools[i].name, path, ver[0] ? "  " : "", ver);
	}
}

static int in_group(const char *name)
{
	struct group *gr = getgrnam(name);
	if (!gr)
		return -1;
	gid_t gs[128];
	int n = getgroups(128, gs);
	if (getegid() == gr->gr_gid)
		return 1;
	for (int i = 0; i < n; i++)
		if (gs[i] == gr->gr_gid)
			return 1;
	return 0;
}

static void print_permissions(void)
{
	printf("Permissions:\n");
	struct stat sb;
	int rule = stat("/etc/udev/rules.d/99-hilbench-ftdi.rules", &sb) == 0 ||
		   stat("/lib/udev/rules.d/60-openfpgaloader.rules", &sb) == 0 ||
		   stat("/usr/lib/udev/rules.d/60-openfpgaloader.rules", &sb) == 0;
	printf("  FTDI udev rule: %s\n",
	       rule ? "installed"
		    : "none found (sudo cp docs/99-hilbench-ftdi.rules /etc/udev/rules.d/)");
	const char *groups[] = {"plugdev", "dialout"};
	for (int i = 0; i < 2 && geteuid() != 0; i++) {
		int g = in_group(groups[i]);
		printf("  group %-8s %s\n", groups[i],
		       g < 0 ? "does not exist on this host"
		       : g   ? "member"
			     : "not a member (sudo usermod -aG GROUP $USER, then log in again)");
	}
	if (geteuid() == 0)
		printf("  running as root: permissions will not show up as problems here\n");
}

/* The host has USB at all: libusb started and sees at least its root hubs (or the device
 * directory exists). Without it nothing can be "plugged in". */
static int host_has_usb(int usb_ok, int nd)
{
	return usb_ok == 0 && (nd > 0 || access("/dev/bus/usb", F_OK) == 0);
}

static int usb_present(const struct usb_dev *d, int nd, uint16_t vid, uint16_t pid,
		       const char *serial)
{
	for (int i = 0; i < nd; i++)
		if (d[i].vid == vid && d[i].pid == pid &&
		    (!serial || !*serial || strcmp(d[i].serial, serial) == 0))
			return 1;
	return 0;
}

/* "present", "MISSING (not plugged in)" or "MISSING (this host has no USB ...)". */
static const char *usb_state(const struct usb_dev *d, int nd, int usb_ok, uint16_t vid,
			     uint16_t pid, const char *serial)
{
	if (!host_has_usb(usb_ok, nd))
		return "MISSING (this host has no USB at all, see above)";
	return usb_present(d, nd, vid, pid, serial) ? "present" : "MISSING (not plugged in)";
}

static const char *chip_name(uint16_t vid, uint16_t pid)
{
	const struct hb_ftdi_chip *c = hb_ftdi_chip_find(vid, pid);
	return c ? c->name : "USB adapter";
}

static void check_board(const struct hb_board *b, const struct usb_dev *d, int nd, int usb_ok)
{
	printf("  %s (%s): %s\n", b->name, hb_family_name(b->family), b->description);
	if (b->family == HB_FAMILY_SIM) {
		char exe[1024];
		if (hb_vboard_find_exe(exe, sizeof exe) == HB_OK)
			printf("    virtual board: hilbench-vboard %s present; started by hilbench "
			       "(nothing to plug in)\n", exe);
		else
			printf("    virtual board: hilbench-vboard MISSING (build it: cmake --build "
			       "build --target hilbench-vboard; or set HB_VBOARD)\n");
		return;
	}
	/* the exact command `flash` and `run` would give, from the one argument builder */
	struct hb_flash_opts fo;
	struct hb_flash_argv fa;
	char cmd[1024] = "";
	hb_flash_opts_board(&fo, b->ofl_board, b->ofl_cable, b->usb_serial, b->flash_interface);
	fo.bitstream = "BITSTREAM";
	enum hb_status fst = hb_flash_build_argv(&fo, &fa);
	if (fst == HB_OK || fst == HB_ERR_NOTFOUND) {
		fa.argv[0] = "openFPGALoader";
		hb_flash_format(&fa, cmd, sizeof cmd);
	}
	printf("    flash: %s (interface %c): %s\n", cmd, b->flash_interface,
	       fst == HB_OK ? "tool present" : "tool MISSING (apt install openfpgaloader)");
	printf("    USB %s %04x:%04x%s%s, UART on interface %c, programming on %c: %s\n",
	       chip_name(b->usb_vid, b->usb_pid), b->usb_vid, b->usb_pid,
	       b->usb_serial[0] ? " serial " : "", b->usb_serial, b->usb_interface,
	       b->flash_interface, usb_state(d, nd, usb_ok, b->usb_vid, b->usb_pid, b->usb_serial));
	printf("    UART %s @ %u baud\n", b->uart_uri, b->uart_baud);
	for (size_t i = 0; i < b->n_monitors; i++) {
		const struct hb_board_monitor *m = &b->monitors[i];
		char state[300] = "";
		if (strncmp(m->bus, "i2c-dev:", 8) == 0) {
			char dev[200];
			snprintf(dev, sizeof dev, "%.*s", (int)strcspn(m->bus + 8, "?"), m->bus + 8);
			snprintf(state, sizeof state, "%s %s", dev,
				 access(dev, F_OK) == 0 ? "present" : "MISSING");
		} else if (strncmp(m->bus, "ftdi-i2c:", 9) == 0) {
			/* the I2C master is its own adapter (an FT232H), not the board's UART */
			char tmp[256], *scheme, *target, *query;
			struct hb_ftdi_target t;
			snprintf(tmp, sizeof tmp, "%s", m->bus);
			if (hb_uri_split(tmp, &scheme, &target, &query) == 0 &&
			    hb_ftdi_parse_target(target, &t) == HB_OK)
				snprintf(state, sizeof state, "I2C master: %s %04x:%04x%s%s: %s",
					 chip_name((uint16_t)t.vid, (uint16_t)t.pid), t.vid, t.pid,
					 t.serial[0] ? " serial " : "", t.serial,
					 usb_state(d, nd, usb_ok, (uint16_t)t.vid, (uint16_t)t.pid,
						   t.serial));
		}
		printf("    monitor %s: %s @ 0x%02x on %s%s%s\n", m->rail, m->chip, m->address,
		       m->bus, state[0] ? "; " : "", state);
	}
}

int hb_cmd_doctor(struct hb_global *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{"board", required_argument, 0, 'b'},
		{"help", no_argument, 0, 'h'},
		{0, 0, 0, 0},
	};
	const char *board = NULL;
	int c;
	(void)g;
	while ((c = getopt_long(argc, argv, "b:h", opts, NULL)) != -1) {
		switch (c) {
		case 'b': board = optarg; break;
		case 'h': help(); return HB_EXIT_OK;
		default: return hb_usage_error("doctor", "unknown option");
		}
	}
	if (optind < argc)
		return hb_usage_error("doctor", "unexpected argument '%s'", argv[optind]);

	static struct usb_dev devs[MAX_USB];
	int nd = 0;
	int usb_ok = list_usb(devs, MAX_USB, &nd);
	print_usb(devs, nd, usb_ok);
	print_serial();
	print_tools();
	print_permissions();
	char err[512];
	printf("Boards:\n");
	if (board) {
		struct hb_board b;
		if (hb_board_find(board, g->boards_dir, &b, err, sizeof err) != HB_OK)
			return hb_usage_error("doctor", "--board %s: %s", board, err);
		check_board(&b, devs, nd, usb_ok);
	} else {
		struct hb_board *list = NULL;
		size_t n = 0;
		if (hb_board_list(g->boards_dir, &list, &n, err, sizeof err) != HB_OK) {
			printf("  cannot list board profiles: %s\n", err);
		} else {
			for (size_t i = 0; i < n; i++)
				check_board(&list[i], devs, nd, usb_ok);
			free(list);
		}
	}
	return HB_EXIT_OK;
}
