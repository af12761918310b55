"""The sandboxed side: a zygote that has imported torch, and one forked child per submission.

Runs as `python -I -S -B child.py SITE_DIR...` inside bubblewrap, where it sees only the
Python runtime, the kit's execution helpers and a scratch tmpfs. Starting the interpreter
and importing torch takes seconds; forking this zygote takes milliseconds, so every
submission still gets a fresh process. The child, not the zygote, reads the submission, so
no student's code or data ever sits in the memory the next child is forked from. Before it
loads the submission the child forbids itself new processes (seccomp) and the zygote wipes
the scratch space after it, so nothing passes from one student to the next.

Messages on both pipes are a count of parts, then each part as length and bytes. Nothing
this process sends is trusted: the parent validates every frame.
"""

import ctypes
import importlib.util
import json
import os
import shutil
import struct
import sys

REQUESTS, REPLIES = (int(fd) for fd in os.environ.pop("KIT_FDS").split(","))
SCRATCH = os.environ.pop("KIT_SCRATCH")  # wiped after every submission
WORK = os.path.join(SCRATCH, "work")
SHARED_MEMORY = "/dev/shm" if os.environ.pop("KIT_WIPE_SHM", "") else None
PART = struct.Struct(">Q")
COUNT = struct.Struct(">I")


def read_exact(n: int) -> bytes:
    chunks = []
    while n:
        chunk = os.read(REQUESTS, min(n, 1 << 20))
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def receive() -> list[bytes]:
    (count,) = COUNT.unpack(read_exact(COUNT.size))
    return [read_exact(PART.unpack(read_exact(PART.size))[0]) for _ in range(count)]


def send(*parts: bytes) -> None:
    data = COUNT.pack(len(parts)) + b"".join(PART.pack(len(p)) + p for p in parts)
    view = memoryview(data)
    while view:
        view = view[os.write(REPLIES, view) :]


def send_json(value: dict) -> None:
    send(json.dumps(value).encode())


def forbid_new_processes(program: bytes) -> None:
    """Install the seccomp filter the parent compiled (see autograder/seccomp.py)."""
    PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 38, 22, 2

    class SockFprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_char_p)]

    libc = ctypes.CDLL(None, use_errno=True)
    prog = SockFprog(len(program) // 8, program)
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 or libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(prog), 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "could not install the seccomp filter")


def serve_submission(request: dict) -> None:
    """In the forked child: load the submission, then answer calls until told to stop."""
    import resource

    from kit import wire
    from kit.calls import Call
    from kit.execute import describe_error, execute

    if request.get("seccomp"):
        forbid_new_processes(bytes.fromhex(request["seccomp"]))
    cpu = int(request.get("cpu_seconds", 0))
    if cpu:
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))
    (source,) = receive()  # read here, never in the zygote
    name = request["module"]
    os.makedirs(WORK, exist_ok=True)
    path = os.path.join(WORK, f"{name}.py")
    with open(path, "wb") as handle:
        handle.write(source)
    del source
    os.chdir(WORK)
    try:
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    except SyntaxError as error:
        return send_json({"error": f"{name}.py has a syntax error on line {error.lineno}: {error.msg}"})
    except BaseException as error:  # SystemExit and friends at import time too
        return send_json({"error": f"{name}.py failed to import: {describe_error(error, path)}"})
    send_json({"ready": True})

    def answer(header: dict, frame: bytes) -> list[bytes]:
        (args, kwargs), _ = wire.decode(frame)
        call = Call(tuple(args), dict(kwargs), seed=header["seed"])
        try:
            output, inputs, error, not_implemented = execute(module, header["function"], call, header["device"], autograd=header["autograd"])
        except BaseException as stop:  # sys.exit() or KeyboardInterrupt raised by the function
            output, inputs, error, not_implemented = None, None, f"{header['function']}() raised {type(stop).__name__}", False
        return [json.dumps({"error": error, "not_implemented": not_implemented}).encode(), output or b"", inputs or b""]

    while True:
        parts = receive()
        header = json.loads(parts[0])
        if header.get("op") == "end":
            return
        replies = []
        for i, frame in enumerate(parts[1:]):  # a batch: one header, then one frame per call
            replies += answer({**header, "seed": header["seeds"][i]}, frame)
        send(*replies)


def main() -> None:
    sys.path[:0] = [os.path.dirname(os.path.abspath(__file__)), *sys.argv[1:]]
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):  # what submissions print goes nowhere and decides nothing
        os.dup2(devnull, fd)
    import torch

    torch.set_num_threads(1)
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    import kit.execute  # noqa: F401  (imported once here, inherited by every child)

    for device in ("cpu", "meta"):  # load torch's lazily imported kernels once, not in every child
        x = torch.ones(2, 3, device=device)
        ((x - x.amax(1, keepdim=True)).exp() / x.sum(1, keepdim=True)).log().gather(1, torch.zeros(2, 1, dtype=torch.long, device=device))
        (x @ x.T).relu().mean()

    send_json({"zygote": True})
    while True:
        try:
            (header,) = receive()
        except EOFError:
            return
        request = json.loads(header)
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                serve_submission(request)
            except BaseException:
                code = 1
            os._exit(code)
        _, status = os.waitpid(pid, 0)
        wipe()
        send_json({"child_exit": status})


def wipe() -> None:
    """Remove everything the last submission wrote, so the next one starts clean."""
    for folder in (SCRATCH, SHARED_MEMORY):
        if folder and os.path.isdir(folder):
            for entry in os.listdir(folder):
                path = os.path.join(folder, entry)
                if os.path.isdir(path) and not os.path.islink(path):
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    try:
                        os.unlink(path)
                    except OSError:
                        pass


if __name__ == "__main__":
    main()
