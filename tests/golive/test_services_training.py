"""Training and communication services: the communication plan, the end-user roster and its
import, sessions, invitations and attendance."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from implementation.choices import ActivityStatus, CommunicationKind
from implementation.models import Attendance, CommunicationActivity, EndUser
from implementation.services import training
from projects.choices import Department
from tests.factories import UserFactory
from tests.golive.factories import trained_end_users

pytestmark = pytest.mark.django_db


def end_users():
    return list(EndUser.objects.order_by("pk").values())


def attendance():
    return sorted(Attendance.objects.values_list("session_id", "end_user_id", "attended"))


def a_session(project, actor, hours_from_now=-2, **fields):
    values = {
        "title": "Sales order to invoice",
        "starts_at": timezone.now() + datetime.timedelta(hours=hours_from_now),
        "duration_minutes": 120,
    } | fields
    return training.session_create(actor=actor, project=project, **values)


def an_end_user(project, actor, name="Nguyễn Văn An", department=Department.SALES, **fields):
    return training.end_user_create(
        actor=actor, project=project, name=name, department=department, **fields
    )


# --- Communication plan ---------------------------------------------------------------------


def test_an_activity_for_an_audience_with_an_owner(project, key_user):
    activity = training.activity_create(
        actor=key_user,
        project=project,
        title=" Kick-off workshop: what Odoo changes for you ",
        kind=CommunicationKind.WORKSHOP,
        audience_department=Department.SALES,
        planned_on=datetime.date(2026, 12, 1),
        owner=key_user,
    )

    activity.refresh_from_db()
    assert activity.title == "Kick-off workshop: what Odoo changes for you"
    assert activity.status == ActivityStatus.PLANNED
    assert activity.audience == "Sales"
    done = training.activity_update(actor=key_user, activity=activity, status=ActivityStatus.DONE)
    assert done.status == ActivityStatus.DONE


def posters(project, actor, **fields) -> CommunicationActivity:
    """A poster campaign planned for 1 December, with the given owner (if any)."""
    return training.activity_create(
        actor=actor,
        project=project,
        title="Posters",
        kind=CommunicationKind.POSTER,
        planned_on=datetime.date(2026, 12, 1),
        **fields,
    )


def test_an_activity_owned_by_someone_off_the_team_is_refused(project, key_user):
    with pytest.raises(ValidationError) as error:
        posters(project, key_user, owner=UserFactory())
    assert set(error.value.message_dict) == {"owner"}
    assert not CommunicationActivity.objects.exists()


@pytest.mark.parametrize("owner", ["missing", None])
def test_an_activity_without_an_owner_is_refused_with_a_field_error(project, key_user, owner):
    fields = {"owner": None} if owner is None else {}
    with pytest.raises(ValidationError) as error:
        posters(project, key_user, **fields)
    assert error.value.message_dict == {"owner": ["This field is required."]}
    assert not CommunicationActivity.objects.exists()


def test_an_activity_update_cannot_drop_its_owner(project, key_user):
    activity = posters(project, key_user, owner=key_user)
    with pytest.raises(ValidationError) as error:
        training.activity_update(actor=key_user, activity=activity, owner=None)
    assert set(error.value.message_dict) == {"owner"}
    activity.refresh_from_db()
    assert activity.owner == key_user


# --- End users ------------------------------------------------------------------------------


def test_an_end_user_is_listed_with_a_tidy_email(project, key_user):
    end_user = an_end_user(project, key_user, email="  An.Nguyen@HanoiRetail.example ")

    end_user.refresh_from_db()
    assert (end_user.name, end_user.department, end_user.email) == (
        "Nguyễn Văn An",
        Department.SALES,
        "an.nguyen@hanoiretail.example",
    )


def test_a_duplicate_email_is_refused_whatever_its_case(project, key_user):
    an_end_user(project, key_user, email="an@hanoiretail.example")
    before = end_users()

    with pytest.raises(ValidationError) as error:
        an_end_user(project, key_user, name="Another An", email="AN@hanoiretail.example")

    assert error.value.message_dict == {
        "email": ["An end user with this e-mail is already listed."]
    }
    assert end_users() == before


def test_end_users_without_email_are_not_duplicates(project, key_user):
    an_end_user(project, key_user)
    an_end_user(project, key_user)
    assert EndUser.objects.count() == 2


def test_changing_an_email_onto_another_end_users_is_refused(project, key_user):
    an_end_user(project, key_user, email="an@hanoiretail.example")
    binh = an_end_user(project, key_user, name="Binh", email="binh@hanoiretail.example")

    with pytest.raises(ValidationError) as error:
        training.end_user_update(actor=key_user, end_user=binh, email="an@hanoiretail.example")

    assert set(error.value.message_dict) == {"email"}
    binh.refresh_from_db()
    assert binh.email == "binh@hanoiretail.example"
    same = training.end_user_update(actor=key_user, end_user=binh, email="BINH@hanoiretail.example")
    assert same.email == "binh@hanoiretail.example"


def test_an_end_user_linked_to_someone_off_the_team_is_refused(project, key_user):
    with pytest.raises(ValidationError) as error:
        an_end_user(project, key_user, user=UserFactory())
    assert error.value.message_dict == {"user": ["Choose a member of this project's team."]}


# --- Import ---------------------------------------------------------------------------------


def test_import_reads_codes_and_english_labels_with_a_header(project, key_user):
    text = (
        "name,department,email\n"
        "Nguyễn Văn An,Sales,an@hanoiretail.example\n"
        "\n"
        "Trần Thị Bình,Accounting / finance,\n"
        "Lê Văn Cường, warehouse ,CUONG@hanoiretail.example\n"
    )

    made = training.end_users_import(actor=key_user, project=project, text=text)

    assert len(made) == 3
    assert list(EndUser.objects.order_by("name").values_list("name", "department", "email")) == [
        ("Lê Văn Cường", Department.WAREHOUSE, "cuong@hanoiretail.example"),
        ("Nguyễn Văn An", Department.SALES, "an@hanoiretail.example"),
        ("Trần Thị Bình", Department.ACCOUNTING_FINANCE, ""),
    ]


def test_one_bad_row_saves_nothing_and_the_errors_name_the_lines_of_the_text(project, key_user):
    an_end_user(project, key_user, email="an@hanoiretail.example")
    before = end_users()
    text = (
        "name,department,email\n"
        "Good Row,Sales,good@hanoiretail.example\n"
        "Bad Department,Kho,\n"
        "\n"
        "Taken Email,Sales,AN@hanoiretail.example\n"
        ",Sales,\n"
        "Twice,Sales,twice@hanoiretail.example\n"
        "Twice Again,Sales,twice@hanoiretail.example\n"
        "Bad Email,Sales,not-an-email\n"
    )

    with pytest.raises(ValidationError) as error:
        training.end_users_import(actor=key_user, project=project, text=text)

    assert error.value.message_dict == {
        "text": [
            "Line 3, department: Kho is not a department.",
            "Line 5, e-mail: An end user with this e-mail is already listed.",
            "Line 6, name: This field cannot be blank.",
            "Line 8, e-mail: An end user with this e-mail is already listed.",
            "Line 9, e-mail: Enter a valid email address.",
        ]
    }
    assert end_users() == before


def test_import_of_nothing_is_refused(project, key_user):
    with pytest.raises(ValidationError) as error:
        training.end_users_import(actor=key_user, project=project, text="name,department\n\n")
    assert error.value.message_dict == {"text": ["Give at least one end user: name, department."]}


def test_import_of_unreadable_csv_is_a_field_error(project, key_user):
    text = 'An,Sales\n"' + "x" * 200_000 + '",Sales\n'
    with pytest.raises(ValidationError) as error:
        training.end_users_import(actor=key_user, project=project, text=text)
    assert set(error.value.message_dict) == {"text"}
    assert end_users() == []


def test_import_is_for_training_managers(project, pilot_user):
    with pytest.raises(PermissionDenied):
        training.end_users_import(actor=pilot_user, project=project, text="An,Sales\n")
    assert end_users() == []


# --- Sessions, invitations, attendance ------------------------------------------------------


def test_a_session_with_a_naive_start_is_refused(project, key_user):
    with pytest.raises(ValidationError) as error:
        a_session(project, key_user, starts_at=datetime.datetime(2026, 12, 1, 9, 0))  # noqa: DTZ001
    assert error.value.message_dict == {"starts_at": ["Give the time with its time zone."]}


def test_a_session_with_a_trainer_off_the_team_is_refused(project, key_user):
    with pytest.raises(ValidationError) as error:
        a_session(project, key_user, trainer=UserFactory())
    assert set(error.value.message_dict) == {"trainer"}


def test_inviting_twice_invites_once(project, key_user):
    session = a_session(project, key_user, hours_from_now=24)
    an, binh = an_end_user(project, key_user), an_end_user(project, key_user, name="Bình")

    assert training.session_invite(actor=key_user, session=session, end_users=[an, an]) == 1
    assert training.session_invite(actor=key_user, session=session, end_users=[an, binh]) == 1

    assert attendance() == [(session.pk, an.pk, None), (session.pk, binh.pk, None)]


def test_end_users_of_another_project_are_not_invited(project, key_user, outsider):
    session = a_session(project, key_user)
    foreign = an_end_user(outsider.memberships.get().project, outsider)

    with pytest.raises(ValidationError):
        training.session_invite(actor=key_user, session=session, end_users=[foreign])
    with pytest.raises(ValidationError):
        training.attendance_record(actor=key_user, session=session, attended={foreign.pk: True})
    assert attendance() == []


def test_attendance_is_recorded_and_changed(project, key_user):
    session = a_session(project, key_user)
    an, binh, cuong = (an_end_user(project, key_user, name=n) for n in ("An", "Bình", "Cường"))
    training.session_invite(actor=key_user, session=session, end_users=[an, binh])

    written = training.attendance_record(
        actor=key_user, session=session, attended={an.pk: True, binh.pk: False, cuong.pk: True}
    )

    assert written == 3  # Cường came without an invitation: added
    assert attendance() == sorted(
        [(session.pk, an.pk, True), (session.pk, binh.pk, False), (session.pk, cuong.pk, True)]
    )
    assert (
        training.attendance_record(
            actor=key_user, session=session, attended={an.pk: True, binh.pk: True}
        )
        == 1
    )
    assert (session.pk, binh.pk, True) in attendance()


def test_attendance_is_not_recorded_before_the_session_starts(project, key_user):
    session = a_session(project, key_user, hours_from_now=3)
    an = an_end_user(project, key_user)
    training.session_invite(actor=key_user, session=session, end_users=[an])

    with pytest.raises(ValidationError) as error:
        training.attendance_record(actor=key_user, session=session, attended={an.pk: True})

    assert error.value.message_dict == {
        "attended": ["Attendance is recorded once the session has started."]
    }
    assert attendance() == [(session.pk, an.pk, None)]


def test_an_invited_end_user_is_taken_off_until_attendance_is_recorded(project, key_user):
    session = a_session(project, key_user)
    an, binh = an_end_user(project, key_user), an_end_user(project, key_user, name="Bình")
    training.session_invite(actor=key_user, session=session, end_users=[an, binh])
    training.attendance_record(actor=key_user, session=session, attended={binh.pk: False})

    training.attendance_remove(actor=key_user, session=session, end_user=an)

    assert attendance() == [(session.pk, binh.pk, False)]
    with pytest.raises(ValidationError):
        training.attendance_remove(actor=key_user, session=session, end_user=binh)
    with pytest.raises(ValidationError):
        training.attendance_remove(actor=key_user, session=session, end_user=an)
    assert attendance() == [(session.pk, binh.pk, False)]


def test_the_factory_trains_the_requested_share(project, key_user):
    users, session = trained_end_users(project, key_user, count=4, trained=3)
    assert [a for *_rest, a in attendance()].count(True) == 3
    assert len(users) == 4


def test_a_session_with_attendance_cannot_move_into_the_future(project, pm):
    _users, session = trained_end_users(project, pm, count=2, trained=2)

    with pytest.raises(ValidationError) as error:
        training.session_update(
            actor=pm, session=session, starts_at=timezone.now() + datetime.timedelta(days=30)
        )

    assert list(error.value.message_dict) == ["starts_at"]
    session.refresh_from_db()
    assert session.starts_at < timezone.now()


def test_a_session_without_attendance_moves_freely(project, pm):
    session = training.session_create(
        actor=pm, project=project, title="Sales", starts_at=timezone.now(), duration_minutes=60
    )
    later = timezone.now() + datetime.timedelta(days=3)

    assert training.session_update(actor=pm, session=session, starts_at=later).starts_at == later


def test_an_import_saved_by_a_spreadsheet_with_a_byte_order_mark_is_read(project, pm):
    added = training.end_users_import(
        actor=pm, project=project, text="\ufeffname,department\nAn Nguyễn,sales\n"
    )

    assert [(e.name, e.department) for e in added] == [("An Nguyễn", Department.SALES)]
