"""The database tables, one module per aggregate. Importing this registers them all."""

from server.models.apikey import ApiKey
from server.models.call import Call, CallEvent, OutcomeChange
from server.models.case import (
    Case,
    CaseFile,
    CaseOutcomeChange,
    CaseReply,
    CaseSteps,
    CaseSubmission,
)
from server.models.consent import ConsentText
from server.models.evidence import AuditEntry, Photo, Recording
from server.models.inspection import Inspection, InspectionTemplates
from server.models.link import BuyerPass, Link
from server.models.order import CallSku
from server.models.phrase import QuickPhrase
from server.models.qa import QaComment, QaCriterion, QaScore, QaScoreItem
from server.models.rollup import CallRollup
from server.models.support_hours import SupportHours
from server.models.taxonomy import OutcomeCategory, OutcomeCode
from server.models.user import Role, StaffSession, User
from server.models.webhook import WebhookAttempt, WebhookDelivery, WebhookEndpoint

__all__ = [
    "ApiKey",
    "AuditEntry",
    "BuyerPass",
    "Call",
    "CallEvent",
    "CallRollup",
    "CallSku",
    "Case",
    "CaseFile",
    "CaseOutcomeChange",
    "CaseReply",
    "CaseSteps",
    "CaseSubmission",
    "ConsentText",
    "Inspection",
    "InspectionTemplates",
    "Link",
    "OutcomeCategory",
    "OutcomeChange",
    "OutcomeCode",
    "Photo",
    "QaComment",
    "QaCriterion",
    "QaScore",
    "QaScoreItem",
    "QuickPhrase",
    "Recording",
    "Role",
    "StaffSession",
    "SupportHours",
    "User",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEndpoint",
]
