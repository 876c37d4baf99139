import factory
from django.utils import timezone

from accounts.models import Organization, User

PASSWORD = "test-pass-2468"


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Organization {n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"contact{n}@example.test")
    full_name = factory.Faker("name")
    organization = factory.SubFactory(OrganizationFactory)
    role = User.Role.CONTACT
    language = "en"
    details_confirmed_at = factory.LazyFunction(timezone.now)

    @factory.post_generation
    def password(obj, create, extracted, **kwargs):
        obj.set_password(extracted or PASSWORD)
        if create:
            obj.save(update_fields=["password"])


class StaffFactory(UserFactory):
    email = factory.Sequence(lambda n: f"agent{n}@helpdesk.test")
    organization = None
    is_staff = True
