"""Writes the small PyTorch archives VectorFileTest reads (run with Debian's python3-torch 1.13).

Each file is what torch.save writes for one tensor; a few are then edited (pickle bytes or storage entry) to make
archives torch itself would never write but a damaged or hand-made file could be. VectorFile must read the good
ones exactly and refuse the others with a message, never running the pickle.
"""
import io
import os
import pickle
import zipfile

import torch

HERE = os.path.dirname(os.path.abspath(__file__))


def save(name, tensor):
    path = os.path.join(HERE, name)
    torch.save(tensor, path, _use_new_zipfile_serialization=True)
    return path


def rewrite(src, dst, edit):
    """Copies archive src to dst with edit(entry_name, bytes) -> bytes applied to every entry (stored, as torch does)."""
    with zipfile.ZipFile(os.path.join(HERE, src)) as zin, \
            zipfile.ZipFile(os.path.join(HERE, dst), "w", zipfile.ZIP_STORED) as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, edit(info.filename, zin.read(info.filename)))


class Pwned:
    """A pickle payload that would run a shell command if unpickled."""

    def __reduce__(self):
        return os.system, ("touch /tmp/vlmscope-pickle-ran",)


def main():
    six = torch.arange(6, dtype=torch.float32) * 0.5 + 1  # 1.0, 1.5, ..., 3.5
    save("vector-f32.pt", six)
    save("row-f32.pt", six.reshape(1, 6).clone())
    save("view-offset-f32.pt", (torch.arange(10, dtype=torch.float32) * 2)[3:7])  # storage 10, offset 3: 6, 8, 10, 12
    save("matrix-f32.pt", torch.arange(64, dtype=torch.float32).reshape(8, 8))
    save("strided-f32.pt", torch.arange(10, dtype=torch.float32)[::2])
    save("stride0-f32.pt", torch.tensor([7.0]).expand(5))
    save("vector-f16.pt", six.half())
    save("vector-f64.pt", six.double())
    save("vector-i64.pt", torch.arange(6))
    save("vector64-f32.pt", torch.arange(64, dtype=torch.float32))
    # Shape 128 over the 64 stored values: the tensor's size tuple (BININT1 64, TUPLE1) now says 128 (BININT2).
    rewrite("vector64-f32.pt", "shape128-over64-f32.pt",
            lambda name, data: data.replace(b"K\x00K@\x85", b"K\x00M\x80\x00\x85") if name.endswith("data.pkl") else data)
    rewrite("vector-f32.pt", "garbage-pickle.pt",
            lambda name, data: bytes(range(7, 200)) if name.endswith("data.pkl") else data)
    rewrite("vector-f32.pt", "code-pickle.pt",
            lambda name, data: pickle.dumps(Pwned(), protocol=2) if name.endswith("data.pkl") else data)
    rewrite("vector-f32.pt", "short-storage-f32.pt",
            lambda name, data: data[:20] if name.endswith("/data/0") else data)


if __name__ == "__main__":
    main()
