#!/usr/bin/env python3
# Regenerates bad/*.ini (one defect each, expectation in the header) and good/*.ini (the bases).
# The generated files are committed; the C test reads them, not this script.
import os, re
D = os.path.dirname(os.path.abspath(__file__))
HW='''[board]
name = fixture
family = ice40

[fpga]
part = iCE40UP5K-SG48
package = sg48
osc_hz = 12000000
core_clock_hz = 12000000

[flash]
openfpgaloader_board = ice40_generic
interface = A

[usb]
vid = 0x0403
pid = 0x6010
interface = B

[uart]
uri = ftdi://0403:6010/2
baud = 3000000

[gateware]
top = hb_top_icebreaker
lanes = 32

[monitor.vcore]
chip = ina219
bus = ftdi-i2c://0403:6014/1
address = 0x40
shunt_uohm = 1000000
max_current_ma = 50
nominal_mv = 1200
'''
SIM='''[board]
name = fixture
family = sim

[sim]
clock_hz = 24000000
pacing = free

[uart]
uri = vboard:
baud = 3000000

[gateware]
top = hb_top
lanes = 32

[monitor.vcc3v3]
chip = ina219
bus = vboard:
address = 0x40
shunt_uohm = 100000
max_current_ma = 200
nominal_mv = 3300
'''
# name: (base, edit(text)->text, marker line regex (in final body) or 'EOF', field, text, why)
def sub(a, b): return lambda t: t.replace(a, b, 1)
def drop(a): return lambda t: t.replace(a + '\n', '', 1)
cases = {
 'missing_field': (HW, drop('core_clock_hz = 12000000'), r'^\[fpga\]', 'fpga.core_clock_hz', 'missing (required for family ice40)', 'a required field is absent (the line is its section header)'),
 'missing_family': (HW, drop('family = ice40'), r'^\[board\]', 'board.family', 'missing', 'no family'),
 'missing_section': (HW, drop('[gateware]\ntop = hb_top_icebreaker\nlanes = 32\n'), 'EOF', 'gateware.top', 'missing', 'a whole section is absent (the line is the end of the file)'),
 'bad_address': (HW, sub('address = 0x40', 'address = 0x02'), r'^address =', 'monitor.vcore.address', 'outside the 7-bit range 0x03..0x77', 'reserved I2C address'),
 'address_not_chip': (HW, sub('address = 0x40', 'address = 0x20'), r'^address =', 'monitor.vcore.address', 'answers at 0x40..0x4f only', 'an INA219 cannot be strapped to 0x20'),
 'address_too_big': (HW, sub('address = 0x40', 'address = 0x140'), r'^address =', 'monitor.vcore.address', 'is not a number in 0..255', 'does not fit in a byte'),
 'unknown_key': (HW, sub('baud = 3000000', 'buad = 3000000'), r'^buad =', 'uart.buad', "unknown key 'buad' in [uart]", 'a typo'),
 'unknown_monitor_key': (HW, sub('shunt_uohm = 1000000', 'shunt_mohm = 1000'), r'^shunt_mohm =', 'monitor.vcore.shunt_mohm', "unknown key 'shunt_mohm' in a monitor section", 'a unit typo'),
 'bad_number': (HW, sub('osc_hz = 12000000', 'osc_hz = 12M'), r'^osc_hz =', 'fpga.osc_hz', "'12M' is not a number", 'suffixes are not numbers'),
 'negative_number': (HW, sub('lanes = 32', 'lanes = -32'), r'^lanes =', 'gateware.lanes', "'-32' is not a number", 'no signs'),
 'octal_looking': (HW, sub('baud = 3000000', 'baud = 0x'), r'^baud =', 'uart.baud', "'0x' is not a number", 'a lone hex prefix'),
 'unknown_family': (HW, sub('family = ice40', 'family = gowin'), r'^family =', 'board.family', "unknown family 'gowin'", 'not a family hilbench builds for'),
 'duplicate_key': (HW, sub('baud = 3000000', 'baud = 3000000\nbaud = 115200'), r'^baud = 115200', 'uart.baud', 'duplicate key (first set on line', 'the second value would silently win'),
 'unknown_section': (HW, sub('[usb]', '[usbb]'), r'^vid =', 'usbb.vid', 'unknown section [usbb]', 'a section typo'),
 'empty_unknown_section': (HW, sub('[flash]', '[power]\n\n[flash]'), r'^\[power\]', 'power', 'unknown section [power]', 'an unknown section with no keys'),
 'empty_monitor': (HW, lambda t: t + '\n[monitor.vio]\n', r'^\[monitor.vio\]', 'monitor.vio', 'empty section', 'a monitor section with no keys'),
 'bad_rail_name': (HW, sub('[monitor.vcore]', '[monitor.V Core]'), r'^chip =', 'monitor.V Core.chip', "rail name 'V Core'", 'rail names are identifiers'),
 'zero_shunt': (HW, sub('shunt_uohm = 1000000', 'shunt_uohm = 0'), r'^shunt_uohm =', 'monitor.vcore.shunt_uohm', 'must be > 0', 'division by zero waiting to happen'),
 'shunt_overrange': (HW, sub('max_current_ma = 50', 'max_current_ma = 500'), r'^max_current_ma =', 'monitor.vcore.max_current_ma', "beyond the ina219's 320000 uV full scale", '500 mA through 1 ohm is 500 mV'),
 'monitor_missing_bus': (HW, drop('bus = ftdi-i2c://0403:6014/1'), r'^\[monitor.vcore\]', 'monitor.vcore.bus', 'missing', 'a monitor without a bus'),
 'monitor_vboard_on_hw': (HW, sub('bus = ftdi-i2c://0403:6014/1', 'bus = vboard:'), r'^bus =', 'monitor.vcore.bus', 'not an I2C bus URI for real hardware', 'the virtual bus on a real board'),
 'unknown_chip': (HW, sub('chip = ina219', 'chip = ina226'), r'^chip =', 'monitor.vcore.chip', "unknown chip 'ina226'", 'not (yet) supported'),
 'nominal_over_chip': (HW, sub('nominal_mv = 1200', 'nominal_mv = 48000'), r'^nominal_mv =', 'monitor.vcore.nominal_mv', 'outside 1..26000 mV', 'beyond the INA219 bus input'),
 'duplicate_monitor_address': (HW, lambda t: t + '\n[monitor.vio]\nchip = ina219\nbus = ftdi-i2c://0403:6014/1\naddress = 0x40\nshunt_uohm = 100000\nmax_current_ma = 100\nnominal_mv = 3300\n', r'^address = 0x40(?![\s\S]*address = 0x40)', 'monitor.vio.address', 'already used by [monitor.vcore]', 'two monitors on one address'),
 'unknown_ofl_board': (HW, sub('openfpgaloader_board = ice40_generic', 'openfpgaloader_board = icebreaker'), r'^openfpgaloader_board =', 'flash.openfpgaloader_board', "'icebreaker' is not an openFPGALoader 0.10 board", 'openFPGALoader calls it ice40_generic'),
 'ofl_wrong_family': (HW, sub('openfpgaloader_board = ice40_generic', 'openfpgaloader_board = ulx3s'), r'^openfpgaloader_board =', 'flash.openfpgaloader_board', "'ulx3s' is an ecp5 board", 'board and family disagree'),
 'unknown_cable': (HW, sub('openfpgaloader_board = ice40_generic', 'openfpgaloader_board = ice40_generic\nopenfpgaloader_cable = ft2233'), r'^openfpgaloader_cable =', 'flash.openfpgaloader_cable', "'ft2233' is not an FTDI cable", 'a cable typo'),
 'bad_interface': (HW, sub('interface = B', 'interface = E'), r'^interface = E', 'usb.interface', 'not an FTDI interface', 'FTDI chips have A..D'),
 'interface_beyond_chip': (HW, lambda t: t.replace('pid = 0x6010', 'pid = 0x6014').replace('ftdi://0403:6010/2', 'ftdi://0403:6014/2'), r'^interface = B', 'usb.interface', 'has interfaces A..A', 'an FT232H has one interface'),
 'uri_port_mismatch': (HW, sub('uri = ftdi://0403:6010/2', 'uri = ftdi://0403:6010/1'), r'^uri =', 'uart.uri', 'port /1 is interface A', 'the URI and [usb] disagree'),
 'uri_pid_mismatch': (HW, sub('uri = ftdi://0403:6010/2', 'uri = ftdi://0403:6011/2'), r'^uri =', 'uart.uri', 'names 0403:6011', 'the URI and [usb] disagree'),
 'flash_interface_missing': (HW, drop('interface = A'), r'^\[flash\]', 'flash.interface', 'missing (required for family ice40)', 'which interface programs the board must be said (issue 12: the UART interface was used)'),
 'flash_interface_beyond_chip': (HW, lambda t: t.replace('pid = 0x6010', 'pid = 0x6015').replace('ftdi://0403:6010/2', 'ftdi://0403:6015/1').replace('interface = B', 'interface = A').replace('baud = 3000000', 'baud = 1000000').replace('interface = A\n', 'interface = B\n', 1), r'^interface = B', 'flash.interface', "has interfaces A..A", 'an FT231X has one interface to program through'),
 'baud_chip_cannot_make': (HW, lambda t: t.replace('pid = 0x6010', 'pid = 0x6015').replace('ftdi://0403:6010/2', 'ftdi://0403:6015/1').replace('interface = B', 'interface = A').replace('core_clock_hz = 12000000', 'core_clock_hz = 48000000').replace('baud = 3000000', 'baud = 4000000'), r'^baud =', 'uart.baud', "4000000 baud: the FT231X (0403:6015) makes at most 3000000 baud", 'the FT231X stops at 3 Mbaud'),
 'uri_unknown_scheme': (HW, sub('uri = ftdi://0403:6010/2', 'uri = uart://0403:6010/2'), r'^uri =', 'uart.uri', "expected serial:/dev/ttyUSB1, ftdi://VID:PID/N, tcp://host:port or rfc2217://host:port", 'not a transport hilbench has'),
 'uri_virtual_on_hw': (HW, sub('uri = ftdi://0403:6010/2', 'uri = pty:/dev/pts/3'), r'^uri =', 'uart.uri', "'pty:/dev/pts/3': expected serial:", 'the virtual board\'s transport on a real board'),
 'monitor_uart_adapter_bus': (HW, sub('bus = ftdi-i2c://0403:6014/1', 'bus = ftdi-i2c://0403:6015/1'), r'^bus =', 'monitor.vcore.bus', 'has no MPSSE to be an I2C master', 'an FT231X cannot be an I2C master'),
 'uri_scheme': (HW, sub('uri = ftdi://0403:6010/2', 'uri = /dev/ttyUSB1'), r'^uri =', 'uart.uri', "'/dev/ttyUSB1': expected", 'a bare path is not a URI'),
 'baud_low': (HW, sub('baud = 3000000', 'baud = 300'), r'^baud =', 'uart.baud', 'outside 9600..12000000', 'implausible baud'),
 'baud_divisor': (HW, sub('baud = 3000000', 'baud = 2500000'), r'^baud =', 'uart.baud', 'more than 2 % off', '12 MHz / 2.5 Mbaud = 4.8 cycles'),
 'baud_too_fast_for_clock': (HW, sub('baud = 3000000', 'baud = 6000000'), r'^baud =', 'uart.baud', 'needs >= 4 core clock cycles per bit', '2 cycles per bit'),
 'zero_clock': (HW, sub('core_clock_hz = 12000000', 'core_clock_hz = 0'), r'^core_clock_hz =', 'fpga.core_clock_hz', 'outside 1 Hz..1 GHz', 'no clock'),
 'zero_lanes': (HW, sub('lanes = 32', 'lanes = 0'), r'^lanes =', 'gateware.lanes', 'outside 1..256', 'no lanes'),
 'empty_required': (HW, sub('part = iCE40UP5K-SG48', 'part ='), r'^part =', 'fpga.part', 'empty (required for family ice40)', 'present but empty'),
 'bad_name': (HW, sub('name = fixture', 'name = My Board'), r'^name =', 'board.name', "'My Board' must be lower-case", 'names are file names'),
 'value_too_long': (HW, sub('top = hb_top_icebreaker', 'top = ' + 'x' * 80), r'^top =', 'gateware.top', 'value longer than 63 characters', 'does not fit'),
 'syntax_error': (HW, sub('[uart]', '[uart]\nuri ftdi://0403:6010/2'), r'^uri ftdi', 'syntax', "expected 'key = value' ('uri ftdi' is not a key", 'no equals sign: inih splits at the colon'),
 'syntax_no_separator': (HW, sub('baud = 3000000', 'baud 3000000'), r'^baud 3', 'syntax', "expected '[section]', 'key = value' or a comment", 'neither = nor :'),
 'syntax_section': (HW, sub('[usb]', '[usb'), r'^\[usb$', 'syntax', "expected '[section]'", 'an unclosed section header'),
 'continuation': (HW, sub('baud = 3000000', 'baud = 3000000\n  115200'), r'^  115200', 'uart.baud', 'multi-line values are not supported', 'an indented line continues a value in inih'),
 'key_outside_section': (HW, lambda t: 'name = fixture\n' + t, r'^name = fixture\n\[board\]', '.name', 'key outside any section', 'before [board]'),
 'sim_with_flash': (SIM, sub('[uart]', '[flash]\nopenfpgaloader_board = ice40_generic\n\n[uart]'), r'^openfpgaloader_board =', 'flash.openfpgaloader_board', 'not used by family sim', 'nothing to flash'),
 'hw_with_sim': (HW, sub('[uart]', '[sim]\npacing = free\n\n[uart]'), r'^pacing =', 'sim.pacing', 'not used by family ice40', 'sim options on hardware'),
 'sim_bad_pacing': (SIM, sub('pacing = free', 'pacing = slow'), r'^pacing =', 'sim.pacing', "'slow' is not 'virtual', 'realtime' or 'fast'", 'unknown pacing'),
 'sim_real_bus': (SIM, sub('bus = vboard:', 'bus = i2c-dev:/dev/i2c-1'), r'^bus =', 'monitor.vcc3v3.bus', 'sit on the vboard: bus', 'a real bus on the sim'),
 'duplicate_section': (HW, sub('[uart]', '[usb]\nserial = IB0001\n\n[uart]'), r'^\[usb\]\nserial', 'usb', 'duplicate section [usb] (first on line', 'inih merges a repeated section into the first'),
 'duplicate_monitor_section': (HW, lambda t: t + '\n[monitor.vcore]\nlabel = again\n', r'^\[monitor.vcore\]\nlabel', 'monitor.vcore', 'duplicate section [monitor.vcore]', 'a second block for the same rail'),
 'nul_in_value': (HW, sub('baud = 3000000', 'baud = 3000\x00000'), r'^baud = 3000\x00', 'uart.baud', 'NUL byte in the value at column 12', 'a NUL byte would cut the value to 3000'),
 'escape_in_value': (HW, sub('part = iCE40UP5K-SG48', 'part = iCE40\x1b[2JUP5K'), r'^part = iCE40', 'fpga.part', 'control byte 0x1B in the value at column 13', 'an ESC would reach the terminal through boards show'),
 'sim_hw_uri': (SIM, sub('uri = vboard:', 'uri = ftdi://0403:6010/2'), r'^uri =', 'uart.uri', 'expected vboard:', 'a real UART on the sim'),
}
# [build] (bitstream flow; bench/core/hb_build.c): kept as their own block.
BUILD = '\n[build]\nflow = icestorm\ntop_file = hb_board_icebreaker.v\nconstraints = icebreaker.pcf\nbitstream = hb_icebreaker.bin\n'
def with_build(edit): return lambda t: edit(t + BUILD)
build_cases = {
 'build_unknown_flow': (HW, with_build(sub('flow = icestorm', 'flow = icecube2')), r'^flow =', 'build.flow', "unknown flow 'icecube2'", 'a flow hilbench cannot run'),
 'build_flow_wrong_family': (HW, with_build(sub('flow = icestorm', 'flow = trellis')), r'^flow =', 'build.flow', "'trellis' builds for ecp5, this profile is family ice40", 'the flow of another family'),
 'build_missing_key': (HW, with_build(drop('bitstream = hb_icebreaker.bin')), r'^\[build\]', 'build.bitstream', 'missing (every [build] section names', 'a [build] section without its bitstream'),
 'build_bitstream_ext': (HW, with_build(sub('bitstream = hb_icebreaker.bin', 'bitstream = hb_icebreaker.bit')), r'^bitstream =', 'build.bitstream', "a file name ending in .bin", 'icepack writes a binary .bin'),
 'build_bitstream_path': (HW, with_build(sub('bitstream = hb_icebreaker.bin', 'bitstream = out/hb_icebreaker.bin')), r'^bitstream =', 'build.bitstream', 'a file name ending in .bin', 'the bitstream is a name inside the build directory'),
 'build_constraints_ext': (HW, with_build(sub('constraints = icebreaker.pcf', 'constraints = icebreaker.lpf')), r'^constraints =', 'build.constraints', 'the icestorm flow reads a .pcf file', 'a pin file of another family'),
 'build_space_in_name': (HW, with_build(sub('top_file = hb_board_icebreaker.v', 'top_file = my board.v')), r'^top_file =', 'build.top_file', 'no spaces, quotes', 'names go into scripts'),
 'build_unknown_key': (HW, with_build(sub('flow = icestorm', 'flow = icestorm\nseed = 3')), r'^seed =', 'build.seed', "unknown key 'seed' in [build]", 'a key the flow does not know'),
 'build_on_sim': (SIM, with_build(lambda t: t), r'^\[build\]', 'build', 'not used by family sim', 'the virtual board has no bitstream'),
}
cases.update(build_cases)
import glob
for f in glob.glob(D + '/bad/*.ini'): os.remove(f)
for name, (base, edit, marker, field, text, why) in cases.items():
    body = edit(base)
    assert body != base, name
    hdr = f'# Broken on purpose: {why}.\n# expect-field: {field}\n# expect-text: {text}\n# expect-line: LINE\n'
    full = hdr + body
    if marker == 'EOF':
        line = full.count('\n')
    else:
        m = list(re.finditer(marker, full, re.M))
        assert len(m) >= 1, name
        line = full[:m[0].start()].count('\n') + 1
    full = full.replace('LINE', str(line), 1)
    open(f'{D}/bad/{name}.ini', 'w').write(full)
print(len(cases))
os.makedirs(D + '/good', exist_ok=True)
open(D + '/good/fixture_hw.ini', 'w').write('# The base every bad/ fixture changes in one place: a valid hardware profile.\n' + HW.replace('name = fixture', 'name = fixture_hw'))
open(D + '/good/fixture_sim.ini', 'w').write('# The base of the sim fixtures in bad/: a valid sim profile.\n' + SIM.replace('name = fixture', 'name = fixture_sim'))
