"""The sandboxed side: loads one submission and answers call requests on two pipes.

Runs as `python -I -S -B child.py MODULE_FILE SITE_DIR...` inside bubblewrap, where it sees
only the Python runtime, the kit's execution helpers, the submission (read-only) and a
scratch tmpfs. Nothing it sends is trusted: the parent validates every frame.
"""

import importlib.util
import os
import struct
import sys

REQUESTS, REPLIES = (int(fd) for fd in os.environ.pop("KIT_FDS").split(","))
PART = struct.Struct(">Q")
COUNT = struct.Struct(">I")


def read_exact(fd: int, n: int) -> bytes:
    chunks = []
    while n:
        chunk = os.read(fd, min(n, 1 << 20))
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def receive() -> list[bytes]:
    (count,) = COUNT.unpack(read_exact(REQUESTS, COUNT.size))
    return [read_exact(REQUESTS, PART.unpack(read_exact(REQUESTS, PART.size))[0]) for _ in range(count)]


def send(*parts: bytes) -> None:
    data = COUNT.pack(len(parts)) + b"".join(PART.pack(len(p)) + p for p in parts)
    view = memoryview(data)
    while view:
        view = view[os.write(REPLIES, view) :]


def main() -> None:
    module_file, site_dirs = sys.argv[1], sys.argv[2:]
    sys.path[:0] = [os.path.dirname(os.path.abspath(__file__)), *site_dirs]
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):  # the submission's prints go nowhere and decide nothing
        os.dup2(devnull, fd)

    import json

    import torch

    torch.set_num_threads(1)
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    from kit import wire
    from kit.calls import Call
    from kit.execute import describe_error, execute

    name = os.path.splitext(os.path.basename(module_file))[0]
    try:
        spec = importlib.util.spec_from_file_location(name, module_file)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    except SyntaxError as error:
        send(json.dumps({"error": f"{name}.py has a syntax error on line {error.lineno}: {error.msg}"}).encode())
        return
    except BaseException as error:  # SystemExit and friends at import time too
        send(json.dumps({"error": f"{name}.py failed to import: {describe_error(error, module_file)}"}).encode())
        return
    send(json.dumps({"ready": True}).encode())

    while True:
        try:
            header, frame = receive()
        except EOFError:
            return
        request = json.loads(header)
        (args, kwargs), _ = wire.decode(frame)
        call = Call(tuple(args), dict(kwargs), seed=request["seed"])
        try:
            output, inputs, error, not_implemented = execute(module, request["function"], call, request["device"], autograd=request["autograd"])
        except BaseException as stop:  # sys.exit() or KeyboardInterrupt raised by the function
            output, inputs, error, not_implemented = None, None, f"{request['function']}() raised {type(stop).__name__}", False
        meta = json.dumps({"error": error, "not_implemented": not_implemented}).encode()
        send(meta, output or b"", inputs or b"")


if __name__ == "__main__":
    main()
