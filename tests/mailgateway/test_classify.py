"""Recognising automatic mail (mailgateway/inbound/classify.py)."""

import pytest

from mailgateway.inbound import classify, parse, reasons
from mailgateway.message_ids import LOOP_HEADER
from tests.factories.mailgateway import raw_email


def _classify(**kwargs) -> classify.Classification:
    raw = raw_email(**kwargs)
    return classify.classify(raw, parse.parse_message(raw))


@pytest.mark.parametrize("headers, reason", [
    ({"Auto-Submitted": "auto-replied"}, reasons.AUTO_SUBMITTED % "auto-replied"),
    ({"Auto-Submitted": "auto-generated"}, reasons.AUTO_SUBMITTED % "auto-generated"),
    ({"X-Auto-Response-Suppress": "All"}, reasons.AUTO_RESPONSE_SUPPRESS),
    ({"Precedence": "bulk"}, reasons.PRECEDENCE % "bulk"),
    ({"Precedence": "junk"}, reasons.PRECEDENCE % "junk"),
    ({"Precedence": "list"}, reasons.PRECEDENCE % "list"),
    ({"List-Id": "<x.lists.example>"}, reasons.MAILING_LIST % "List-Id"),
    ({"List-Unsubscribe": "<mailto:u@x>"}, reasons.MAILING_LIST % "List-Unsubscribe"),
    ({"X-Autoreply": "yes"}, reasons.AUTOREPLY_HEADER % "X-Autoreply"),
    ({"X-Autorespond": "yes"}, reasons.AUTOREPLY_HEADER % "X-Autorespond"),
    ({"X-Apple-Action": "VACATION"}, reasons.VACATION_HEADER % "X-Apple-Action"),
    ({"Return-Path": "<>"}, reasons.EMPTY_RETURN_PATH),
    ({LOOP_HEADER: "1"}, reasons.LOOP_HEADER_SEEN),
])
def test_automatic_headers(headers, reason):
    verdict = _classify(headers=headers)
    assert verdict.automatic and verdict.reason == reason


@pytest.mark.parametrize("sender", ["MAILER-DAEMON@mx.example", "postmaster@x.example",
                                    "Mailer_Daemon@x.example", "no-reply@x.example"])
def test_automatic_senders(sender):
    assert _classify(from_addr=sender).automatic


def test_a_person_is_not_automatic():
    verdict = _classify(headers={"Auto-Submitted": "no", "Precedence": "normal",
                                 "Return-Path": "<maria@acme.example>"},
                        subject="Re: undeliverable calls on trunk 2")
    assert not verdict.automatic and verdict.reason == ""


def test_reports_are_automatic():
    raw = (b"From: reports@isp.example\r\nSubject: hi\r\nMIME-Version: 1.0\r\n"
           b"Content-Type: multipart/report; report-type=feedback-report; boundary=b\r\n\r\n"
           b"--b\r\nContent-Type: text/plain\r\n\r\nabuse\r\n--b\r\n"
           b"Content-Type: message/feedback-report\r\n\r\nFeedback-Type: abuse\r\n\r\n--b--\r\n")
    verdict = classify.classify(raw, parse.parse_message(raw))
    assert verdict.automatic and verdict.reason == reasons.FEEDBACK_REPORT
    assert not verdict.bounce


def test_mail_from_our_own_address_is_a_loop():
    verdict = _classify(from_addr="Soporte <SUPPORT@helpdesk.example>")
    assert verdict.automatic and verdict.reason == reasons.OUR_ADDRESS


def test_every_reason_marked_for_translation_reads_in_spanish():
    """The quarantine reasons agents read are in the catalogue (they are marked with
    gettext_noop, the name makemessages looks for: under an alias it dropped them)."""
    from django.utils import translation

    marked = (reasons.NO_SENDER, reasons.SENDER_UNVERIFIED, reasons.MESSAGE_ID_REUSED,
              reasons.SENDER_UNKNOWN, reasons.SENDER_INACTIVE,
              reasons.SENDER_OTHER_ORGANIZATION, reasons.SENDER_NOT_PARTICIPANT)
    with translation.override("es"):
        untranslated = [reason for reason in marked if reasons.label(reason) == reason]
    assert not untranslated
    with translation.override("es"):
        assert reasons.label(reasons.SENDER_UNKNOWN + " — by Alex") == (
            "remitente rechazado: la dirección no es de ningún usuario nuestro — by Alex")
