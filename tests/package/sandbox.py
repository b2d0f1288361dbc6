"""What the systemd unit does to the process, done by hand, for a machine
where systemd does not run (a container, CI): the test starts the installed
binary under it, so a system call, an address family or a writable and
executable mapping that the unit forbids fails the test here rather than the
service on a real machine.

Emulated, with the semantics of systemd 252 (src/shared/seccomp-util.c):
- SystemCallFilter=@system-service with SystemCallErrorNumber=EPERM: the set
  as `systemd-analyze syscall-filter` lists it, groups resolved; any other
  system call known to the kernel headers fails with EPERM, one newer than
  them with ENOSYS (as systemd answers calls its seccomp library does not
  know); SystemCallArchitectures=native: another ABI (x32, i386) kills it.
- MemoryDenyWriteExecute=yes: mmap with PROT_WRITE|PROT_EXEC, mprotect and
  pkey_mprotect adding PROT_EXEC, shmat with SHM_EXEC fail with EPERM.
- RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6: socket() of another
  family fails with EAFNOSUPPORT.
- LockPersonality=yes: personality() other than PER_LINUX or a query fails.
- NoNewPrivileges=yes, and DynamicUser=yes with UMask=0077 and
  CapabilityBoundingSet= (by the caller: an unprivileged uid and gid without
  a passwd entry and no supplementary group, so no capability).

Not emulated: the mount namespace options (ProtectSystem=strict, ProtectHome,
PrivateTmp, PrivateDevices; the test gives the server no writable path but
its state directory anyway), ProtectKernel*/ProtectControlGroups and
RestrictNamespaces. x86_64 only.
"""

import ctypes
import errno
import os
import platform
import re
import struct
import subprocess

UNISTD_64 = "/usr/include/x86_64-linux-gnu/asm/unistd_64.h"

AUDIT_ARCH_X86_64 = 0xC000003E
X32_SYSCALL_BIT = 0x40000000

PR_SET_NO_NEW_PRIVS = 38
PR_SET_SECCOMP = 22
SECCOMP_MODE_FILTER = 2

SECCOMP_RET_KILL_PROCESS = 0x80000000
SECCOMP_RET_ERRNO = 0x00050000
SECCOMP_RET_ALLOW = 0x7FFF0000

BPF_LD_W_ABS = 0x20
BPF_JEQ_K = 0x15
BPF_JGT_K = 0x25
BPF_JSET_K = 0x45
BPF_RET_K = 0x06

PROT_WRITE = 0x2
PROT_EXEC = 0x4
SHM_EXEC = 0o100000
AF_UNIX, AF_INET, AF_INET6 = 1, 2, 10
PER_LINUX = 0
PERSONALITY_QUERY = 0xFFFFFFFF

OFFSET_NR = 0
OFFSET_ARCH = 4


def _arg(i):
    """Offset of the low 32 bits of argument i in struct seccomp_data (little endian)."""
    return 16 + 8 * i


def syscall_numbers():
    """{name: number} of x86_64 from the kernel headers."""
    with open(UNISTD_64) as f:
        found = dict((m.group(1), int(m.group(2)))
                     for m in re.finditer(r"^#define __NR_(\w+)\s+(\d+)\s*$", f.read(), re.M))
    if len(found) < 300:
        raise RuntimeError("%s lists only %d system calls" % (UNISTD_64, len(found)))
    return found


def system_service_syscalls(analyze="systemd-analyze"):
    """The names in @system-service, nested groups resolved."""
    text = subprocess.run([analyze, "syscall-filter"], stdout=subprocess.PIPE,
                          stderr=subprocess.DEVNULL, check=True, timeout=30).stdout.decode()
    groups, current = {}, None
    for line in text.splitlines():
        if line.startswith("@"):
            current = groups.setdefault(line.strip(), [])
        elif line.startswith(" ") and current is not None:
            item = line.strip()
            if item and not item.startswith("#"):
                current.append(item)
        else:
            current = None
    if "@system-service" not in groups:
        raise RuntimeError("systemd-analyze syscall-filter lists no @system-service")

    names, seen = set(), set()

    def add(group):
        if group in seen:
            return
        seen.add(group)
        for item in groups[group]:
            if item.startswith("@"):
                add(item)
            else:
                names.add(item)

    add("@system-service")
    return names


def build_filter(allowed_names, numbers):
    """The BPF program (a list of (code, jt, jf, k)) of the docstring's rules."""
    eperm = SECCOMP_RET_ERRNO | errno.EPERM
    prog = [
        (BPF_LD_W_ABS, 0, 0, OFFSET_ARCH),
        (BPF_JEQ_K, 1, 0, AUDIT_ARCH_X86_64),
        (BPF_RET_K, 0, 0, SECCOMP_RET_KILL_PROCESS),
        (BPF_LD_W_ABS, 0, 0, OFFSET_NR),
        (BPF_JSET_K, 0, 1, X32_SYSCALL_BIT),
        (BPF_RET_K, 0, 0, SECCOMP_RET_KILL_PROCESS),
    ]
    allowed = {numbers[n] for n in allowed_names if n in numbers}

    def guarded(name, block):
        # if nr == name: run block (which always returns); else skip it.
        if name in numbers and numbers[name] in allowed:
            prog.append((BPF_JEQ_K, 0, len(block), numbers[name]))
            prog.extend(block)

    ret_allow = (BPF_RET_K, 0, 0, SECCOMP_RET_ALLOW)
    ret_eperm = (BPF_RET_K, 0, 0, eperm)
    # MemoryDenyWriteExecute
    guarded("mmap", [(BPF_LD_W_ABS, 0, 0, _arg(2)),
                     (BPF_JSET_K, 0, 2, PROT_WRITE),
                     (BPF_JSET_K, 0, 1, PROT_EXEC),
                     ret_eperm, ret_allow])
    for name in ("mprotect", "pkey_mprotect"):
        guarded(name, [(BPF_LD_W_ABS, 0, 0, _arg(2)),
                       (BPF_JSET_K, 0, 1, PROT_EXEC),
                       ret_eperm, ret_allow])
    guarded("shmat", [(BPF_LD_W_ABS, 0, 0, _arg(2)),
                      (BPF_JSET_K, 0, 1, SHM_EXEC),
                      ret_eperm, ret_allow])
    # RestrictAddressFamilies
    guarded("socket", [(BPF_LD_W_ABS, 0, 0, _arg(0)),
                       (BPF_JEQ_K, 3, 0, AF_UNIX),
                       (BPF_JEQ_K, 2, 0, AF_INET),
                       (BPF_JEQ_K, 1, 0, AF_INET6),
                       (BPF_RET_K, 0, 0, SECCOMP_RET_ERRNO | errno.EAFNOSUPPORT),
                       ret_allow])
    # LockPersonality
    guarded("personality", [(BPF_LD_W_ABS, 0, 0, _arg(0)),
                            (BPF_JEQ_K, 2, 0, PER_LINUX),
                            (BPF_JEQ_K, 1, 0, PERSONALITY_QUERY),
                            ret_eperm, ret_allow])
    # SystemCallFilter=@system-service
    for nr in sorted(allowed):
        prog.append((BPF_JEQ_K, 0, 1, nr))
        prog.append(ret_allow)
    prog.append((BPF_JGT_K, 0, 1, max(numbers.values())))
    prog.append((BPF_RET_K, 0, 0, SECCOMP_RET_ERRNO | errno.ENOSYS))
    prog.append(ret_eperm)
    if len(prog) > 4096:
        raise RuntimeError("seccomp filter of %d instructions is over the kernel's 4096" % len(prog))
    return prog


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


class Sandbox:
    """Prepared in the parent (it reads files and runs systemd-analyze);
    apply() runs in the child between fork and exec (Popen's preexec_fn),
    after Popen has set the uid, gid, groups and umask."""

    def __init__(self, analyze="systemd-analyze"):
        if platform.machine() != "x86_64":
            raise RuntimeError("the sandbox of tests/package/sandbox.py is written for x86_64, "
                               "not %s" % platform.machine())
        numbers = syscall_numbers()
        self.allowed = system_service_syscalls(analyze)
        self.numbers = numbers
        prog = build_filter(self.allowed, numbers)
        self._buffer = ctypes.create_string_buffer(b"".join(struct.pack("=HBBI", *i) for i in prog))
        self._fprog = _SockFprog(len(prog), ctypes.addressof(self._buffer))
        self._libc = ctypes.CDLL(None, use_errno=True)
        self.instructions = len(prog)

    def apply(self):
        if self._libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS)")
        if self._libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(self._fprog), 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_SECCOMP)")


def probe(sandbox, uid):
    """Runs small probes as uid, under the sandbox if one is given, and
    returns the completed process (stdout: what each probe got), so the test
    can show that the filter bites: a filter that allowed everything would
    make the server's test pass for nothing."""
    code = r"""
import ctypes, errno, mmap, os, socket
libc = ctypes.CDLL(None, use_errno=True)
out = []
try:
    socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0); out.append("netlink ok")
except OSError as e:
    out.append("netlink " + errno.errorcode[e.errno])
socket.socket(socket.AF_INET, socket.SOCK_STREAM).close(); out.append("inet ok")
libc.mmap.restype = ctypes.c_void_p
r = libc.mmap(None, 4096, 7, 0x22, -1, 0)
out.append("wx-mmap " + ("ok" if r not in (None, ctypes.c_void_p(-1).value) else errno.errorcode[ctypes.get_errno()]))
r = libc.syscall(101, 0, 0, 0, 0)   # ptrace(PTRACE_TRACEME): in no group of @system-service
out.append("ptrace " + ("ok" if r == 0 else errno.errorcode[ctypes.get_errno()]))
print(" ".join(out))
"""
    return subprocess.run(["/usr/bin/python3", "-c", code], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, timeout=30,
                          preexec_fn=sandbox.apply if sandbox else None,
                          user=uid, group=uid, extra_groups=[], env={"PATH": "/usr/bin:/bin"})
