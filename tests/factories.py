"""Test data. P-codes start with ZZ so they never meet the shipped Syrian areas."""

import datetime

import factory

from tracker.models import Agency, Area, Report, Role, User
from tracker.services import token_issue


class AreaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Area

    pcode = factory.Sequence(lambda n: f"ZZ{n:04d}")
    parent = None
    level = factory.LazyAttribute(lambda area: area.parent.level + 1 if area.parent else 0)
    name_en = factory.Sequence(lambda n: f"Area {n}")
    name_ar = factory.Sequence(lambda n: f"منطقة {n}")
    path = factory.LazyAttribute(
        lambda area: (area.parent.path if area.parent else "") + area.pcode + "/"
    )


class AgencyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agency
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"AG{n}")
    name = factory.LazyAttribute(lambda agency: f"Agency {agency.code}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"user{n}")
    agency = factory.SubFactory(AgencyFactory)
    role = Role.REPORTER


class StaffFactory(UserFactory):
    agency = None
    role = ""
    is_staff = True
    is_superuser = True
    password = factory.django.Password("staff-password")


def token_for(user: User) -> str:
    """A new token's key (each call issues another)."""
    return token_issue(user=user)[1]


class ReportFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Report

    agency = factory.SubFactory(AgencyFactory)
    submitted_by = factory.SubFactory(UserFactory, agency=factory.SelfAttribute("..agency"))
    area = factory.SubFactory(AreaFactory)
    period_start = datetime.date(2024, 11, 27)
    period_end = factory.SelfAttribute("period_start")
    displaced = 100
