"""The month end's invoice folders under `output/`, kept in step with the invoices' status.

    output/<YYYY-MM>/<number>/           an invoice's statement files, made by the month end
                                         (`workbench.batch`), and its manifest <number>.done.json
    output/<YYYY-MM>/void/<number>/      the same folder once the invoice is void: kept for the
                                         record (it is what the customer was sent), out of the
                                         month's statements, so that no one sends it as if it stood;
                                         files printed while the invoice was a Draft were never sent,
                                         and the next month end replaces them with its void record

The manifest holds, besides the files' sha256 (`files`):
    "status"   the invoice's status now: every status change rewrites it
    "invoice"  {"id", "status", "updated_at"}: the state the files were made for
               (`render.current.invoice_stamp`); the files show that status
Where the two differ the files show an earlier state: the next month end makes them again (or,
for a void invoice, leaves them under void/ as the record, unless they show a Draft: a Draft is
never sent, so its files are no record of anything, and the next month end prints the void
record, VOID on it, instead; `needs_void_record`).

A status change commits first, then follows here (`follow`): a crash in between leaves a folder
one step behind, which the next month end puts right (`reconcile`) and otherwise reports
(`out_of_step`); voiding a void invoice again makes its folder follow too (`invoices.set_status`),
and `workbench verify` names such folders (`status_disagreements`). A manifest is rewritten whole or not at all (a temp file, fsynced, renamed over
it) and a folder moves under void/ in one rename, so a crash leaves it in one place or the
other, never half a manifest.

A folder being written is held (`writing`: an exclusive `flock` on the folder itself, which the
kernel drops when the writer dies). `settle_void` leaves a held folder where it is: moving it
would pull it from under the month end, which would write the rest of its files into a path that
no longer exists and leave an empty record under void/. The writer, once it lets go, reads the
status again and settles the folder itself. A folder under void/ without a manifest, or missing a
file its manifest lists (a writer killed mid-way, then voided), or whose files show a Draft
(printed, then approved and voided with no month end between), is out of step: the next month
end makes its void record again.
"""

from __future__ import annotations

import datetime as dt
import errno
import fcntl
import json
import os
import shutil
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select

from workbench.atomic_files import write_atomic
from workbench.billing.core.lifecycle import Status
from workbench.billing.core.periods import month_key
from workbench.billing.store import models as m
from workbench.billing.store.in_lists import chunks
from workbench.billing.store.workspace import Workspace

__all__ = [
    "MANIFEST_SUFFIX",
    "FolderMoved",
    "VOID_FOLDER",
    "OutOfStep",
    "Reconciled",
    "StatusDisagreement",
    "follow",
    "follow_status",
    "holds_its_files",
    "is_temp",
    "month_end_folders",
    "needs_void_record",
    "out_of_step",
    "read_manifest",
    "reconcile",
    "remove_temp_files",
    "settle_void",
    "status_disagreements",
    "void_folders",
    "write_manifest",
    "writing",
]

MANIFEST_SUFFIX = ".done.json"
VOID_FOLDER = "void"
VOID = Status.VOID.value
DRAFT = Status.DRAFT.value
DELETED = "deleted"  # the status of a folder's invoice that is no longer stored
STATUSES = frozenset(s.value for s in Status)
# a folder is the month end's when it holds one of these, named after the folder (an invoice number)
MADE_BY_MONTH_END = (MANIFEST_SUFFIX, ".ipynb", ".failed.ipynb", ".pdf")


# --- one folder ------------------------------------------------------------------------------

def read_manifest(folder: Path, number: str) -> dict[str, Any] | None:
    """The month-end manifest of `number` in `folder`, or None when it is missing or unreadable."""
    try:
        manifest = json.loads((folder / f"{number}{MANIFEST_SUFFIX}").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return manifest if isinstance(manifest, dict) else None


def write_manifest(folder: Path, number: str, manifest: dict[str, Any]) -> Path:
    """Write the manifest whole or not at all: a temp file, fsynced, renamed over the old one."""
    return write_atomic(folder / f"{number}{MANIFEST_SUFFIX}", json.dumps(manifest, indent=2) + "\n")


def holds_its_files(folder: Path, number: str) -> bool:
    """The folder's manifest is there and every file it lists is there: the folder was finished.
    (Hashes are not compared: a record under void/ is what was sent, and a file changed since is
    not a reason to print it anew.)"""
    manifest = read_manifest(folder, number)
    files = manifest.get("files") if manifest is not None else None
    return isinstance(files, dict) and bool(files) and all((folder / str(name)).is_file() for name in files)


def files_status(manifest: dict[str, Any]) -> str:
    """The status the files were made for ("" when the manifest does not say)."""
    stamp = manifest.get("invoice")
    return str(stamp.get("status", "")) if isinstance(stamp, dict) else ""


def _shows_a_draft(manifest: dict[str, Any] | None) -> bool:
    return manifest is not None and files_status(manifest) == DRAFT


def needs_void_record(folder: Path, number: str) -> bool:
    """A folder under void/ that is not the record of what was sent, so the month end makes the
    void record (VOID on it) in its place: its files are unfinished (`holds_its_files`), or they
    were printed while the invoice was a Draft, which no customer was ever sent (the invoice was
    approved, then voided, with no month end between to print it as issued)."""
    return not holds_its_files(folder, number) or _shows_a_draft(read_manifest(folder, number))


def is_temp(name: str) -> bool:
    """A file being written (or left by a killed writer): `.<name>.<random>.tmp`, papermill's `.tmp.ipynb`."""
    return name.startswith(".") and (name.endswith(".tmp") or name.endswith(".tmp.ipynb"))


def remove_temp_files(folder: Path) -> None:
    for path in folder.iterdir():
        if is_temp(path.name):
            path.unlink(missing_ok=True)


def follow_status(period_dir: Path, number: str, status: str) -> bool:
    """Bring the folder of invoice `number` under `period_dir` in step with `status`, the
    invoice's status now; True when something changed. A void invoice's folder moves under void/
    (`settle_void`); any other status is written into the manifest, the files left as they are."""
    if status == VOID:
        return settle_void(period_dir, number)
    folder = period_dir / number
    manifest = read_manifest(folder, number)
    if manifest is None or manifest.get("status") == status:
        return False
    write_manifest(folder, number, {**manifest, "status": status})
    return True


def _lock(fd: int, wait: bool) -> bool:
    """An exclusive flock on an open folder; False when another holds it (and `wait` is False).
    Where the file system has no flock (some network mounts) the folder counts as free."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        return exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN)
    return True


class FolderMoved(FileNotFoundError):
    """The folder to be held was moved or removed before the hold was taken (`writing`)."""


@contextmanager
def writing(folder: Path) -> Iterator[None]:
    """Hold `folder` while writing into it (waits for another holder): `settle_void` does not move
    or remove a held folder. The folder must exist; if it is moved or removed before the hold is
    taken, raises FolderMoved (the caller looks again at where the invoice stands)."""
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except FileNotFoundError:
        raise FolderMoved(errno.ENOENT, "removed before it could be held", str(folder)) from None
    try:
        _lock(fd, wait=True)
        try:
            same = os.stat(folder).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            same = False
        if not same:
            raise FolderMoved(errno.ENOENT, "moved before it could be held", str(folder))
        yield
    finally:
        os.close(fd)  # lets go of the flock


@contextmanager
def _unless_held(folder: Path) -> Iterator[bool]:
    """True (and the folder held for the block) when no writer holds it; False when one does or
    the folder is gone."""
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except (FileNotFoundError, NotADirectoryError):
        yield False
        return
    try:
        yield _lock(fd, wait=False)
    finally:
        os.close(fd)


def settle_void(period_dir: Path, number: str) -> bool:
    """Move a void invoice's folder to `void/<number>/` and mark its manifest void; True when
    something changed. The folder moves in one rename. If void/ holds the invoice's record
    already, what is left in the month's folder was made after it (an interrupted run) and goes.
    A folder a month end is writing (`writing`) is left to it: it settles the folder itself."""
    live = period_dir / number
    kept = period_dir / VOID_FOLDER / number
    changed = False
    with _unless_held(live) as free:
        if free:
            if read_manifest(kept, number) is not None:
                shutil.rmtree(live)
            else:
                if kept.exists():  # an unfinished move's remains: the folder in the month is whole
                    with _unless_held(kept) as kept_free:
                        if not kept_free:  # its void record is being made again: the leftover goes next run
                            return False
                        shutil.rmtree(kept)
                kept.parent.mkdir(exist_ok=True)
                os.rename(live, kept)
                _fsync_dirs(kept.parent, period_dir)
            changed = True
    with _unless_held(kept) as free:  # a held record under void/ is being made again: left to its writer
        if not free:
            return changed
        remove_temp_files(kept)  # a rewrite a crash cut short
        manifest = read_manifest(kept, number)
        if manifest is not None and manifest.get("status") != VOID:
            write_manifest(kept, number, {**manifest, "status": VOID})
            changed = True
    return changed


def _fsync_dirs(*folders: Path) -> None:
    """Make a rename durable (best effort: the rename itself is what readers see)."""
    for folder in folders:
        try:
            fd = os.open(folder, os.O_RDONLY)
        except OSError:
            continue
        try:
            os.fsync(fd)
        except OSError:
            pass
        finally:
            os.close(fd)


# --- after a status change ---------------------------------------------------------------------

def follow(ws: Workspace, changed: Iterable[tuple[str, dt.date, str]]) -> list[str]:
    """After a status change committed: the folders of these (number, period start, status now)
    in `output/<YYYY-MM>/`, brought in step; returns the numbers whose folder changed.

    Never raises for a folder it cannot change (a read-only disk, a file held open): the status
    change stands, and the next month end puts the folder right or names it (`out_of_step`)."""
    followed = []
    for number, period_start, status in changed:
        try:
            if follow_status(ws.output_dir / month_key(period_start), number, status):
                followed.append(number)
        except OSError:
            continue
    return followed


# --- a month's folder against the database -----------------------------------------------------

def month_end_folders(period_dir: Path) -> list[Path]:
    """The invoice folders the month end made in `period_dir` (void/ and the analyst's own folders left out)."""
    if not period_dir.is_dir():
        return []
    return sorted(d for d in period_dir.iterdir()
                  if d.is_dir() and not d.name.startswith(".") and d.name != VOID_FOLDER
                  and any((d / f"{d.name}{suffix}").is_file() for suffix in MADE_BY_MONTH_END))


def void_folders(period_dir: Path) -> list[Path]:
    """The invoice folders under `period_dir/void/` (void invoices' records)."""
    void = period_dir / VOID_FOLDER
    return sorted(d for d in void.iterdir() if d.is_dir() and not d.name.startswith(".")) if void.is_dir() else []


def _statuses(ws: Workspace, numbers: Sequence[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    with ws.session() as session:
        for names in chunks(list(numbers)):
            rows = session.execute(select(m.Invoice.number, m.Invoice.status).where(m.Invoice.number.in_(names)))
            found.update((number, status) for number, status in rows)
    return found


@dataclass(frozen=True, slots=True)
class Reconciled:
    removed: tuple[str, ...]  # folders of invoices deleted since their files were written
    voided: tuple[str, ...]  # folders of void invoices moved under void/ or marked void now


def reconcile(ws: Workspace, period_dir: Path) -> Reconciled:
    """Put a month's folders in step with the invoices: remove the folders of deleted invoices (a
    draft deleted and generated again has a new number: the month holds one statement per
    invoice), move void invoices' folders under void/ and mark them void, and write the status of
    every other invoice into its manifest. A folder that cannot be changed, or that another month
    end is writing (`writing`), is left (`out_of_step`)."""
    live, kept = month_end_folders(period_dir), void_folders(period_dir)
    statuses = _statuses(ws, sorted({d.name for d in [*live, *kept]}))
    removed, voided = [], []
    for folder in live:
        status = statuses.get(folder.name)
        try:
            if status is None:
                with _unless_held(folder) as free:  # a folder another month end is writing is left to it
                    if free:
                        shutil.rmtree(folder)
                        removed.append(folder.name)
            elif follow_status(period_dir, folder.name, status) and status == VOID:
                voided.append(folder.name)
        except OSError:
            continue
    for folder in kept:
        try:
            if statuses.get(folder.name) == VOID and folder.name not in voided and settle_void(period_dir, folder.name):
                voided.append(folder.name)
        except OSError:
            continue
    return Reconciled(tuple(removed), tuple(sorted(voided)))


@dataclass(frozen=True, slots=True)
class OutOfStep:
    """A folder that does not show its invoice as it is now."""

    number: str
    folder: Path
    files_show: str  # the status the files were made for ("" when the folder has no manifest)
    status: str  # the invoice's now ("deleted" when it is no longer stored)
    under_void: bool = False  # the folder is under void/
    whole: bool = True  # its manifest is there, and every file it lists

    def text(self) -> str:
        now = "deleted" if self.status == DELETED else Status(self.status).label
        if self.under_void:
            if self.status == VOID and not self.whole:
                return (f"{self.number}: under void/, but its files are unfinished (no manifest, or a file it "
                        f"lists missing); the next month end makes its void record again ({self.folder})")
            if self.status == VOID and self.files_show == DRAFT:
                return (f"{self.number}: under void/, but its files show it Draft (printed before it was issued, "
                        f"never sent); the next month end makes its void record again ({self.folder})")
            if self.status == VOID:
                return f"{self.number}: under void/, but its manifest does not say void ({self.folder})"
            return f"{self.number}: under void/, but the invoice is {now} ({self.folder})"
        shows = f"its files show it {Status(self.files_show).label}" if self.files_show in STATUSES \
            else "its files are unfinished"
        among = " and they are still among the month's statements" if self.status in (VOID, DELETED) else ""
        return f"{self.number}: {shows}, the invoice is {now}{among} ({self.folder})"


def out_of_step(ws: Workspace, period_dir: Path) -> list[OutOfStep]:
    """The month's folders that do not show their invoice as it is now: files made for another
    status (the next month end makes them again), a void or deleted invoice's folder still among
    the month's statements, a folder under void/ whose invoice or manifest is not void, or whose
    files are unfinished (no manifest, or a file it lists missing) or show a Draft."""
    live, kept = month_end_folders(period_dir), void_folders(period_dir)
    statuses = _statuses(ws, sorted({d.name for d in [*live, *kept]}))
    found = []
    for folder in live:
        manifest = read_manifest(folder, folder.name)
        shows = files_status(manifest) if manifest is not None else ""
        status = statuses.get(folder.name, DELETED)
        if status in (VOID, DELETED) or (manifest is not None and shows != status):
            found.append(OutOfStep(folder.name, folder, shows, status))
    for folder in kept:
        manifest = read_manifest(folder, folder.name)
        status = statuses.get(folder.name, DELETED)
        whole = holds_its_files(folder, folder.name)
        if status != VOID or not whole or _shows_a_draft(manifest) \
                or (manifest is not None and manifest.get("status") != VOID):
            found.append(OutOfStep(folder.name, folder, files_status(manifest) if manifest else "", status,
                                   under_void=True, whole=whole))
    return found


# --- what `workbench verify` checks ----------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class StatusDisagreement:
    """A month-end folder whose manifest, or place, disagrees with the invoice's stored status: a
    status change (a void of many invoices) killed between its commit and the folders following,
    or a folder that could not be changed then."""

    number: str
    folder: Path
    manifest_status: str  # what its manifest says ("" when it has none)
    status: str  # the invoice's stored status ("deleted" when it is no longer stored)
    under_void: bool = False

    def text(self) -> str:
        says = f"its manifest says {self.manifest_status}" if self.manifest_status else "it has no manifest"
        now = "deleted" if self.status == DELETED else f"{Status(self.status).label} in the database"
        where = "under void/" if self.under_void else "among the month's statements"
        return f"{self.number}: folder {where}, {says}, the invoice is {now}"

    def fix(self, ws: Workspace) -> str:
        month = self.folder.parent.parent if self.under_void else self.folder.parent
        workspace = ws.root
        if month.parent.resolve() != ws.output_dir.resolve():
            # a month end given another folder (`run_month_end(out_dir=...)`): status changes follow
            # only output/, and the CLI's month end writes only there
            manifest = read_manifest(self.folder, self.number) or {}
            period = manifest.get("period") or "<period>"
            again = f"`run_month_end(ws, \"{period}\", out_dir=\"{month}\")` (the month end run again into that folder)"
            if self.status == VOID:
                return (f"{again} moves it under void/, marked void; voiding it again moves only the folders "
                        f"under {ws.output_dir}")
            if self.status == DELETED:
                return f"{again} removes it; or delete {self.folder}"
            return (f"{again} writes the status into the manifest (and makes the files again if they show "
                    f"another status)")
        period = month.name
        if self.status == VOID:
            return (f"void it again: `workbench invoices status {workspace} {self.number} --to void` changes "
                    f"nothing stored and moves its folder under void/, marked void (so does the next month end of {period})")
        if self.status == DELETED:
            return f"the next `workbench month-end {workspace} --period {period}` removes it; or delete {self.folder}"
        return (f"the next `workbench month-end {workspace} --period {period}` writes the status into the manifest "
                f"(and makes the files again if they show another status)")


def status_disagreements(ws: Workspace, period_dir: Path) -> list[StatusDisagreement]:
    """The month's folders whose manifest status, or place, is not the invoice's stored status: a
    void or deleted invoice's folder among the month's statements, a manifest whose "status" is not
    the invoice's, a folder under void/ of an invoice that is not void. (Files made for an earlier
    status, with the manifest's status right, are not a disagreement: the next month end makes
    them again, see `out_of_step`.)"""
    live, kept = month_end_folders(period_dir), void_folders(period_dir)
    statuses = _statuses(ws, sorted({d.name for d in [*live, *kept]}))
    found = []
    for folder in [*live, *kept]:
        under_void = folder in kept
        manifest = read_manifest(folder, folder.name)
        says = str(manifest.get("status", "")) if manifest is not None else ""
        status = statuses.get(folder.name, DELETED)
        if under_void:
            wrong = status != VOID or bool(says and says != VOID)
        else:  # (a manifest that records no status makes no claim about it)
            wrong = status in (VOID, DELETED) or bool(says and says != status)
        if wrong:
            found.append(StatusDisagreement(folder.name, folder, says, status, under_void))
    return found
