"""A stand-in render worker for the pool's unit tests (render/worker/pool.h):
speaks the frame protocol on fd 3 without Cairo or fonts, so the pool's own
locking and failure handling can be tested quickly and under ThreadSanitizer.

  echo     answers every request with status OK and the request itself
  garbage  answers with a frame that is not a reply
  exit     exits (status 3) when a request arrives
"""
import os
import struct
import sys

FD = 3


def read_exact(n):
    data = b""
    while len(data) < n:
        chunk = os.read(FD, n - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def write_frame(payload):
    data = struct.pack("<I", len(payload)) + payload
    while data:
        data = data[os.write(FD, data):]


def main():
    mode = sys.argv[1] if len(sys.argv) > 1 else "echo"
    write_frame(b"")  # ready
    while True:
        header = read_exact(4)
        if header is None:
            return 0
        payload = read_exact(struct.unpack("<I", header)[0])
        if payload is None:
            return 0
        if mode == "exit":
            return 3
        if mode == "garbage":
            write_frame(b"\xffnot a reply")
        else:
            write_frame(b"\x00" + payload)


if __name__ == "__main__":
    sys.exit(main())
