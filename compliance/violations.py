"""`RuleViolation`: why a command was refused, with a stable code, in Swedish and English."""

from __future__ import annotations


class RuleViolation(Exception):
    """A command broke a rule: a stable `code` and the reason in Swedish and English.

    `offer` names a way forward the pages may offer beside the refusal (e.g. "table-item"
    when a secret ballot cannot be held), or is None.
    """

    def __init__(
        self, code: str, message_sv: str, message_en: str, offer: str | None = None
    ) -> None:
        super().__init__(code, message_sv, message_en)
        self.code = code
        self.message_sv = message_sv
        self.message_en = message_en
        self.offer = offer

    def __str__(self) -> str:
        return f"{self.code}: {self.message_sv} / {self.message_en}"
