#!/usr/bin/python3
"""Show the project's simulated DFU device to a real Chromium as a USB device.

Run under umockdev's preload (LD_PRELOAD=libumockdev-preload.so.0). It makes a umockdev
testbed (a fake sysfs, /dev and udev), starts `dfu-flasher emulate DEVICE` (the simulator
behind a line protocol, see src/sim/wire.rs) and answers the usbfs ioctls that Chromium
sends to /dev/bus/usb/001/NNN by asking the simulator. Programs started with the same
preload and UMOCKDEV_DIR see the device come and go as the simulator attaches and
detaches (DETACH, reset, re-enumeration with another product id, unplug).

The device node is a FIFO, not a regular file: Chromium waits for the node to become
writable (epoll) before it reaps URBs, and epoll refuses regular files. The pipe holds one
page, and one byte keeps it full ("not writable") while nothing is reapable; the byte is
drained when a URB completes and put back when the completed queue is empty.

Standard input takes commands from the test, one per line; every command is answered
with one line on standard output:
    unplug | plug           the user pulls the cable / plugs it back in
    fault EFFECT TRIGGER    passed to the simulator (see src/sim/wire.rs)
    read ALT ADDR LEN       the simulator's memory, hex
    report                  request counts and protocol violations
    bus                     attached ENUM VID PID | detached
    mark | transcript | span  passed to the simulator (timing a host, see src/sim/wire.rs)
    quit
Events are printed as they happen: `ready ROOT`, `added VID PID DEVNUM`, `removed DEVNUM`.
EMULATED_USB_DEBUG=1 logs every ioctl and control transfer to standard error.
"""

import argparse
import errno
import fcntl
import os
import struct
import subprocess
import sys
import threading
import time

import gi

gi.require_version("UMockdev", "1.0")
from gi.repository import UMockdev  # noqa: E402


def ioc(direction, nr, size):
    return (direction << 30) | (size << 16) | (ord("U") << 8) | nr


WRITE, READ = 1, 2
CONTROL = ioc(READ | WRITE, 0, 24)
SETINTERFACE = ioc(READ, 4, 8)
SETCONFIGURATION = ioc(READ, 5, 4)
GETDRIVER = ioc(WRITE, 8, 260)
SUBMITURB = ioc(READ, 10, 56)
DISCARDURB = ioc(0, 11, 0)
REAPURB = ioc(WRITE, 12, 8)
REAPURBNDELAY = ioc(WRITE, 13, 8)
CLAIMINTERFACE = ioc(READ, 15, 4)
RELEASEINTERFACE = ioc(READ, 16, 4)
CONNECTINFO = ioc(WRITE, 17, 8)
IOCTL = ioc(READ | WRITE, 18, 16)
RESET = ioc(0, 20, 0)
CLEAR_HALT = ioc(READ, 21, 4)
GET_CAPABILITIES = ioc(READ, 26, 4)
DISCONNECT_CLAIM = ioc(READ, 27, 264)

URB_TYPE_CONTROL = 2
F_SETPIPE_SZ = 1031
BUS = 1

out_lock = threading.Lock()


def say(line):
    with out_lock:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def log(line):
    if os.environ.get("EMULATED_USB_DEBUG"):
        sys.stderr.write(f"[usb {time.monotonic():.3f}] {line}\n")
        sys.stderr.flush()


class Simulator:
    """`dfu-flasher emulate`: one request line, one answer line."""

    def __init__(self, flasher, device, faster):
        cmd = [flasher, "emulate", device]
        if faster:
            cmd += ["--faster", str(faster)]
        self.proc = subprocess.Popen(
            cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1
        )
        self.lock = threading.Lock()

    def ask(self, line):
        with self.lock:
            self.proc.stdin.write(line + "\n")
            self.proc.stdin.flush()
            answer = self.proc.stdout.readline().strip()
        if not answer:
            raise RuntimeError("the simulator process ended")
        return answer


class Device(UMockdev.IoctlBase):
    """One enumeration of the device: its node, its URBs, its ioctls."""

    def __init__(self, sim, devnum, node_path):
        super().__init__()
        self.sim = sim
        self.devnum = devnum
        self.gone = False
        self.lock = threading.Lock()
        # Per open file (client), as in usbfs: a URB is reaped through the file that
        # submitted it, and an interface belongs to one file at a time.
        self.clients = []  # the clients seen; PyGObject wrappers compare by object
        self.done = {}  # client number -> completed URBs (IoctlData), oldest first
        self.hung = {}  # client number -> URBs that never complete while the device stays
        self.owners = {}  # interface number -> client number
        os.mkfifo(node_path, 0o666)
        self.fifo = os.open(node_path, os.O_RDWR | os.O_NONBLOCK)
        fcntl.fcntl(self.fifo, F_SETPIPE_SZ, 4096)
        self.fill()

    def key(self, client):
        for i, c in enumerate(self.clients):
            if c == client:
                return i
        self.clients.append(client)
        return len(self.clients) - 1

    # The readiness byte.
    def fill(self):
        try:
            os.write(self.fifo, b"x")
        except BlockingIOError:
            pass

    def drain(self):
        try:
            os.read(self.fifo, 4096)
        except BlockingIOError:
            pass

    def finish(self, urb, status, actual):
        urb.update(4, list(struct.pack("<i", status)))
        urb.update(28, list(struct.pack("<i", actual)))

    def unplugged(self):
        """The kernel completes what is in flight with -ESHUTDOWN."""
        with self.lock:
            self.gone = True
            for k, urbs in self.hung.items():
                for urb in urbs:
                    self.finish(urb, -errno.ESHUTDOWN, 0)
                    self.done.setdefault(k, []).append(urb)
            self.hung = {}
            self.drain()

    def transfer(self, setup, payload):
        """Ask the simulator; (status, reply bytes) with status as the kernel gives it."""
        rt, req, value, index, length = struct.unpack("<BBHHH", setup)
        if rt & 0x80:
            answer = self.sim.ask(f"in {rt:x} {req:x} {value:x} {index:x} {length:x}")
        else:
            data = payload[:length].hex() or "-"
            answer = self.sim.ask(f"out {rt:x} {req:x} {value:x} {index:x} {data}")
        log(f"{setup.hex()} -> {answer[:60]}")
        word, _, rest = answer.partition(" ")
        if word == "ok":
            if rt & 0x80:
                return 0, (b"" if rest in ("", "-") else bytes.fromhex(rest))
            return 0, payload[:length]
        if word == "stall":
            return -errno.EPIPE, b""
        if word == "gone":
            return -errno.ESHUTDOWN, b""
        if word == "hang":
            return None, b""
        raise RuntimeError(f"simulator: {answer}")

    def do_handle_ioctl(self, client):
        try:
            return self.ioctl(client)
        except Exception as e:  # keep the emulator alive, fail the call
            sys.stderr.write(f"emulated_usb: ioctl {client.get_request():#x} failed: {e!r}\n")
            client.complete(-1, errno.EIO)
            return True

    def ioctl(self, client):
        req = client.get_request()
        me = self.key(client)
        log(f"client {me}: ioctl {req:#x}")
        arg = client.get_arg()
        if self.gone and req not in (REAPURBNDELAY, REAPURB, DISCARDURB, RELEASEINTERFACE):
            client.complete(-1, errno.ENODEV)
            return True
        if req == SUBMITURB:
            urb = arg.resolve(0, 56)
            raw = bytes(urb.retrieve())
            kind, _endpoint = raw[0], raw[1]
            length = struct.unpack_from("<i", raw, 24)[0]
            if kind != URB_TYPE_CONTROL or length < 8:
                client.complete(-1, errno.EINVAL)
                return True
            buf = urb.resolve(16, length)
            data = bytes(buf.retrieve())
            status, reply = self.transfer(data[:8], data[8:])
            if status is None:
                with self.lock:
                    self.hung.setdefault(me, []).append(urb)
            else:
                if reply and data[0] & 0x80:
                    buf.update(8, list(reply))
                self.finish(urb, status, len(reply))
                with self.lock:
                    self.done.setdefault(me, []).append(urb)
                    self.drain()
            client.complete(0, 0)
        elif req in (REAPURBNDELAY, REAPURB):
            with self.lock:
                mine = self.done.get(me, [])
                urb = mine.pop(0) if mine else None
                if not any(self.done.values()) and not self.gone:
                    self.fill()
            if urb is None:
                client.complete(-1, errno.ENODEV if self.gone else errno.EAGAIN)
            else:
                slot = arg.resolve(0, 8)
                slot.set_ptr(0, urb)
                client.complete(0, 0)
        elif req == DISCARDURB:
            # The argument is the URB's address in the client.
            addr = struct.unpack("<Q", bytes(arg.retrieve())[:8])[0]
            with self.lock:
                hung = self.hung.get(me, [])
                found = [u for u in hung if u.client_addr == addr]
                for urb in found:
                    hung.remove(urb)
                    self.finish(urb, -errno.ENOENT, 0)
                    self.done.setdefault(me, []).append(urb)
                if found:
                    self.drain()
            client.complete(0 if found else -1, 0 if found else errno.EINVAL)
        elif req == CONTROL:
            ctrl = arg.resolve(0, 24)
            raw = bytes(ctrl.retrieve())
            setup = raw[:8]
            length = struct.unpack_from("<H", raw, 6)[0]
            buf = ctrl.resolve(16, length) if length else None
            payload = bytes(buf.retrieve()) if buf else b""
            status, reply = self.transfer(setup, payload)
            if status is None:
                client.complete(-1, errno.ETIMEDOUT)
            elif status < 0:
                client.complete(-1, -status)
            else:
                if reply and setup[0] & 0x80 and buf:
                    buf.update(0, list(reply))
                client.complete(len(reply), 0)
        elif req == SETINTERFACE:
            iface, alt = struct.unpack("<II", bytes(arg.resolve(0, 8).retrieve()))
            status, _ = self.transfer(struct.pack("<BBHHH", 0x01, 0x0B, alt, iface, 0), b"")
            client.complete(0 if status == 0 else -1, 0 if status == 0 else errno.EPIPE)
        elif req == SETCONFIGURATION:
            (value,) = struct.unpack("<i", bytes(arg.resolve(0, 4).retrieve()))
            status, _ = self.transfer(struct.pack("<BBHHH", 0x00, 0x09, value & 0xFFFF, 0, 0), b"")
            client.complete(0 if status == 0 else -1, 0 if status == 0 else errno.EPIPE)
        elif req == RESET:
            answer = self.sim.ask("reset")
            log(f"reset -> {answer}")
            if answer == "ok":
                client.complete(0, 0)
            else:
                client.complete(-1, errno.ENODEV if answer == "gone" else errno.EIO)
        elif req == GET_CAPABILITIES:
            caps = arg.resolve(0, 4)
            caps.update(0, list(struct.pack("<I", 0)))
            client.complete(0, 0)
        elif req == CONNECTINFO:
            info = arg.resolve(0, 8)
            info.update(0, list(struct.pack("<IB3x", self.devnum, 0)))
            client.complete(0, 0)
        elif req in (GETDRIVER, IOCTL):
            client.complete(-1, errno.ENODATA)
        elif req in (CLAIMINTERFACE, RELEASEINTERFACE):
            # As usbfs: an interface belongs to one open file at a time (another program
            # or browser tab gets EBUSY) until it is released or that file is closed.
            (iface,) = struct.unpack("<I", bytes(arg.resolve(0, 4).retrieve()))
            with self.lock:
                owner = self.owners.get(iface)
                if owner is not None and owner != me and not self.clients[owner].get_connected():
                    owner = None  # that file was closed
                if req == CLAIMINTERFACE:
                    if owner is None or owner == me:
                        self.owners[iface] = me
                        result = (0, 0)
                    else:
                        result = (-1, errno.EBUSY)
                else:
                    if owner == me:
                        del self.owners[iface]
                    result = (0, 0) if owner in (me, None) else (-1, errno.EINVAL)
            client.complete(*result)
        elif req in (CLEAR_HALT, DISCONNECT_CLAIM):
            client.complete(0, 0)
        else:
            log(f"unknown ioctl {req:#x}")
            client.complete(-1, errno.ENOTTY)
        return True


class Bus:
    """The testbed, and the simulator's device shown on it while attached."""

    def __init__(self, sim):
        self.sim = sim
        self.testbed = UMockdev.Testbed.new()
        self.root = self.testbed.get_root_dir()
        self.devnum = 1
        self.current = None  # (enumeration, Device, syspath, devnode)

    def add(self, enumeration):
        answer = self.sim.ask("describe").split(" ")
        if answer[0] != "ok":
            return
        device = bytes.fromhex(answer[1])
        config = bytes.fromhex(answer[2])
        manufacturer, product, serial = (
            "" if h == "-" else bytes.fromhex(h).decode("utf-8", "replace") for h in answer[3:6]
        )
        vid, pid, release = struct.unpack_from("<HHH", device, 8)
        self.devnum += 1
        n = self.devnum
        devnode = f"/dev/bus/usb/{BUS:03d}/{n:03d}"
        # umockdev removes the folder with the last device in it.
        os.makedirs(os.path.join(self.root, "dev", "bus", "usb", f"{BUS:03d}"), exist_ok=True)
        handler = Device(self.sim, n, os.path.join(self.root, devnode.lstrip("/")))
        # The node and its handler exist before the device is announced.
        self.testbed.attach_ioctl(devnode, handler)
        attributes = [
            "idVendor", f"{vid:04x}", "idProduct", f"{pid:04x}", "bcdDevice", f"{release:04x}",
            "busnum", str(BUS), "devnum", str(n), "speed", "12", "dev", f"189:{n}",
            "bConfigurationValue", "1", "bNumConfigurations", str(device[17]),
            "bDeviceClass", f"{device[4]:02x}", "version", " 2.00",
        ]
        for name, text in (("manufacturer", manufacturer), ("product", product), ("serial", serial)):
            if text:
                attributes += [name, text]
        properties = [
            "SUBSYSTEM", "usb", "DEVTYPE", "usb_device", "DEVNAME", devnode,
            "BUSNUM", f"{BUS:03d}", "DEVNUM", f"{n:03d}", "MAJOR", "189", "MINOR", str(n),
            "PRODUCT", f"{vid:x}/{pid:x}/{release:x}",
        ]
        syspath = self.testbed.add_device("usb", f"usb{BUS}/{BUS}-{n}", None, attributes, properties)
        self.testbed.set_attribute_binary(syspath, "descriptors", list(device + config))
        self.testbed.uevent(syspath, "add")
        self.current = (enumeration, handler, syspath, devnode)
        say(f"added {vid:04x} {pid:04x} {n}")

    def remove(self):
        _, handler, syspath, devnode = self.current
        self.current = None
        handler.unplugged()
        self.testbed.uevent(syspath, "remove")
        self.testbed.remove_device(syspath)
        say(f"removed {handler.devnum}")

    def follow(self):
        """Show what the simulator's bus says: attached (which enumeration) or not."""
        words = self.sim.ask("bus").split()
        enumeration = words[1] if words[0] == "attached" else None
        shown = self.current[0] if self.current else None
        if enumeration == shown:
            return
        if self.current:
            self.remove()
        if enumeration is not None:
            self.add(enumeration)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--device", required=True)
    p.add_argument("--flasher", required=True, help="path of the dfu-flasher binary")
    p.add_argument("--faster", type=int, default=0)
    a = p.parse_args()
    if "umockdev" not in os.environ.get("LD_PRELOAD", ""):
        sys.exit("emulated_usb: run me under LD_PRELOAD=libumockdev-preload.so.0")
    sim = Simulator(a.flasher, a.device, a.faster)
    bus = Bus(sim)
    bus.follow()
    say(f"ready {bus.root}")
    commands = []
    cond = threading.Condition()

    def reader():
        for line in sys.stdin:
            with cond:
                commands.append(line.strip())
                cond.notify()
        with cond:
            commands.append("quit")
            cond.notify()

    threading.Thread(target=reader, daemon=True).start()
    while True:
        with cond:
            cond.wait_for(lambda: commands, timeout=0.01)
            todo, commands[:] = list(commands), []
        for c in todo:
            if c == "quit":
                if bus.current:
                    bus.remove()
                sim.proc.stdin.close()
                return
            if c:
                say("reply " + sim.ask(c))
        bus.follow()


if __name__ == "__main__":
    main()
