"""Errors of the accounts app; messages are constants the tests assert."""


class AccountsError(Exception):
    """Base of every accounts error."""

    def __init__(self, *messages):
        super().__init__(*messages)
        self.messages = [str(m) for m in messages]
