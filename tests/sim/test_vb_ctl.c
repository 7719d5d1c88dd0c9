/* The virtual board's control-line parser (gateware/vboard/vb_ctl.c) and its endpoint
 * rules (vb_sock.c): private socket directory, 0600 sockets, TCP on loopback only. */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vb_ctl.h"
#include "vb_sock.h"

static struct hb_vb_ctl_cmd parse(const char *line)
{
	struct hb_vb_ctl_cmd c;
	hb_vb_ctl_parse(line, &c);
	return c;
}

Test(vb_ctl, commands_parse)
{
	cr_assert_eq(parse("now").kind, HB_VB_CTL_NOW);
	cr_assert_eq(parse("  stats\r").kind, HB_VB_CTL_STATS);
	cr_assert_eq(parse("quit").kind, HB_VB_CTL_QUIT);
	struct hb_vb_ctl_cmd c = parse("truth 10 0x20");
	cr_assert_eq(c.kind, HB_VB_CTL_TRUTH);
	cr_assert_eq(c.c0, 10);
	cr_assert_eq(c.c1, 32);
	c = parse("fault drop 0.25");
	cr_assert_eq(c.kind, HB_VB_CTL_FAULT);
	cr_assert_str_eq(c.fault.name, "drop");
	cr_assert(c.fault.has_arg && c.fault.arg == 0.25);
	c = parse("fault\tclear");
	cr_assert_eq(c.kind, HB_VB_CTL_FAULT);
	cr_assert_str_eq(c.fault.name, "clear");
}

Test(vb_ctl, bad_lines_are_errors_with_printable_reasons)
{
	static const struct {
		const char *line, *err;
	} v[] = {
		{"", "empty command"},
		{" \t\r", "empty command"},
		{"truth 5", "usage: truth C0 C1"},
		{"truth -1 5", "C0 and C1 must be cycle numbers"},
		{"truth 1 +5", "C0 and C1 must be cycle numbers"},
		{"truth 1 99999999999999999999999", "C0 and C1 must be cycle numbers"},
		{"truth 0x 5", "C0 and C1 must be cycle numbers"},
		{"truth 5 5", "C0 must be < C1"},
		{"fault", "usage: fault NAME [ARG] | fault clear"},
		{"fault drop nan", NULL},
		{"fault drop inf", NULL},
		{"fault drop -1", NULL},
		{"fault drop@1", NULL},
		{"fault bogus", NULL},
		{"fault \x1b[2J", NULL},
		{"bogus\x1b]0;x\x07", NULL},
	};
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		struct hb_vb_ctl_cmd c = parse(v[i].line);
		cr_assert_eq(c.kind, HB_VB_CTL_ERR, "case %zu", i);
		if (v[i].err)
			cr_assert_str_eq(c.err, v[i].err, "case %zu", i);
		for (const char *p = c.err; *p; p++)
			cr_assert(*p >= 0x20 && *p < 0x7F, "case %zu: byte 0x%02x in the reply", i,
				  (unsigned char)*p);
	}
	cr_assert(strstr(parse("bogus\x1b]0;x\x07").err, "'bogus?]0;x?'"));
}

Test(vb_ctl, fault_specs_refuse_non_finite_numbers)
{
	struct hb_vb_fault_spec f;
	cr_assert_eq(hb_vb_fault_parse("drop=0.5@1.5", &f), HB_OK);
	cr_assert(f.arg == 0.5 && f.at_s == 1.5 && f.has_arg);
	cr_assert_neq(hb_vb_fault_parse("drop=nan", &f), HB_OK);
	cr_assert_neq(hb_vb_fault_parse("drop@inf", &f), HB_OK);
	cr_assert_neq(hb_vb_fault_parse("drop@-1", &f), HB_OK);
	char longspec[300];
	memset(longspec, 'a', sizeof longspec - 1);
	longspec[sizeof longspec - 1] = 0;
	cr_assert_neq(hb_vb_fault_parse(longspec, &f), HB_OK);
}

static char g_dir[64];

static void make_dir(void)
{
	snprintf(g_dir, sizeof g_dir, "/tmp/hb_vb_sock_XXXXXX");
	cr_assert_not_null(mkdtemp(g_dir));
}

Test(vb_sock, socket_directory_must_be_private)
{
	char why[600], d[128];
	make_dir();
	snprintf(d, sizeof d, "%s/new", g_dir);
	cr_assert_eq(hb_vb_private_dir(d, why, sizeof why), HB_OK, "%s", why);
	struct stat st;
	cr_assert_eq(stat(d, &st), 0);
	cr_assert_eq(st.st_mode & 077, 0, "created with mode %o", st.st_mode & 0777);
	cr_assert_eq(hb_vb_private_dir(d, why, sizeof why), HB_OK, "an existing 0700 dir is fine");

	cr_assert_eq(chmod(d, 0755), 0);
	cr_assert_eq(hb_vb_private_dir(d, why, sizeof why), HB_ERR_PERM);
	cr_assert(strstr(why, "mode 0755"), "%s", why);
	cr_assert_eq(chmod(d, 0700), 0);

	char link[160];
	snprintf(link, sizeof link, "%s/link", g_dir);
	cr_assert_eq(symlink(d, link), 0);
	cr_assert_eq(hb_vb_private_dir(link, why, sizeof why), HB_ERR_PERM);
	cr_assert(strstr(why, "symbolic link"), "%s", why);
	unlink(link);

	if (geteuid() == 0) { /* a directory of another user */
		cr_assert_eq(chown(d, 65534, 65534), 0);
		cr_assert_eq(hb_vb_private_dir(d, why, sizeof why), HB_ERR_PERM);
		cr_assert(strstr(why, "belongs to uid 65534"), "%s", why);
	}
	rmdir(d);
	rmdir(g_dir);
}

Test(vb_sock, unix_sockets_are_0600_and_tcp_is_loopback_only)
{
	char path[128];
	make_dir();
	snprintf(path, sizeof path, "%s/ctl.sock", g_dir);
	mode_t old = umask(0);
	int fd = hb_vb_listen_unix(path);
	umask(old);
	cr_assert_geq(fd, 0);
	struct stat st;
	cr_assert_eq(stat(path, &st), 0);
	cr_assert(S_ISSOCK(st.st_mode));
	cr_assert_eq(st.st_mode & 0777, 0600, "socket mode %o", st.st_mode & 0777);
	close(fd);
	unlink(path);
	rmdir(g_dir);

	int tfd = -1, port = 0;
	for (int p = 23000 + (int)(getpid() % 5000); tfd < 0 && p < 30000; p += 7)
		tfd = hb_vb_listen_tcp(port = p);
	cr_assert_geq(tfd, 0);
	struct sockaddr_in a;
	socklen_t al = sizeof a;
	cr_assert_eq(getsockname(tfd, (struct sockaddr *)&a, &al), 0);
	cr_assert_eq(a.sin_family, AF_INET);
	cr_assert_eq(ntohl(a.sin_addr.s_addr), INADDR_LOOPBACK, "bound to %s", inet_ntoa(a.sin_addr));
	cr_assert_eq(ntohs(a.sin_port), port);
	close(tfd);
}
