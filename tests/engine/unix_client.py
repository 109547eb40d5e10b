"""A tiny static HTTP-over-unix-socket client for the busybox stand-ins, which have none.

The proofs about the Docker socket need a container to talk to the engine through a socket it
was given. Busybox has no unix-socket client, and no image can be pulled, so this module writes
one: a 336-byte static x86-64 Linux executable, `unixhttp SOCKET`, that connects to the unix
socket, copies its standard input to it, then copies every byte the socket answers to standard
output, and exits 0 (or with the errno of a failed `socket`/`connect`). The machine code was
assembled from this source (GNU as, Intel syntax), kept here so it can be checked and rebuilt:

    _start: mov rbx, [rsp+16]            ; argv[1], the socket path
            sub rsp, 4352                ; [rsp] sockaddr_un, [rsp+128] a 4 KiB buffer
            mov word ptr [rsp], 1        ; AF_UNIX
            lea rdi, [rsp+2]
            mov ecx, 107
    copy:   mov al, [rbx]                ; copy the path (at most 107 bytes)
            mov [rdi], al
            test al, al
            jz copied
            inc rbx
            inc rdi
            dec ecx
            jnz copy
            mov byte ptr [rdi], 0
    copied: mov eax, 41                  ; socket(AF_UNIX, SOCK_STREAM, 0)
            mov edi, 1
            mov esi, 1
            xor edx, edx
            syscall
            test eax, eax
            js fail
            mov r12d, eax
            mov edi, r12d                ; connect(fd, &addr, 110)
            mov rsi, rsp
            mov edx, 110
            mov eax, 42
            syscall
            test eax, eax
            jnz fail
    send:   xor edi, edi                 ; read(0, buf, 4096)
            lea rsi, [rsp+128]
            mov edx, 4096
            xor eax, eax
            syscall
            test rax, rax
            jle recv
            mov edx, eax                 ; write(fd, buf, n)
            mov edi, r12d
            lea rsi, [rsp+128]
            mov eax, 1
            syscall
            jmp send
    recv:   mov edi, r12d                ; read(fd, buf, 4096)
            lea rsi, [rsp+128]
            mov edx, 4096
            xor eax, eax
            syscall
            test rax, rax
            jle done
            mov edx, eax                 ; write(1, buf, n)
            mov edi, 1
            lea rsi, [rsp+128]
            mov eax, 1
            syscall
            jmp recv
    done:   mov eax, 60                  ; exit(0)
            xor edi, edi
            syscall
    fail:   neg eax                      ; exit(errno)
            mov edi, eax
            mov eax, 60
            syscall
"""

from __future__ import annotations

import io
import platform
import struct
import tarfile
from typing import Any

CODE = bytes.fromhex(
    "488b5c24104881ec0011000066c704240100488d7c2402b96b0000008a03880784c0740d48ffc348ffc7"
    "ffc975eec60700b829000000bf01000000be0100000031d20f0585c00f88810000004189c44489e74889"
    "e6ba6e000000b82a0000000f0585c0756831ff488db42480000000ba0010000031c00f054885c07e1689"
    "c24489e7488db42480000000b8010000000f05ebd24489e7488db42480000000ba0010000031c00f0548"
    "85c07e1889c2bf01000000488db42480000000b8010000000f05ebcfb83c00000031ff0f05f7d889c7b8"
    "3c0000000f05"
)
"""The machine code of the source above."""

_BASE = 0x400000
_HEADERS = 64 + 56  # the ELF header and one program header


def executable() -> bytes:
    """The client as a static ELF executable: one read+execute segment holding everything."""
    size = _HEADERS + len(CODE)
    header = struct.pack(
        "<4sBBBBB7sHHIQQQIHHHHHH",
        b"\x7fELF", 2, 1, 1, 0, 0, bytes(7),  # 64-bit, little-endian, ELF version 1, SysV
        2, 0x3E, 1,  # an executable, for x86-64, version 1
        _BASE + _HEADERS, 64, 0,  # entry point, program headers' offset, no section headers
        0, 64, 56, 1, 0, 0, 0,  # flags, header sizes, one program header, no sections
    )  # fmt: skip
    segment = struct.pack("<IIQQQQQQ", 1, 5, 0, _BASE, _BASE, size, size, 0x1000)  # PT_LOAD, R+X
    return header + segment + CODE


def supported() -> str | None:
    """Why the client cannot run here (None when it can)."""
    machine = platform.machine()
    if machine not in ("x86_64", "amd64"):
        return f"the unix-socket client is x86-64 code; this machine is {machine}"
    return None


def install(container: Any, path: str = "/bin/unixhttp") -> str:
    """Put the client into a running container at `path`; returns `path`."""
    folder, _, name = path.rpartition("/")
    data = executable()
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        info = tarfile.TarInfo(name)
        info.size = len(data)
        info.mode = 0o755
        tar.addfile(info, io.BytesIO(data))
    container.put_archive(folder or "/", buffer.getvalue())
    return path
