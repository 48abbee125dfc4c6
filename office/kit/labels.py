"""Chinese column labels, shared by every screen, the API docs and (later) xlsx headers."""

LABELS = {
    "id": "编号", "name": "名称", "code": "代码", "kind": "类型", "note": "备注",
    "created_at": "创建时间", "updated_at": "更新时间", "version": "版本",
    "county": "县（区）", "township": "乡镇（街道、场）", "department": "部门",
    "short_name": "简称", "duties": "职责",
    "person": "联系人", "service_phone": "服务电话", "complaint_phone": "投诉电话",
    "hours": "受理时间", "reported_on": "报送日期", "owner": "所属单位",
    "number": "版本号", "effective_on": "生效日期",
    "community": "社区（村）", "address": "地址", "households": "户数", "buildings": "楼栋数",
    "built_year": "建成年份", "delivered_on": "交付日期", "developer": "建设单位",
    "management_mode": "管理方式", "company": "物业服务企业",
    "compound": "小区", "formed_on": "成立日期", "leader": "组长", "members_count": "成员人数",
    "status": "状态", "assembly_on": "业主大会召开日期",
    "term_no": "届次", "elected_on": "选举日期", "term_end": "任期届满", "filed_on": "备案日期",
    "dissolved_on": "解散日期", "office_space": "办公用房", "office_address": "办公地点",
    "committee": "业委会", "role": "职务", "phone": "电话", "joined_on": "任职日期",
    "left_on": "离任日期", "member": "业委会成员", "held_on": "日期", "held_by": "实施单位",
    "present": "已归档", "checked_on": "检查日期",
    "uscc": "统一社会信用代码", "legal_person": "法定代表人",
    "signed_on": "签订日期", "starts_on": "起始日期", "ends_on": "截止日期",
    "terminated_on": "终止日期", "service_grade": "服务等级", "price_regime": "价格形式",
    "fee_model": "计费方式", "fee": "收费标准(元/㎡·月)", "price_review_status": "收费核定状态",
    "approved_fee": "核定收费(元/㎡·月)", "reviewed_on": "核定日期", "review_note": "核定意见",
    "item": "公示事项", "period": "公示期间", "published_on": "公示日期", "channel": "公示方式",
    "installed_on": "安装日期", "directory_version": "通讯录版本", "location": "位置",
    "removed_on": "拆除日期",
    "campaign": "工作方案", "year": "年度", "interim_counts": "物管会计入组建率",
    "disclosure_interval_days": "公示间隔(天)", "reelection_warning_days": "换届提醒(天)",
    "filing_days": "备案时限(天)", "term_max_years": "最长任期(年)",
    "committee_min_size": "业委会最少人数", "committee_max_size": "业委会最多人数",
    "indicator": "考核指标", "threshold": "目标值(%)", "due_on": "完成时限",
    "step_no": "步骤", "title": "任务", "progress": "进度(%)", "done_on": "完成日期",
    "task": "任务", "noted_on": "日期", "evidence_path": "佐证材料", "author": "填报人",
    "received_on": "受理日期", "parties": "纠纷当事方", "summary": "纠纷概况",
    "resolved_on": "办结日期", "mediator": "调解人",
    "source": "来源", "found_on": "发现日期", "description": "问题描述", "deadline": "整改时限",
    "closed_on": "销号日期",
    "as_of": "统计截止日期", "requested_by": "发起人", "started_at": "开始时间",
    "finished_at": "完成时间", "sha256": "SHA-256", "error": "错误信息",
    "submitted_at": "上报时间", "receipt_no": "回执编号", "file_path": "文件",
    "at": "时间", "username": "用户", "entity": "对象", "row_id": "记录编号", "action": "操作",
    "field": "字段", "old": "原值", "new": "新值",
}


def labels_for(columns) -> dict[str, str]:
    """Labels for a view's columns, dotted ones ("township.name") by their first part."""
    return {c: LABELS.get(c, LABELS.get(c.split(".")[0], c)) for c in columns}


# ---------------------------------------------------------------- value formatting
# (None and booleans are printed by office/_values.html; dates print as YYYY-MM-DD already.)


def to_minute(value):
    """A timestamp as a clerk reads it: 2020-09-30 17:05 (not …17:05:42.123456)."""
    return "" if value is None else value.strftime("%Y-%m-%d %H:%M")
