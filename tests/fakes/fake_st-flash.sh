#!/bin/sh
# A stand-in for st-flash 1.7.0 (Debian's stlink-tools), selected with HB_STFLASH. It prints
# what the real program prints in each case (messages from stlink 1.7.0: src/st-flash/flash.c,
# src/stlink-lib/usb.c, src/common.c) and exits the same way. FAKE_STFLASH_MODE picks the
# case; FAKE_STFLASH_ARGS names a file that receives the arguments, one per line.
if [ -n "$FAKE_STFLASH_ARGS" ]; then
	for a in "$@"; do printf '%s\n' "$a"; done > "$FAKE_STFLASH_ARGS"
fi
T='2026-01-01T00:00:00'
case "${FAKE_STFLASH_MODE:-ok}" in
ok)
	echo 'st-flash 1.7.0'
	echo "$T INFO common.c: F4xx (Dynamic Efficency): 96 KiB SRAM, 512 KiB flash in at least 16 KiB pages."
	echo "$T INFO common.c: Attempting to write 12240 (0x2fd0) bytes to stm32 address: 134217728 (0x8000000)"
	echo "$T INFO common.c: Flash written and verified! jolly good!"
	exit 0 ;;
nodevice)
	echo 'st-flash 1.7.0'
	echo "$T WARN usb.c: Couldn't find any ST-Link devices" >&2
	exit 255 ;;
perm)
	echo 'st-flash 1.7.0'
	echo "$T WARN usb.c: Error -3 (Permission denied) opening ST-Link v2 device 001:005" >&2
	exit 255 ;;
busy)
	echo 'st-flash 1.7.0'
	echo "$T WARN usb.c: Stlink usb device found, but unable to claim (probably already in use?)" >&2
	exit 255 ;;
notarget)
	echo 'st-flash 1.7.0'
	echo 'Failed to connect to target'
	exit 255 ;;
writefail)
	echo 'st-flash 1.7.0'
	echo "$T ERROR common.c: Flash programming error: 0x00000080"
	echo 'stlink_fwrite_flash() == -1'
	exit 255 ;;
hang)
	sleep 30
	exit 0 ;;
*)
	echo "fake st-flash: unknown FAKE_STFLASH_MODE" >&2
	exit 2 ;;
esac
