#!/usr/bin/env python3
"""Write the seed corpora of the fuzz targets (tests/fuzz/corpus/<target>/) from the shipped
files and the tests' scenarios. Run from anywhere; re-running rewrites the seed_* files and
leaves inputs added by fuzzing (crash reproducers, named after what they found) alone.
The files are checked in; this script documents where each seed came from."""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))


def out(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "seed_" + name), "wb") as f:
        f.write(data)


def read(*parts):
    with open(os.path.join(ROOT, *parts), "rb") as f:
        return f.read()


# ---- network files: the shipped digits network and every test file (mnist-shape is 136 kB:
# replayed by test_model_files instead).
out("net", "digits.json", read("gateware", "model", "nets", "digits.json"))
for f in sorted(os.listdir(os.path.join(ROOT, "tests", "data", "model"))):
    out("net", f, read("tests", "data", "model", f))
tiny = read("tests", "data", "model", "tiny.json").decode()
# the hostile names: must load (names are text) and stay text everywhere
out("net", "hostile_name.json",
    tiny.replace('"name": "tiny"', '"name": "x\';system \'touch /tmp/PWNED\';#"').encode())
out("net", "escape_description.json",
    tiny.replace('"2-2 network', '"\\u001b[2J\\u009b31m\\u202e network').encode())

# ---- the digits data set: its header and first samples, and malformed lines
digits = read("tests", "data", "digits", "digits.csv").split(b"\n")
out("digits", "head.csv", b"\n".join(digits[:12]) + b"\n")
sample = [l for l in digits if l and not l.startswith(b"#")][0]
out("digits", "no_newline.csv", sample)
out("digits", "crlf.csv", sample + b"\r\n" + sample + b"\r\n")
out("digits", "too_many_fields.csv", sample + b",3\n")
out("digits", "pixel_17.csv", sample.rsplit(b",", 1)[0] + b",17\n")
out("digits", "nul_in_line.csv", sample[:10] + b"\x00" + sample[10:] + b"\n")

# ---- board profiles: byte 0 even = from a string, odd = from a file
for sub in (("bench", "boards"), ("tests", "data", "boards", "good"), ("tests", "data", "boards", "user"),
            ("tests", "data", "boards", "bad"), ("tests", "data", "boards", "mismatch")):
    d = os.path.join(ROOT, *sub)
    for f in sorted(os.listdir(d)):
        if not f.endswith(".ini"):
            continue
        data = read(*sub, f)
        tag = "_".join(sub[-1:]) + "_" + f
        out("board", "s_" + tag, b"\x00" + data)
        if sub[-1] in ("boards", "good"):
            out("board", "f_" + tag, b"\x01" + data)
sim = read("bench", "boards", "sim.ini")
out("board", "s_hostile_label.ini", b"\x00" + sim.replace(
    b"label = simulated 3.3 V supply of the whole design",
    b"label = x';system 'touch /tmp/PWNED';#\x1b[2J").replace(
    b"description = Virtual board", b"description = \x1b]0;pwned\x07Virtual board"))
out("board", "f_nul_and_long_line.ini", b"\x01" + sim[:40] + b"\x00" + sim[40:] + b"x" * 300 + b"\n")

# ---- Telnet / RFC 2217: byte 0 = chunking mode, then what the server sends
IAC, WILL, WONT, DO, DONT, SB, SE = 255, 251, 252, 253, 254, 250, 240


def sb(cmd, *val):
    v = b"".join(bytes([x, x]) if x == 255 else bytes([x]) for x in val)
    return bytes([IAC, SB, 44, cmd]) + v + bytes([IAC, SE])


ser2net_ok = (bytes([IAC, DO, 44, IAC, WILL, 0, IAC, DO, 0, IAC, WILL, 3, IAC, DO, 3]) +
              sb(102, 8) + sb(103, 1) + sb(104, 1) + sb(101, 0x00, 0x2D, 0xC6, 0xFF) + b"hello\xff\xffworld")
for mode in (0, 1, 2):
    out("telnet", "ser2net_%d" % mode, bytes([mode]) + ser2net_ok)
out("telnet", "test_rfc2217_split", bytes([1, ord('a'), IAC, IAC, ord('b'), IAC, DO, 44, IAC, WILL, 1,
                                          IAC, DO, 24, IAC, WILL, 0, ord('c')]))
out("telnet", "refuses_comport", bytes([0, IAC, DONT, 44, IAC, WONT, 0, IAC, WONT, 3]))
out("telnet", "long_subneg", bytes([2]) + bytes([IAC, SB, 44, 101]) + bytes(range(256)) * 2 + bytes([IAC, SE]))
out("telnet", "option_storm", bytes([0]) + bytes([IAC, DO, 1, IAC, DONT, 44, IAC, WILL, 24]) * 40)
out("telnet", "nop_ga_and_stray_se", bytes([1, IAC, 241, IAC, 249, IAC, SE, ord('x'), IAC, SB, IAC, IAC, IAC, SE]))

# ---- the virtual board's control lines (docs/vboard.md, tests/sim)
ctl = [b"now\n", b"truth 0 24000000\n", b"truth 0x10 0x20\n", b"fault drop 0.01\n", b"fault drop=0.5@1\n",
       b"fault clear\n", b"fault ina-reset\n", b"fault bit-error 1e-3\n", b"stats\n", b"quit\n",
       b"\n", b"truth 5 5\n", b"truth -1 2\n", b"fault bogus\n", b"fault drop nan\n",
       b"hello \x1b[2J world\r\n"]
for i, line in enumerate(ctl):
    out("vb_ctl", "line_%02d" % i, line)
out("vb_ctl", "session", b"".join(ctl))
out("vb_ctl", "long_line", b"truth " + b"9" * 5000 + b" 1\nnow\n")

# ---- INA219: bytes 0..1 pick the profile; then one control byte per I2C transaction
# (low bits 0 = NACK, bit 2 = configuration/CAL read back as written), 2 data bytes per read.
ACK, ECHO = 1, 5


def rd(v):
    return bytes([ACK]) + struct.pack(">H", v & 0xFFFF)


def sample(bus_mv, shunt_uv, current, power, cnvr=True, ovf=False):
    bus = (bus_mv // 4) << 3 | (2 if cnvr else 0) | (1 if ovf else 0)
    return rd(bus) + rd(shunt_uv // 10) + rd(current) + rd(power)


init = bytes([ACK, ACK, ECHO, ECHO])  # write config, write CAL, read both back
healthy = init + b"".join(sample(3300, 10000 + 100 * i, 1000 + i, 165 + i) for i in range(8))
out("ina219", "sim_profile", bytes([(1 << 3) | 1, 0]) + healthy)       # 0.5 ohm, 200 mA
out("ina219", "icebreaker_profile", bytes([(0 << 3) | 0, 0]) + healthy)  # 1 ohm, 50 mA
out("ina219", "ecp5_profile", bytes([(3 << 3) | 3, 0x04]) + healthy)    # 20 mohm, 1.5 A, PGA 40 mV
out("ina219", "not_converting", bytes([9, 0]) + init + rd(3300 << 1) * 64)
out("ina219", "saturated_and_ovf", bytes([9, 0]) + init + sample(3300, 320000, 0x7FFF, 0xFFFF) +
    sample(3300, -320000, -32768, 0xFFFF, ovf=True))
out("ina219", "chip_resets", bytes([9, 0]) + init + rd(6602) + rd(0) + rd(0) + rd(0) + rd(0) +
    bytes([ACK, ACK, ECHO, ECHO]) + sample(3300, 10000, 1000, 165))
out("ina219", "nacks", bytes([9, 0x38]) + bytes([ACK, 0, ACK, ECHO, ECHO]) + bytes([0]) * 4)
