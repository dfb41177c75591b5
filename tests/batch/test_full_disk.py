"""A disk that fills up while the month end writes a notebook leaves no empty or cut-off
`<number>.failed.ipynb` (nor a temp file): a failed notebook is kept only when it was written whole.

The full disk is real for the process that writes: a child process whose file size limit
(RLIMIT_FSIZE) stops every write past 1 KiB with EFBIG, as a full disk stops it with ENOSPC (the
kernel's connection file fits, the executed notebook does not: papermill's write is cut off).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import nbformat

NUMBER = "AWS-202510-00001"

WRITE_ON_A_FULL_DISK = """
import resource, signal, sys
from pathlib import Path
from workbench.batch.kernels import execute_notebook

notebook, folder = Path(sys.argv[1]), Path(sys.argv[2])
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead of killing
resource.setrlimit(resource.RLIMIT_FSIZE, (1024, 1024))
try:
    execute_notebook(notebook, folder, sys.argv[3], folder, "cold")
except OSError as exc:
    print("failed:", exc)
else:
    print("written")
"""


def small_notebook(path: Path) -> Path:
    nb = nbformat.v4.new_notebook()
    parameters = nbformat.v4.new_code_cell('workspace = ""\ninvoice = ""')
    parameters.metadata["tags"] = ["parameters"]
    nb.cells = [parameters, nbformat.v4.new_code_cell("print(invoice)")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    nbformat.write(nb, path)
    return path


def test_a_notebook_written_on_a_full_disk_leaves_no_failed_notebook(tmp_path):
    notebook = small_notebook(tmp_path / "invoice.ipynb")
    folder = tmp_path / "out"
    folder.mkdir()
    done = subprocess.run([sys.executable, "-c", WRITE_ON_A_FULL_DISK, str(notebook), str(folder), NUMBER],
                          capture_output=True, text=True, timeout=120)
    assert done.stdout.startswith("failed:"), done.stdout + done.stderr  # the disk was full for papermill
    assert sorted(p.name for p in folder.iterdir()) == []  # no 0-byte or cut-off AWS-202510-00001.failed.ipynb


def test_a_notebook_that_fails_whole_is_kept_for_reading(tmp_path):
    """The other side: a notebook whose cell raised is written whole, and kept as <number>.failed.ipynb."""
    from workbench.batch.kernels import execute_notebook

    notebook = small_notebook(tmp_path / "invoice.ipynb")
    nb = nbformat.read(notebook, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("raise ValueError('no such invoice')"))
    nbformat.write(nb, notebook)
    folder = tmp_path / "out"
    folder.mkdir()
    try:
        execute_notebook(notebook, folder, NUMBER, tmp_path, "cold")
    except Exception as exc:  # papermill's execution error
        assert "no such invoice" in str(exc)
    else:
        raise AssertionError("the notebook did not fail")
    assert sorted(p.name for p in folder.iterdir()) == [f"{NUMBER}.failed.ipynb"]
    kept = json.loads((folder / f"{NUMBER}.failed.ipynb").read_text())
    assert "no such invoice" in json.dumps(kept["cells"][-1]["outputs"])
