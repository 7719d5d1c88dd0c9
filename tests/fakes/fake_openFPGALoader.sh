#!/bin/sh
# A stand-in for openFPGALoader 0.10 (selected with HB_OPENFPGALOADER). It prints what the
# real program prints in each case (messages from its source, v0.10.0: src/main.cpp,
# src/ftdipp_mpsse.cpp, src/lattice.cpp, src/configBitstreamParser.cpp, src/progressBar.cpp)
# and exits the same way. FAKE_OFL_MODE picks the case; FAKE_OFL_ARGS names a file that
# receives the arguments, one per line.
if [ -n "$FAKE_OFL_ARGS" ]; then
	for a in "$@"; do printf '%s\n' "$a"; done > "$FAKE_OFL_ARGS"
fi
case "${FAKE_OFL_MODE:-ok}" in
ok)
	printf 'Parse file DONE\n'
	for p in 0.00 25.00 50.00 75.00 100.00; do
		printf '\rLoading to CRAM: [====                ] %s%%' "$p"
	done
	printf '\nDone\nWait for CDONE DONE\n'
	exit 0 ;;
nodevice)
	echo 'unable to open ftdi device: -3 (device not found)' >&2
	echo 'Error: Failed to claim cable' >&2
	exit 1 ;;
nodevice_jtag)
	echo 'write to flash'
	echo 'unable to open ftdi device: -3 (device not found)' >&2
	echo 'JTAG init failed with: unable to open ftdi device' >&2
	exit 1 ;;
perm)
	echo 'unable to open ftdi device: -4 (libusb_open() failed)' >&2
	echo 'Error: Failed to claim cable' >&2
	exit 1 ;;
busy)
	echo 'unable to open ftdi device: -5 (unable to claim usb device. Make sure the default FTDI driver is not in use)' >&2
	echo 'Error: Failed to claim cable' >&2
	exit 1 ;;
noboard)
	echo "Error: cannot find board '$2'" >&2
	exit 1 ;;
idcode)
	printf 'Open file DONE\nParse file DONE\n'
	printf "Error: Failed to program FPGA: mismatch between target's idcode and bitstream idcode\n\tbitstream has 0x41111043 hardware requires 0x21111043\n" >&2
	exit 1 ;;
unsupported)
	echo 'Error: device 3631093 not supported' >&2
	exit 1 ;;
nofile)
	echo 'terminate called after throwing an instance of '"'"'std::runtime_error'"'" >&2
	echo '  what():  Error: fail to open missing.bin' >&2
	exit 134 ;;
cdone)
	printf 'Parse file DONE\nLoading to CRAM: [====================] 100.00%%\nDone\nWait for CDONE '
	echo 'FAIL' >&2
	exit 0 ;;
hang)
	sleep 30
	exit 0 ;;
*)
	echo "fake openFPGALoader: unknown FAKE_OFL_MODE" >&2
	exit 2 ;;
esac
