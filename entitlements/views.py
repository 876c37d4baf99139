"""Customer site: the wizard's "Renew the support contract of DEP-…" fix (a POST that
creates a renewal order staff see beside the purchase orders)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from . import exceptions as exc
from . import services
from .models import Deployment

RENEWAL_ORDERED = _("Renewal order %(order)s for %(deployment)s (%(plan)s): %(price)s. Our team "
                    "sends you the invoice; the contract is renewed as soon as it is paid.")
RENEWAL_PENDING = _("Renewal order %(order)s for %(deployment)s is already awaiting payment.")
PRICE_TO_QUOTE = _("price to be quoted")


def _price(order) -> str:
    if order.price is None:
        return str(PRICE_TO_QUOTE)
    return f"{order.currency} {number_format(order.price, decimal_pos=2, force_grouping=True)}"


@require_POST
@login_required
def renewal_request(request, code: str):
    try:
        order, created = services.renewal_order_request(deployment_code=code,
                                                        actor=request.user)
    except Deployment.DoesNotExist as e:
        raise Http404 from e
    except exc.RenewalRefused as error:
        for text in error.messages:
            messages.error(request, text)
        return redirect("tickets:submit")
    params = {"order": str(order), "deployment": order.deployment.code,
              "plan": order.plan.name, "price": _price(order)}
    messages.success(request, (RENEWAL_ORDERED if created else RENEWAL_PENDING) % params)
    return redirect("tickets:submit")
