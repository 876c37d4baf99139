"""Rotating SECRET_KEY (the old one moved to SECRET_KEY_FALLBACKS) keeps replies to mail
sent before threading and unsold prepaid cards redeemable; rows and mail made before the
keys were derived with salted_hmac still work too."""

import hashlib
import hmac

import pytest
from django.test import override_settings

from credits import exceptions as credit_exc
from credits import services as credits
from credits.models import PrepaidCard
from mailgateway import message_ids, services
from mailgateway.inbound import reasons
from mailgateway.models import InboundMessage
from tests.factories import TicketFactory
from tests.factories.mailgateway import raw_email

pytestmark = pytest.mark.django_db
OLD, NEW = "old-secret-key-" + "x" * 40, "new-secret-key-" + "y" * 40


def reply(message_id: str) -> InboundMessage:
    raw = raw_email(subject="Re: la impresora", in_reply_to=message_id)
    row, _created = services.inbound_message_store(raw=raw, source="pipe")
    return services.inbound_message_process(inbound_id=row.pk)


def issued_under_old_key(ticket) -> tuple[str, str, str]:
    """A Message-ID sent and a card sold (number, code) before the rotation."""
    with override_settings(SECRET_KEY=OLD, SECRET_KEY_FALLBACKS=[]):
        sent_id = message_ids.message_id_make(ticket_id=ticket.pk)
        [(number, code)] = credits.prepaid_card_batch_generate(count=1, minutes=120,
                                                               actor=None)
    return sent_id, number, code


def test_rotation_keeps_threading_and_unsold_cards(two_orgs, settings):
    settings.MAIL_MESSAGE_ID_SECRET = ""
    ticket = TicketFactory.create(requester=two_orgs.maria)
    sent_id, number, code = issued_under_old_key(ticket)
    with override_settings(SECRET_KEY=NEW, SECRET_KEY_FALLBACKS=[OLD]):
        row = reply(sent_id)
        assert (row.status, row.ticket, row.reason) == (
            InboundMessage.Status.THREADED, ticket, reasons.THREADED_BY_MESSAGE_ID)
        entry = credits.prepaid_card_redeem(organization_id=two_orgs.acme.pk, number=number,
                                            code=code, actor=two_orgs.maria)
        assert entry.minutes == 120
        # New signatures use the new key only.
        assert message_ids.message_id_ticket(
            message_ids.message_id_make(ticket_id=ticket.pk)) == ticket.pk


def test_without_the_fallback_old_signatures_and_codes_are_refused(two_orgs, settings):
    settings.MAIL_MESSAGE_ID_SECRET = ""
    ticket = TicketFactory.create(requester=two_orgs.maria)
    sent_id, number, code = issued_under_old_key(ticket)
    with override_settings(SECRET_KEY=NEW, SECRET_KEY_FALLBACKS=[]):
        assert message_ids.message_id_ticket(sent_id) is None
        with pytest.raises(credit_exc.CardRejected):
            credits.prepaid_card_redeem(organization_id=two_orgs.acme.pk, number=number,
                                        code=code, actor=two_orgs.maria)


def test_dedicated_message_id_secret_rotates_with_its_own_fallbacks(settings):
    settings.MAIL_MESSAGE_ID_SECRET = "first-dedicated"
    sent_id = message_ids.message_id_make(ticket_id=7)
    settings.MAIL_MESSAGE_ID_SECRET = "second-dedicated"
    assert message_ids.message_id_ticket(sent_id) is None
    settings.MAIL_MESSAGE_ID_SECRET_FALLBACKS = ["first-dedicated"]
    assert message_ids.message_id_ticket(sent_id) == 7


def test_message_ids_and_card_hashes_of_the_previous_format_still_work(two_orgs, settings):
    """Signed before this change: a plain HMAC keyed by "message-id:<SECRET_KEY>"; cards
    hashed with SECRET_KEY itself. No migration rewrites them: they verify as they are."""
    settings.MAIL_MESSAGE_ID_SECRET = ""
    nonce = "0123456789abcdef"
    legacy_sig = hmac.new(f"message-id:{settings.SECRET_KEY}".encode(), f"42.{nonce}".encode(),
                          hashlib.sha256).hexdigest()[:32]
    legacy_id = f"<t42.{nonce}.{legacy_sig}@{settings.MAIL_MESSAGE_ID_DOMAIN}>"
    assert message_ids.message_id_ticket(legacy_id) == 42
    number, code = "1111-2222-3333-4444", "ABCD-EFGH-JKLM"
    legacy_hash = hmac.new(settings.SECRET_KEY.encode(), f"card:{number}:ABCDEFGHJKLM".encode(),
                           hashlib.sha256).hexdigest()
    PrepaidCard.objects.create(number=number, code_hash=legacy_hash, minutes=300)
    entry = credits.prepaid_card_redeem(organization_id=two_orgs.acme.pk, number=number,
                                        code=code.lower(), actor=two_orgs.maria)
    assert entry.minutes == 300


def test_new_card_hashes_name_their_key_not_the_code(settings):
    stored = credits.card_code_hash(number="1-2", code="ABCD-EFGH-JKLM")
    assert stored.startswith(credits.CARD_HASH_PREFIX) and "ABCD" not in stored
    assert credits.card_code_matches(stored_hash=stored, number="1-2", code="abcd efgh jklm")
    assert not credits.card_code_matches(stored_hash=stored, number="1-3", code="ABCDEFGHJKLM")
