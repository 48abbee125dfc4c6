"""All models, importable from one place; one module per area."""
from .audit import ChangeAction, ChangeLog, ChangeSource
from .base import LabelledEnum, ScopeRule, db
from .campaign import Campaign, Indicator, Target, Task, TaskStatus, TaskUpdate
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
from .report import ReportRun, ReportStatus
from .signboard import Signboard
from .user import OfficeUser

__all__ = [name for name in dir() if not name.startswith("_")]
