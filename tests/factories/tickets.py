from django.core.files.uploadedfile import SimpleUploadedFile

from tickets import services
from tickets.models import Ticket

from .catalog import department


def upload(name: str = "trace.txt", content: bytes = b"SIP/2.0 200 OK\n",
           content_type: str = "text/plain") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


class TicketFactory:
    """Tickets are made through the service, as the site makes them."""

    @staticmethod
    def create(*, requester, department_code: str = "sipstation-general",
               subject: str = "One-way audio at the main office", body: str = "Steps: …",
               files=(), **kwargs) -> Ticket:
        return services.ticket_create(requester=requester,
                                      department=department(department_code),
                                      subject=subject, body=body, files=files, **kwargs)
