"""Attachments: the bytes decide the type, names are only labels, files go only to members."""

import io
import struct
import zlib

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from projects.choices import Role
from tests.factories import MembershipFactory, ProjectFactory
from uat.attachments import MAX_SIZE, attachment_add, clean_file_name, detect_kind
from uat.models import Attachment
from uat.services.defects import defect_report


def tiny_png() -> bytes:
    """A real 1x1 PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def xlsx_bytes() -> bytes:
    workbook = openpyxl.Workbook()
    workbook.active["A1"] = "VAT"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def defect(project, pilot_user):
    return defect_report(actor=pilot_user, project=project, title="Wrong VAT", severity="high")


def upload(name, data, content_type="image/png"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def add(actor, project, defect, name, data):
    return attachment_add(actor=actor, project=project, upload=upload(name, data), defect=defect)


def file_error(excinfo) -> list[str]:
    return excinfo.value.message_dict["file"]


# --- Detection -----------------------------------------------------------------------------


def test_a_real_tiny_png_is_accepted_with_a_generated_stored_name(project, pilot_user, defect):
    attachment = add(pilot_user, project, defect, "screen shot.png", tiny_png())

    assert attachment.content_type == "image/png"
    assert attachment.original_name == "screen shot.png"
    assert attachment.size == len(tiny_png())
    assert attachment.file.name.startswith(f"attachments/{project.pk}/")
    assert attachment.file.name.endswith(".png")
    assert "screen" not in attachment.file.name
    with attachment.file.open("rb") as stored:
        assert stored.read() == tiny_png()


@pytest.mark.parametrize(
    ("name", "data", "content_type"),
    [
        ("photo.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 20, "image/jpeg"),
        ("photo.JPEG", b"\xff\xd8\xff\xe1" + b"\x00" * 20, "image/jpeg"),
        ("spec.pdf", PDF, "application/pdf"),
        (
            "data.xlsx",
            None,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        ("notes.txt", "Giá trị sai — VAT 10%\n".encode(), "text/plain"),
    ],
)
def test_allowed_types_are_detected_from_their_bytes(
    project, pilot_user, defect, name, data, content_type
):
    data = xlsx_bytes() if data is None else data

    attachment = add(pilot_user, project, defect, name, data)

    assert attachment.content_type == content_type


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("invoice.png", PDF),  # a PDF renamed to .png
        ("invoice.png", EXE),  # a program renamed to .png
        ("tool.exe", EXE),
        ("notes.txt", b"text\x00with a NUL"),
        ("notes.txt", b"\xff\xfe\xfa not utf-8"),
        ("archive.xlsx", b"PK\x03\x04" + b"\x00" * 40),  # a zip that is not a workbook
        ("image.png", b"just text, not an image"),
        ("noextension", tiny_png()),
    ],
)
def test_wrong_types_are_refused_and_nothing_is_stored(project, pilot_user, defect, name, data):
    with pytest.raises(ValidationError) as excinfo:
        add(pilot_user, project, defect, name, data)

    assert file_error(excinfo)
    assert Attachment.objects.count() == 0


def test_a_file_over_10_mb_is_refused(project, pilot_user, defect):
    data = b"a" * (10 * 1024 * 1024 + 1)
    assert len(data) == MAX_SIZE + 1

    with pytest.raises(ValidationError) as excinfo:
        add(pilot_user, project, defect, "big.txt", data)

    assert file_error(excinfo) == ["The file is larger than 10 MB."]
    assert Attachment.objects.count() == 0


def test_exactly_10_mb_is_accepted(project, pilot_user, defect):
    attachment = add(pilot_user, project, defect, "big.txt", b"a" * MAX_SIZE)
    assert attachment.size == MAX_SIZE


def test_an_empty_file_is_refused(project, pilot_user, defect):
    with pytest.raises(ValidationError) as excinfo:
        add(pilot_user, project, defect, "empty.txt", b"")

    assert file_error(excinfo) == ["The file is empty."]


@pytest.mark.parametrize(
    ("raw", "label"),
    [
        ("../../etc/passwd.png", "passwd.png"),
        ("..\\..\\windows\\shot.png", "shot.png"),
        ("/abs/path/shot.png", "shot.png"),
        ("shot\x00.png", "shot.png"),
        ("..", ""),
        ("", ""),
    ],
)
def test_file_names_lose_their_folders(raw, label):
    assert clean_file_name(raw) == label


def test_path_tricks_in_the_name_are_kept_only_as_a_label(project, pilot_user, defect):
    attachment = add(pilot_user, project, defect, "../../etc/passwd.png", tiny_png())

    assert attachment.original_name == "passwd.png"
    assert ".." not in attachment.file.name
    assert "passwd" not in attachment.file.name


def test_detect_kind_ignores_the_name():
    assert detect_kind(PDF).content_type == "application/pdf"
    assert detect_kind(EXE) is None


# --- Who may attach ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "role", [Role.PROJECT_MANAGER, Role.CONSULTANT, Role.IT, Role.KEY_USER, Role.PILOT_USER]
)
def test_members_who_log_defects_or_comment_may_attach(project, defect, members, role):
    attachment = add(members[role], project, defect, "a.png", tiny_png())
    assert attachment.uploaded_by == members[role]


@pytest.mark.parametrize("role", [Role.EXECUTIVE, Role.VIEWER])
def test_readers_may_not_attach(project, defect, members, role):
    with pytest.raises(PermissionDenied):
        add(members[role], project, defect, "a.png", tiny_png())
    assert Attachment.objects.count() == 0


def test_an_outsider_may_not_attach(project, defect, outsider):
    with pytest.raises(PermissionDenied):
        add(outsider, project, defect, "a.png", tiny_png())


def test_a_defect_of_another_project_is_refused(project, pm, defect):
    other = ProjectFactory()
    MembershipFactory(project=other, user=pm, role=Role.PROJECT_MANAGER)

    with pytest.raises(ValidationError) as excinfo:
        add(pm, other, defect, "a.png", tiny_png())

    assert "defect" in excinfo.value.message_dict


# --- Download ------------------------------------------------------------------------------


def download_url(project, attachment) -> str:
    return reverse("uat:attachment-download", args=[project.code, attachment.pk])


def test_members_download_with_the_original_name_and_nosniff(
    client, project, pilot_user, executive, defect
):
    attachment = add(pilot_user, project, defect, "../evil/screen.png", tiny_png())
    client.force_login(executive)

    response = client.get(download_url(project, attachment))

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="screen.png"'
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == tiny_png()


def test_outsiders_get_404(client, project, pilot_user, outsider, defect):
    attachment = add(pilot_user, project, defect, "a.png", tiny_png())
    client.force_login(outsider)

    assert client.get(download_url(project, attachment)).status_code == 404


def test_anonymous_users_are_sent_to_log_in(client, project, pilot_user, defect):
    attachment = add(pilot_user, project, defect, "a.png", tiny_png())

    response = client.get(download_url(project, attachment))

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_another_projects_attachment_through_this_projects_url_is_404(
    client, project, pm, pilot_user, defect
):
    other = ProjectFactory()
    MembershipFactory(project=other, user=pm, role=Role.PROJECT_MANAGER)
    other_defect = defect_report(actor=pm, project=other, title="Other", severity="low")
    theirs = add(pm, other, other_defect, "theirs.png", tiny_png())
    client.force_login(pm)

    assert client.get(download_url(project, theirs)).status_code == 404
    assert client.get(download_url(other, theirs)).status_code == 200


def test_a_macro_workbook_renamed_to_xlsx_is_refused(project, pilot_user, defect):
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<Types><Override ContentType="application/vnd.ms-excel.sheet.macroEnabled.main+xml'
            '"/><Default ContentType="application/vnd.openxmlformats-officedocument.'
            'spreadsheetml.worksheet+xml"/></Types>',
        )
        archive.writestr("xl/vbaProject.bin", b"\x00")

    with pytest.raises(ValidationError):
        add(pilot_user, project, defect, "book.xlsx", buffer.getvalue())
