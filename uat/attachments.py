"""Attachments: screenshots and documents on defects and test runs.

The uploader's bytes decide what a file is, never its name or the browser's content type:
PNG, JPEG, PDF, Excel workbooks (XLSX) and plain UTF-8 text are accepted, up to 10 MB, and
the name's extension must agree with the bytes. The original name is kept only as a label;
the stored name is generated (see uat.models.defects.attachment_path). Files are served only
through `attachment_response`, as downloads, behind the project's policy.
"""

import io
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.http import FileResponse
from django.utils.translation import gettext as _

from projects import policy
from projects.policy import Capability
from uat.models import Attachment, Defect, TestExecution

MAX_SIZE = 10 * 1024 * 1024  # bytes
MAX_NAME_LENGTH = 255
# A workbook's [Content_Types].xml is a few kilobytes; a bigger one is not worth reading.
_MAX_CONTENT_TYPES_SIZE = 1024 * 1024


@dataclass(frozen=True)
class FileKind:
    content_type: str
    extensions: tuple[str, ...]  # the first one is used for the stored name


PNG = FileKind("image/png", (".png",))
JPEG = FileKind("image/jpeg", (".jpg", ".jpeg"))
PDF = FileKind("application/pdf", (".pdf",))
XLSX = FileKind("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (".xlsx",))
TXT = FileKind("text/plain", (".txt",))
ALLOWED_KINDS = (PNG, JPEG, PDF, XLSX, TXT)
ACCEPT = ",".join(ext for kind in ALLOWED_KINDS for ext in kind.extensions)


def _is_xlsx(data: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            info = archive.getinfo("[Content_Types].xml")
            if info.file_size > _MAX_CONTENT_TYPES_SIZE:
                return False
            content_types = archive.read(info)
            # A macro-enabled workbook renamed to .xlsx is refused: macros are code.
            if b"macroEnabled" in content_types or "xl/vbaProject.bin" in archive.namelist():
                return False
            return b"spreadsheetml" in content_types
    except (zipfile.BadZipFile, KeyError, OSError, RuntimeError, ValueError, EOFError):
        return False


def _is_text(data: bytes) -> bool:
    if b"\x00" in data:
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def detect_kind(data: bytes) -> FileKind | None:
    """What the bytes are, from their magic numbers; None when we do not accept them."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith(b"%PDF-"):
        return PDF
    if data.startswith(b"PK\x03\x04"):
        return XLSX if _is_xlsx(data) else None
    if _is_text(data):
        return TXT
    return None


def clean_file_name(name: str) -> str:
    """The uploader's file name as a harmless label: no folders, no control characters."""
    name = (name or "").replace("\\", "/")
    name = PurePosixPath(name).name
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C").strip().lstrip(".")
    if not name:
        return ""
    stem, dot, suffix = name.rpartition(".")
    if len(name) > MAX_NAME_LENGTH:
        keep = MAX_NAME_LENGTH - len(suffix) - 1
        name = f"{stem[:keep]}.{suffix}" if dot and keep > 0 else name[:MAX_NAME_LENGTH]
    return name


def _read(upload) -> bytes:
    size = getattr(upload, "size", None)
    if size is not None and size > MAX_SIZE:
        raise ValidationError({"file": _("The file is larger than 10 MB.")})
    if hasattr(upload, "seek"):
        upload.seek(0)
    data = upload.read(MAX_SIZE + 1)
    if len(data) > MAX_SIZE:
        raise ValidationError({"file": _("The file is larger than 10 MB.")})
    if not data:
        raise ValidationError({"file": _("The file is empty.")})
    return data


def checked_upload(upload) -> tuple[str, FileKind, bytes]:
    """The upload's harmless label, its kind from the bytes, and the bytes; a field error
    for anything else. Every feature that stores files calls this first."""
    if upload is None:
        raise ValidationError({"file": _("Choose a file.")})
    label = clean_file_name(getattr(upload, "name", ""))
    if not label:
        raise ValidationError({"file": _("The file needs a name.")})
    data = _read(upload)
    kind = detect_kind(data)
    if kind is None:
        raise ValidationError(
            {"file": _("Only PNG, JPEG, PDF, Excel (.xlsx) and plain text files are accepted.")}
        )
    suffix = PurePosixPath(label).suffix.lower()
    if suffix not in kind.extensions:
        raise ValidationError(
            {
                "file": _("The file's name says %(suffix)s but its content is %(kind)s.")
                % {"suffix": suffix or _("no type"), "kind": kind.extensions[0]}
            }
        )
    return label, kind, data


def _project_of(*, project, defect: Defect | None, execution: TestExecution | None):
    if defect is None and execution is None:
        raise ValidationError(_("Attach the file to a defect or a test run."))
    if defect is not None and defect.project_id != project.pk:
        raise ValidationError({"defect": _("Choose a defect of this project.")})
    if execution is not None and execution.entry.cycle.project_id != project.pk:
        raise ValidationError({"execution": _("Choose a test run of this project.")})


def ensure_may_attach(actor, project) -> None:
    """Members who log defects or comment may attach files; readers may not."""
    if not (
        policy.can(actor, project, Capability.LOG_DEFECTS)
        or policy.can(actor, project, Capability.COMMENT)
    ):
        raise PermissionDenied(_("Your role on this project does not allow you to attach files."))


def attachment_add(
    *,
    actor,
    project,
    upload,
    defect: Defect | None = None,
    execution: TestExecution | None = None,
) -> Attachment:
    """Store an uploaded file on a defect or a test run, if its bytes are an allowed type."""
    ensure_may_attach(actor, project)
    _project_of(project=project, defect=defect, execution=execution)
    label, kind, data = checked_upload(upload)
    attachment = Attachment(
        project=project,
        defect=defect,
        execution=execution,
        original_name=label,
        content_type=kind.content_type,
        size=len(data),
        uploaded_by=actor,
    )
    with transaction.atomic():
        # The stored name comes from attachment_path; only the detected extension survives.
        attachment.file.save(f"upload{kind.extensions[0]}", ContentFile(data), save=False)
        attachment.save()
    return attachment


def attachment_response(attachment: Attachment) -> FileResponse:
    """The file as a download under its original name; browsers must not guess its type."""
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
