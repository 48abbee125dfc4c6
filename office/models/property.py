"""Property companies, their contracts, price reviews and public disclosures (二.2, 三.3)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates
from stdnum.cn import uscc as uscc_check
from stdnum.exceptions import ValidationError

from office.models.base import LabelledEnum, ScopeRule, VersionedMixin, db, enum_column
from office.models.compound import Compound

IN_TOWNSHIP = ScopeRule(township="compound.township_id")


class PropertyCompany(VersionedMixin, db.Model):
    __tablename__ = "property_company"
    __scope__ = ScopeRule(public_read=True)
    __labels__ = {  # the columns' Chinese names: screens, sheets, messages
        "name": "名称", "address": "地址", "phone": "电话", "uscc": "统一社会信用代码",
        "legal_person": "法定代表人",
    }
    __messages__ = {  # what a clerk is told when a constraint refuses a row
        "uq_property_company_uscc": "统一社会信用代码「{uscc}」已登记，请勿重复添加企业",
    }

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    uscc: Mapped[str] = mapped_column(sa.String(18), unique=True)
    legal_person: Mapped[str | None] = mapped_column(sa.String(30))
    phone: Mapped[str | None] = mapped_column(sa.String(20))
    address: Mapped[str | None] = mapped_column(sa.String(200))

    @validates("uscc")
    def _valid_uscc(self, key: str, value: str) -> str:
        try:
            return uscc_check.validate(value)
        except ValidationError as exc:
            raise ValueError(f"统一社会信用代码无效：{value}") from exc

    def __str__(self) -> str:
        return self.name


class ContractKind(LabelledEnum):
    preliminary = "前期物业服务合同"
    assembly = "物业服务合同"


class ServiceGrade(LabelledEnum):
    grade1 = "一级"
    grade2 = "二级"
    grade3 = "三级"
    grade4 = "四级"
    grade5 = "五级"


class PriceRegime(LabelledEnum):
    guided = "政府指导价"
    market = "市场调节价"


class FeeModel(LabelledEnum):
    lump_sum = "包干制"
    remuneration = "酬金制"


class PriceReviewStatus(LabelledEnum):
    none = "未核定"
    pending = "待核定"
    reasonable = "核定合理"
    reset = "已重新核定"


class ServiceContract(VersionedMixin, db.Model):
    """In force from starts_on until the earlier of ends_on and terminated_on."""

    __tablename__ = "service_contract"
    __table_args__ = (
        sa.CheckConstraint("ends_on >= starts_on", name="period_order"),
        sa.CheckConstraint("fee >= 0", name="fee_nonneg"),
    )
    __scope__ = IN_TOWNSHIP
    __labels__ = {  # the columns' Chinese names: screens, sheets, messages
        "kind": "类型", "company": "物业服务企业", "compound": "小区", "signed_on": "签订日期",
        "starts_on": "起始日期", "ends_on": "截止日期", "terminated_on": "终止日期",
        "service_grade": "服务等级", "price_regime": "价格形式", "fee_model": "计费方式",
        "fee": "收费标准(元/㎡·月)", "price_review_status": "收费核定状态",
        "approved_fee": "核定收费(元/㎡·月)", "reviewed_on": "核定日期", "review_note": "核定意见",
    }
    __messages__ = {  # what a clerk is told when a constraint refuses a row
        "ck_service_contract_period_order": "截止日期不能早于起始日期",
        "ck_service_contract_fee_nonneg": "收费标准不能为负数",
    }

    id: Mapped[int] = mapped_column(primary_key=True)
    compound_id: Mapped[int] = mapped_column(sa.ForeignKey("compound.id"), index=True)
    compound: Mapped[Compound] = relationship()
    company_id: Mapped[int] = mapped_column(sa.ForeignKey("property_company.id"), index=True)
    company: Mapped[PropertyCompany] = relationship()
    kind: Mapped[ContractKind] = mapped_column(enum_column(ContractKind))
    signed_on: Mapped[dt.date] = mapped_column(sa.Date)
    starts_on: Mapped[dt.date] = mapped_column(sa.Date)
    ends_on: Mapped[dt.date] = mapped_column(sa.Date)
    terminated_on: Mapped[dt.date | None] = mapped_column(sa.Date)
    service_grade: Mapped[ServiceGrade] = mapped_column(enum_column(ServiceGrade))
    price_regime: Mapped[PriceRegime] = mapped_column(enum_column(PriceRegime))
    fee_model: Mapped[FeeModel] = mapped_column(enum_column(FeeModel))
    fee: Mapped[Decimal] = mapped_column(sa.Numeric(8, 2))  # 元/㎡·月
    price_review_status: Mapped[PriceReviewStatus] = mapped_column(
        enum_column(PriceReviewStatus), default=PriceReviewStatus.none
    )
    approved_fee: Mapped[Decimal | None] = mapped_column(sa.Numeric(8, 2))
    reviewed_on: Mapped[dt.date | None] = mapped_column(sa.Date)
    review_note: Mapped[str | None] = mapped_column(sa.Text)

    def __str__(self) -> str:
        return f"{self.compound} · {self.company} · {self.kind}"


class DisclosureItem(LabelledEnum):
    fee_accounts = "物业费收支情况"
    service_items = "服务项目与标准"
    common_income = "公共收益"
    maintenance_fund = "维修资金使用"
    contract = "物业服务合同"


class Disclosure(VersionedMixin, db.Model):
    """One publication (公示) by a company or a self-managing compound."""

    __tablename__ = "disclosure"
    __table_args__ = (
        sa.Index("ix_disclosure_compound_item", "compound_id", "item", "published_on"),
    )
    __scope__ = IN_TOWNSHIP
    __labels__ = {  # the columns' Chinese names: screens, sheets, messages
        "company": "物业服务企业", "compound": "小区", "item": "公示事项", "period": "公示期间",
        "published_on": "公示日期", "channel": "公示方式",
    }

    id: Mapped[int] = mapped_column(primary_key=True)
    compound_id: Mapped[int] = mapped_column(sa.ForeignKey("compound.id"), index=True)
    compound: Mapped[Compound] = relationship()
    company_id: Mapped[int | None] = mapped_column(sa.ForeignKey("property_company.id"))
    company: Mapped[PropertyCompany | None] = relationship()
    item: Mapped[DisclosureItem] = mapped_column(enum_column(DisclosureItem))
    period: Mapped[str | None] = mapped_column(sa.String(30))
    published_on: Mapped[dt.date] = mapped_column(sa.Date)
    channel: Mapped[str | None] = mapped_column(sa.String(50))
