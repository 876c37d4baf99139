from mailgateway.message_ids import message_id_make, message_id_ticket


def test_signed_message_id_round_trips():
    value = message_id_make(ticket_id=42)
    assert message_id_ticket(value) == 42


def test_forged_message_id_is_refused():
    value = message_id_make(ticket_id=42)
    forged = value.replace("<t42.", "<t43.")
    assert message_id_ticket(forged) is None
    assert message_id_ticket("<random@example.com>") is None
