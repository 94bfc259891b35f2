"""Statements: a monthly report of one engagement, issued once and never changed.

The document (figures, adjustments, checkpoint, signature) is put together from the
read models by the caller; the ledger records it in the engagement's stream
(`StatementIssued`), where it stays exactly as issued, and a locator finds it by id."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from service.application.base import LedgerBase
from service.application.caller import Caller
from service.application.commands import RequestId, Written, command
from service.domain import Engagement, Locator, NotFound, RuleViolation


class StatementCommands(LedgerBase):
    @command
    def issue_statement(
        self,
        engagement_id: UUID,
        *,
        month: str,
        document: dict[str, Any],
        caller: Caller,
        request: RequestId,
    ) -> Written[dict[str, Any]]:
        """Record the statement whose id is the request's (the caller builds the
        document with it, so a retried request finds its first outcome)."""
        if document.get("id") != str(request.value):
            raise RuleViolation("the statement document must carry the request's id")
        engagement = self.get(Engagement, engagement_id)
        issued = engagement.statements.get(month)
        if issued is not None and issued["id"] == str(request.value):
            position = self.position_of(engagement.id, issued["version"])
            return Written(self.statement(request.value), position, replayed=True)
        engagement.issue_statement(
            statement_id=request.value, month=month, document=document, actor=caller.actor
        )
        locator = Locator.place(id=request.value, kind="statement", owner_id=engagement.id)
        return self.save_all(locator, engagement, value=document)

    def statement(self, statement_id: UUID) -> dict[str, Any]:
        """The document exactly as issued."""
        engagement = self.get(Engagement, self.located(statement_id, "statement").owner_id)
        for issued in engagement.statements.values():
            if issued["id"] == str(statement_id):
                return self.stored_fields(engagement.id, issued["version"], ["document"])[
                    "document"
                ]
        raise NotFound(f"no statement {statement_id}")

    def statements_of(self, engagement_id: UUID) -> list[dict[str, Any]]:
        """Every statement of the engagement, in the order issued."""
        engagement = self.get(Engagement, engagement_id)
        issued = sorted(engagement.statements.values(), key=lambda s: s["version"])
        return [
            self.stored_fields(engagement.id, s["version"], ["document"])["document"]
            for s in issued
        ]
