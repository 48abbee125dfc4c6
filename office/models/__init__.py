"""All models, importable from one place; one module per area."""
from office.models.audit import ChangeAction, ChangeLog, ChangeSource
from office.models.base import LabelledEnum, ScopeRule, db
from office.models.campaign import (
    Campaign,
    Indicator,
    Step,
    Target,
    Task,
    TaskEvidence,
    TaskStatus,
    TaskUpdate,
)
from office.models.compound import Compound, CompoundKind, ManagementMode
from office.models.dispute import (
    Dispute,
    DisputeParties,
    DisputeStatus,
    Finding,
    FindingSource,
    FindingStatus,
)
from office.models.governance import (
    ArchiveItem,
    ArchiveKind,
    CommitteeKind,
    CommitteeMember,
    MemberRole,
    OfficeSpace,
    OwnersCommittee,
    PrepGroup,
    PrepGroupStatus,
    SupervisionKind,
    SupervisionRecord,
)
from office.models.notification import Notification, ReminderThreshold, TaskReminder
from office.models.org import (
    ContactPoint,
    County,
    Department,
    DirectoryRevision,
    Township,
    TownshipKind,
)
from office.models.property import (
    ContractKind,
    Disclosure,
    DisclosureItem,
    FeeModel,
    PriceRegime,
    PriceReviewStatus,
    PropertyCompany,
    ServiceContract,
    ServiceGrade,
)
from office.models.report import (
    ReportRun,
    ReportStatus,
    ReportTrigger,
    SubmissionChannel,
    SubmissionStatus,
)
from office.models.signboard import Signboard
from office.models.snapshot import IndicatorFigure, IndicatorSnapshot
from office.models.user import OfficeUser

__all__ = [name for name in dir() if not name.startswith("_")]


def _enums_by_name_in_the_api() -> None:
    """The REST API speaks enum member names ("company"), as the database and the change log
    do; FAB's schema converter defaults to the display value unless the column says so."""
    import sqlalchemy as _sa

    for table in db.metadata.tables.values():
        for column in table.columns:
            if isinstance(column.type, _sa.Enum) and column.type.enum_class is not None:
                column.info.setdefault("marshmallow_by_value", False)


_enums_by_name_in_the_api()
