"""Every table model, so SQLModel.metadata knows the whole schema (migrations, tests)."""

from __future__ import annotations

from sqlmodel import SQLModel

from alerts.feeds.models import CapFeed, CapFeedDocument
from alerts.models import Alert, AlertDelivery
from core.areas.models import Area
from core.audit.models import AuditEvent, AuditHead
from core.auth.models import AuthToken, LoginThrottle, RoleAssignment, User
from playlists.content.jobs import IngestJob
from playlists.content.models import ContentItem
from playlists.sessions.models import AreaPolicy, BroadcastSession, QueueEntry, SessionTarget
from playlists.timelines.models import BuildState, StationBuild, TimelineBody
from playlists.timelines.record import StationPlan
from reports.periodic import ReportGeneration
from reports.summaries import StationDaySummaryRow
from stations.fleet.models import AsRun, StationAgent, StationChange, StationEnrollment
from stations.fleet.presence import StationPresence
from stations.models import Station, StationGroup, StationGroupMember

TABLES = (
    Area,
    AuditEvent,
    AuditHead,
    AuthToken,
    ContentItem,
    IngestJob,
    LoginThrottle,
    RoleAssignment,
    User,
    Station,
    StationGroup,
    StationGroupMember,
    AreaPolicy,
    BroadcastSession,
    QueueEntry,
    SessionTarget,
    TimelineBody,
    StationBuild,
    StationPlan,
    StationDaySummaryRow,
    ReportGeneration,
    BuildState,
    StationEnrollment,
    StationAgent,
    StationChange,
    StationPresence,
    AsRun,
    Alert,
    AlertDelivery,
    CapFeed,
    CapFeedDocument,
)
metadata = SQLModel.metadata
