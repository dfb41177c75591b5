"""Files from the kernel to the viewer's browser in one click: `FileSender`.

    sender = FileSender()
    display(sender)
    sender.send("pdf", Path("AWS-202510-00001.pdf"), "application/pdf", "PDF")

`send` passes the file's bytes to the page as a binary widget buffer (one message, no base64,
no `data:` URL and so no 2 MB URL cap of Chromium). The page turns them into a `Blob`, starts
the browser's download at once (the click on the button that asked for the file is the user's
gesture), and keeps a link per file ("Download AWS-202510-00001.pdf") to save it again or in a
browser that blocked the first one. `clear()` forgets every link (another invoice opened).

Voila serves only files under its root and, by default, only images (`/voila/files/`); a
workspace lives elsewhere, so the file travels inside the page. Files over `SEND_LIMIT` are not
sent: the caller says where the file is instead.
"""

from __future__ import annotations

from pathlib import Path

import anywidget
import traitlets as t

__all__ = ["SEND_LIMIT", "FileSender"]

# 64 MiB: a year of a large customer's detailed CSV is a few MB; past this a page would hold
# the file in the browser's memory twice (buffer and Blob) for no good reason.
SEND_LIMIT = 64 * 2**20

_ESM = r"""
const ESC = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"};
const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ESC[c]);

function render({ model, el }) {
  el.classList.add("wb-downloads");
  const files = new Map();  // key -> {name, url, size, label}
  const draw = () => {
    el.innerHTML = Array.from(files.values()).map((f) =>
      `<a class="wb-download" download="${esc(f.name)}" href="${f.url}">Download ${esc(f.label)}</a>`
      + ` <span class="wb-size">(${f.size.toLocaleString("en-US")} bytes)</span>`).join(" &nbsp; ");
  };
  const forget = () => {
    for (const f of files.values()) URL.revokeObjectURL(f.url);
    files.clear();
    draw();
  };
  const received = () => {
    const file = model.get("file"), data = model.get("data");
    if (!file || !file.key || !data) return;
    const old = files.get(file.key);
    if (old) URL.revokeObjectURL(old.url);
    const url = URL.createObjectURL(new Blob([data], { type: file.media }));
    files.set(file.key, { name: file.name, url, size: data.byteLength, label: file.label || file.name });
    draw();
    for (const a of el.querySelectorAll("a.wb-download")) if (a.href === url) a.click();
  };
  model.on("change:serial", received);  // a new file: download it now
  model.on("change:cleared", forget);
  draw();
  return () => { model.off("change:serial", received); model.off("change:cleared", forget); forget(); };
}

export default { render };
"""

_CSS = """
.wb-downloads { min-height: 1.4em; padding: 2px 0; }
.wb-downloads a.wb-download { color: #0b57d0; text-decoration: underline; }
.wb-downloads .wb-size { color: #777; }
"""


class FileSender(anywidget.AnyWidget):
    """The last file sent (`file`, `data`) and counters the page reacts to. The page keeps the
    files it received (as links) until `cleared` moves."""

    _esm = _ESM
    _css = _CSS
    file = t.Dict().tag(sync=True)  # {"key", "name", "media", "label"}
    data = t.Bytes(b"").tag(sync=True)  # its bytes, sent as a binary buffer
    serial = t.Int(0).tag(sync=True)  # +1 per file sent: the page downloads it
    cleared = t.Int(0).tag(sync=True)  # +1 per clear(): the page forgets its links

    def send(self, key: str, path: Path, media: str, label: str | None = None) -> None:
        """Download `path` in the viewer's browser as `path.name`, replacing the file of `key`.
        ValueError when it is over `SEND_LIMIT`."""
        size = path.stat().st_size
        if size > SEND_LIMIT:
            raise ValueError(f"{path.name} ({size:,} bytes) is too large to pass through the page "
                             f"(its limit: {SEND_LIMIT:,} bytes)")
        with self.hold_sync():  # one message: the page sees the file and its bytes together
            self.file = {"key": key, "name": path.name, "media": media, "label": label or path.name}
            self.data = path.read_bytes()
            self.serial += 1

    def clear(self) -> None:
        with self.hold_sync():
            self.file, self.data = {}, b""
            self.cleared += 1
