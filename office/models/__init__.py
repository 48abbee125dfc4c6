"""All models, importable from one place; one module per area."""
from .audit import ChangeAction, ChangeLog, ChangeSource
from .base import LabelledEnum, ScopeRule, db
from .campaign import (
    Campaign,
    Indicator,
    Step,
    Target,
    Task,
    TaskEvidence,
    TaskStatus,
    TaskUpdate,
)
from .compound import Compound, CompoundKind, ManagementMode
from .dispute import Dispute, DisputeParties, DisputeStatus, Finding, FindingSource, FindingStatus
from .governance import (
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
from .notification import Notification, ReminderThreshold, TaskReminder
from .org import ContactPoint, County, Department, DirectoryRevision, Township, TownshipKind
from .property import (
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
from .report import (
    ReportRun,
    ReportStatus,
    ReportTrigger,
    SubmissionChannel,
    SubmissionStatus,
)
from .signboard import Signboard
from .snapshot import IndicatorFigure, IndicatorSnapshot
from .user import OfficeUser

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
