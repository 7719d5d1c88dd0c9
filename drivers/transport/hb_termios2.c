/* hilbench — arbitrary baud rates through termios2/BOTHER (Linux).
 * Kept in its own file: <asm/termbits.h> clashes with <termios.h>. */
#include <asm/ioctls.h>
#include <asm/termbits.h>
#include <errno.h>

int ioctl(int fd, unsigned long req, ...);
int hb_termios2_set_baud(int fd, unsigned baud);

/* Returns 0 or -1 with errno set. */
int hb_termios2_set_baud(int fd, unsigned baud)
{
	struct termios2 t2;
	if (ioctl(fd, TCGETS2, &t2) != 0)
		return -1;
	t2.c_cflag &= ~(tcflag_t)CBAUD;
	t2.c_cflag |= BOTHER;
	t2.c_ispeed = baud;
	t2.c_ospeed = baud;
	t2.c_cflag &= ~(tcflag_t)(CBAUD << IBSHIFT);
	t2.c_cflag |= BOTHER << IBSHIFT;
	return ioctl(fd, TCSETS2, &t2);
}
