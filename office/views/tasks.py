"""任务督办: the campaign, its steps, targets, tasks and progress updates (CRUD screens).

The bureau's actions (POST with the page's CSRF token; rules in office/services/tasks.py):

    工作方案 › 载入实施方案步骤   the plan's steps (四) into the campaign, those it lacks
    工作方案 › 生成全部任务       every step into tasks: one per township / department, once
    工作方案 › 复制到新年度       /campaignview/copy/<id>: settings, targets, steps (+1 year)
    实施步骤 › 生成任务           the selected steps into tasks (show page or list)

The deadline screens (我的任务, 督办看板, 截止日历, progress updates with evidence, the
notifications) are in office/views/deadlines.py.
"""
from __future__ import annotations

from flask import redirect, request, url_for
from flask_appbuilder.actions import action
from flask_appbuilder.baseviews import expose
from flask_appbuilder.fields import EnumField
from flask_appbuilder.fieldwidgets import Select2Widget
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.security.decorators import has_access
from sqlalchemy.orm import selectinload

from office.kit.base import OfficeModelView
from office.kit.i18n import flash_tr, lazy, tr, tr_n
from office.kit.loading import joined
from office.models import Campaign, Indicator, Step, Target, Task, TaskUpdate
from office.roles import ADD
from office.scope import ScopedInterface
from office.services import deadlines, progress, tasks as service

# A task's label names its owner (township or department): load them with every task dropdown.
_TASK_CHOICES = {"task": [joined("township", "department")]}
STEP_PERMISSION = "CampaignStep"
CONFIRM_PLAN = lazy("按实施方案“四、实施步骤”为本方案添加步骤？已有的步骤不会重复添加。")
CONFIRM_GENERATE = lazy("按所选步骤为各乡镇（街道、场）、部门生成任务？已生成的不会重复生成。")
CONFIRM_GENERATE_ALL = lazy("按本方案的全部实施步骤为各乡镇（街道、场）、部门生成任务？"
                            "已生成的不会重复生成。")


class SelectInLoad(BaseFilter):
    """Not a filter: loads collections (a step's departments) in one extra SELECT per page."""

    name = "select-in load"
    arg_name = None

    def apply(self, query, value):
        return query.options(*[selectinload(getattr(self.model, path)) for path in value])


NONE_CHOICE = lazy("（无）")


class OptionalEnumField(EnumField):
    """FAB's enum select with an empty first choice, for a nullable enum column: FAB offers none,
    so a task's edit form silently gave every task without an indicator the first one."""

    def __init__(self, enum_class, label=None, description=None, blank=NONE_CHOICE, **kwargs):
        kwargs.setdefault("widget", Select2Widget())
        super().__init__(enum_class=enum_class, enums=[m.name for m in enum_class], label=label,
                         description=description, **kwargs)
        self.choices = [("", blank), *((v, lazy(label)) for v, label in self.choices)]
        coerce = self.coerce
        self.coerce = lambda value: None if value in ("", None) else coerce(value)


INDICATOR_HELP = lazy("填写后，任务进度取自该考核指标的实时统计，不能手工填写")


def _indicator_field(description) -> dict:
    return {"indicator": OptionalEnumField(Indicator, lazy("考核指标"), description)}


def _back_to(view: str, pk):
    return redirect(url_for(f"{view}.show", pk=pk))


def tr_steps(result) -> str:
    """已处理 N 个步骤：…, in the request's language."""
    return tr_n("已处理 %(n)s 个步骤：", result.steps) + result.message


def _run(work, done_message=None):
    """A service call from an action: its result or its refusal as a flash message."""
    try:
        result = work()
    except service.TaskError as exc:
        flash_tr(exc, "danger")
        return None
    if done_message:
        flash_tr(done_message(result), "success")
    return result


class TaskUpdateView(OfficeModelView):
    datamodel = ScopedInterface(TaskUpdate)
    list_columns = ["task", "noted_on", "progress", "note", "author"]
    add_columns = ["task", "noted_on", "progress", "note"]
    edit_columns = add_columns
    show_columns = ["task", "noted_on", "progress", "note", "author", "evidence"]
    search_columns = ["task", "noted_on", "author", "note"]
    base_order = ("noted_on", "desc")
    base_filters = [joined("task.township", "task.department")]
    search_form_query_rel_fields = add_form_query_rel_fields = edit_form_query_rel_fields = (
        _TASK_CHOICES
    )


class TaskView(OfficeModelView):
    datamodel = ScopedInterface(Task)
    list_columns = ["step_no", "title", "township", "department", "due_on", "status",
                    "progress", "done_on"]
    add_columns = ["campaign", "step_no", "title", "township", "department", "indicator",
                   "due_on", "status", "progress", "done_on"]
    edit_columns = add_columns
    # not the derived collections (到期提醒, 站内提醒): the reminders are the job's bookkeeping
    show_columns = ["campaign", "step", "step_no", "title", "township", "department",
                    "indicator", "due_on", "status", "progress", "done_on", "evidence"]
    search_columns = ["campaign", "title", "township", "department", "status", "indicator",
                      "due_on", "done_on"]
    description_columns = {
        "township": "乡镇（街道、场）与部门二选一",
        "progress": "0–100；对应考核指标的任务，进度取自指标的实时统计",
        "due_on": "由县住建局物业办确定；乡镇（街道、场）和部门只能更新状态、进度和完成日期",
    }
    add_form_extra_fields = edit_form_extra_fields = _indicator_field(INDICATOR_HELP)
    base_order = ("due_on", "asc")
    base_filters = [joined("township", "department")]
    row_state = staticmethod(deadlines.task_state)  # list and grid rows coloured by due date
    related_views = [TaskUpdateView]
    show_template = "tasks/task_show.html"
    # The owner (township clerk, department liaison) reports status and progress; the title,
    # deadline and addressee are the bureau's - on the form, the grid and the API alike
    # (office/kit/base.py, ScopedMixin).
    owner_edit_columns = list(progress.OWNER_EDITABLE)
    owner_edit_check = staticmethod(progress.check_owner_edit)


class StepView(OfficeModelView):
    datamodel = ScopedInterface(Step)
    method_verbs = {"generate_tasks": ADD}  # generating a step's tasks adds them
    class_permission_name = STEP_PERMISSION
    list_title = lazy("实施步骤列表")
    add_title, edit_title, show_title = (lazy("添加实施步骤"), lazy("编辑实施步骤"),
                                         lazy("查看实施步骤"))
    list_columns = ["step_no", "title", "due_on", "to_townships", "to_all_departments",
                    "departments", "indicator"]
    add_columns = edit_columns = ["campaign", "step_no", "title", "due_on", "to_townships",
                                  "to_all_departments", "departments", "indicator", "note"]
    show_columns = add_columns
    search_columns = ["campaign", "step_no", "title", "due_on", "indicator"]
    description_columns = {
        "step_no": "实施方案“四、实施步骤”的序号",
        "departments": "只下达给部分部门时选择（如公示牌由住建部门负责）",
    }
    add_form_extra_fields = edit_form_extra_fields = _indicator_field(INDICATOR_HELP)
    base_order = ("due_on", "asc")
    business_key = ["campaign", "step_no", "title"]  # 导入“新增并更新”按此识别已有记录
    base_filters = [["id", SelectInLoad, ("departments",)]]
    formatters_columns = {"departments": lambda rows: "、".join(d.name for d in rows or [])}

    @action("generate_tasks", lazy("生成任务"), CONFIRM_GENERATE, "fa-cogs", multiple=True,
            single=True)
    def generate_tasks(self, items):
        steps = items if isinstance(items, list) else [items]
        total = service.Generated()
        for step in steps:
            result = _run(lambda step=step: service.generate_step(step))
            if result is None:
                break
            total += result
        else:
            flash_tr(tr_steps(total), "success")
        if not isinstance(items, list):
            return _back_to(type(self).__name__, items.id)
        self.update_redirect()
        return redirect(self.get_redirect())


class TargetView(OfficeModelView):
    datamodel = ScopedInterface(Target)
    list_columns = ["campaign", "indicator", "threshold", "due_on"]
    add_columns = edit_columns = ["campaign", "indicator", "threshold", "due_on"]
    search_columns = ["campaign", "indicator", "due_on"]
    description_columns = {"threshold": "百分比，大于0且不超过100"}
    base_order = ("due_on", "asc")
    business_key = ["campaign", "indicator", "due_on"]  # 导入“新增并更新”按此识别已有记录
    base_filters = [joined("campaign")]


class CampaignView(OfficeModelView):
    datamodel = ScopedInterface(Campaign)
    # loading the plan's steps, generating every task and copying a campaign to a new year
    method_verbs = {"plan_steps": ADD, "generate_all": ADD, "copy_campaign": ADD}
    list_columns = ["name", "year", "starts_on", "ends_on", "interim_counts"]
    add_columns = edit_columns = [
        "county", "name", "year", "starts_on", "ends_on", "interim_counts",
        "disclosure_interval_days", "reelection_warning_days", "filing_days", "term_max_years",
        "committee_min_size", "committee_max_size",
    ]
    search_columns = ["name", "year", "starts_on", "ends_on"]
    description_columns = {
        "interim_counts": "物业管理委员会是否计入业委会组建率（按本省规定）",
        "disclosure_interval_days": "收支情况、服务项目至少每隔多少天公示一次",
        "reelection_warning_days": "任期届满前多少天提醒启动换届",
        "filing_days": "选举后多少天内备案",
    }
    base_order = ("year", "desc")
    business_key = ["county", "year"]  # 导入“新增并更新”按此识别已有记录
    related_views = [StepView, TargetView, TaskView]
    show_template = "tasks/campaign_show.html"

    @action("plan_steps", lazy("载入实施方案步骤"), CONFIRM_PLAN, "fa-list-ol", multiple=False,
            single=True)
    def plan_steps(self, item):
        added = service.add_plan_steps(item)
        if added:
            flash_tr("已添加 %(n)s 个实施步骤", "success", n=len(added))
        else:
            flash_tr("实施方案的步骤均已添加，无需重复添加", "info")
        return _back_to(type(self).__name__, item.id)

    @action("generate_all", lazy("生成全部任务"), CONFIRM_GENERATE_ALL, "fa-cogs", multiple=False,
            single=True)
    def generate_all(self, item):
        _run(lambda: service.generate_campaign(item),
             lambda result: tr_steps(result))
        return _back_to(type(self).__name__, item.id)

    @expose("/copy/<int:pk>", methods=["GET", "POST"])
    @has_access
    def copy_campaign(self, pk):
        source = self._writable(pk)
        form = {"year": str(source.year + 1), "name": "", "generate": False}
        if request.method == "POST":
            form = {"year": request.form.get("year", "").strip(),
                    "name": request.form.get("name", "").strip(),
                    "generate": bool(request.form.get("generate"))}
            try:
                year = int(form["year"])
                if not 1900 <= year <= 2999:
                    raise ValueError
            except ValueError:
                flash_tr("请填写正确的年度（四位数字）", "danger")
            else:
                copied = _run(lambda: service.copy_campaign(source, year, form["name"],
                                                            form["generate"]),
                              lambda result: result.message)
                if copied is not None:
                    return _back_to(type(self).__name__, copied.campaign.id)
        return self.render_template("tasks/campaign_copy.html", source=source, form=form,
                                    counts=service.plan_counts(source),
                                    title=tr("复制工作方案到新年度"))
