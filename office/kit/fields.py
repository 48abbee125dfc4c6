"""The add/edit forms' fields as a clerk meets them, for every screen (validation.build_forms).

* **An enum choice** that is not one, or none, is the field's error (`ChoiceField`), never a 500.
* **A required relation starts at 请选择.** FAB gives a NOT NULL many-to-one no blank choice,
  so its dropdown opens on the first row of the related table (the committee form's 小区 is
  the county's first compound) and a clerk who does not look saves the wrong row. Here every
  relation dropdown has a blank first choice, 请选择, selected on an add form, and a required
  one refuses it with ``必填，请选择<label>``.
* **A date is read as the import reads it** (``kit/values.to_date``: 20261120, 2026/11/20,
  2026-11-20, 2026年11月20日 …) or refused with its message; WTForms' DateField knows only
  2026-11-20. In the browser the datepicker no longer replaces what was typed by today
  (``forceParse`` off: ``templates/office/_date_input.html``).
"""
from __future__ import annotations

from flask_appbuilder.fields import EnumField, QuerySelectField
from wtforms import DateField, DateTimeField
from wtforms.fields.core import UnboundField
from wtforms.validators import DataRequired, InputRequired, StopValidation, ValidationError

from office.kit.i18n import N_, lazy, tr
from office.kit.values import CellError, to_date

CHOOSE = N_("请选择")
NOT_A_CHOICE = "不是有效的选项"


def choose_message(label) -> str:
    return tr("必填，请选择%(label)s", label=label)


class RelationRequired:
    """A required dropdown left at 请选择: says which one (WTForms' message names none)."""

    field_flags = {"required": True}  # the import machinery reads the flag (Col.required)

    def __call__(self, form, field):
        if field.data is None:
            field.errors[:] = []
            raise StopValidation(choose_message(field.label.text))


class ChoiceField(EnumField):
    """FAB's EnumField, saying a bogus or empty choice as the field's error: FAB's raises a
    bare KeyError (a bogus value) or ValueError (no choice), which WTForms 3.2 lets through as
    a 500."""

    def __init__(self, enum_class, enums, **kwargs):
        super().__init__(enum_class, enums, **kwargs)
        self.choices = [(value, lazy(label)) for value, label in self.choices]  # shown translated
        coerce = self.coerce

        def known(value):
            try:
                return coerce(value)
            except KeyError:
                raise ValueError(NOT_A_CHOICE) from None

        self.coerce = known

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        if valuelist[0] in ("", "__None"):  # the blank choice: the required check judges it
            self.data = None
            return
        try:
            self.data = self.coerce(valuelist[0])
        except (ValueError, TypeError):
            self.data = None
            raise ValueError(NOT_A_CHOICE) from None

    def pre_validate(self, form):
        if self.data is None:
            return  # blank: Optional lets it be, InputRequired/DataRequired says it is needed
        for value, _ in self.choices:
            if self.data == self.coerce(value):
                return
        raise ValidationError(NOT_A_CHOICE)


class _ClerkDate:
    """process_formdata through the one conversion of typed dates (kit/values.py)."""

    with_time = False

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        text = " ".join(valuelist).strip()
        if not text:
            self.data = None
            return
        try:
            self.data = to_date(text, with_time=self.with_time)
        except CellError as exc:
            self.data = None
            raise ValueError(exc.translated()) from None


class ClerkDateField(_ClerkDate, DateField):
    pass


class ClerkDateTimeField(_ClerkDate, DateTimeField):
    with_time = True


_DATE_FIELDS = {DateField: ClerkDateField, DateTimeField: ClerkDateTimeField}


def _start_blank(unbound: UnboundField) -> None:
    unbound.kwargs["allow_blank"] = True
    unbound.kwargs["blank_text"] = lazy(CHOOSE)
    validators = unbound.kwargs.get("validators") or []
    required = any(isinstance(v, (DataRequired, InputRequired)) for v in validators)
    kept = [v for v in validators if not isinstance(v, (DataRequired, InputRequired))]
    unbound.kwargs["validators"] = [RelationRequired(), *kept] if required else kept


def clerk_fields(form_cls) -> None:
    """Rewrite a built form class's fields in place: enum choices say a bad one in Chinese,
    relation dropdowns start at 请选择, dates read every spelling the import reads."""
    for name in dir(form_cls):
        unbound = getattr(form_cls, name, None)
        if not isinstance(unbound, UnboundField):
            continue
        if unbound.field_class is EnumField:
            unbound.field_class = ChoiceField
        elif unbound.field_class is QuerySelectField:
            _start_blank(unbound)
        elif unbound.field_class in _DATE_FIELDS:
            unbound.field_class = _DATE_FIELDS[unbound.field_class]
