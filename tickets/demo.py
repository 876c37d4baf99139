"""Two demo tickets so that the agent's queues are not empty. Idempotent: each has a
fixed submission key, and ticket_create returns the existing ticket for it."""

import uuid

from accounts.models import User
from catalog.models import Department
from entitlements.models import BillingResponsibility, Deployment

from . import services

DEMO_TICKETS = [
    # submission key, requester, department, subject, message, items
    ("6f1c2a52-6a55-4c1e-9a43-2f5d3c1b7a01", "ana@globex.example", "sipstation-general",
     "Las llamadas entrantes de SIPStation no suenan desde esta mañana",
     "Desde las 9:00 las llamadas a nuestro DID principal dan tono de ocupado.\n"
     "Las salientes funcionan. Adjunto más datos si los necesitan.", {}),
    ("6f1c2a52-6a55-4c1e-9a43-2f5d3c1b7a02", "maria@acme.example", "freepbx-configuration",
     "Configurar colas de llamadas para el equipo de ventas",
     "Necesitamos una cola con 5 agentes, música en espera y anuncio de posición.",
     {"deployment": "DEP-1001", "billing_responsibility": "BR-1001"}),
]


def load() -> list:
    tickets = []
    for key, email, code, subject, body, items in DEMO_TICKETS:
        extra = {}
        if "deployment" in items:
            extra["deployment"] = Deployment.objects.get(code=items["deployment"])
        if "billing_responsibility" in items:
            extra["billing_responsibility"] = BillingResponsibility.objects.get(
                code=items["billing_responsibility"])
        tickets.append(services.ticket_create(
            requester=User.objects.get(email=email), department=Department.objects.get(code=code),
            subject=subject, body=body, submission_key=uuid.UUID(key), **extra))
    return tickets
