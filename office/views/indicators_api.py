"""GET /api/v1/indicators/?as_of=YYYY-MM-DD[&campaign=ID]: every indicator as of a date.

Computed live by office/indicators.py (township_rates, county_rates, the campaign's targets):
the API is for systems that want exact figures for any date, not the dashboard's stored
snapshots. Same permission as the dashboard (can_read on Dashboard); a TownshipClerk gets
their own township's figures and no county total, like their dashboard.
"""
from __future__ import annotations

from flask import request
from flask_appbuilder.api import BaseApi, expose
from flask_appbuilder.security.decorators import protect

from office import indicators as ind
from office.kit.i18n import error_text
from office.models import Township, db
from office.roles import DASHBOARD, READ
from office.scope import current_scope
from office.services import dashboard as service


def _rate(rate: ind.Rate | None, targets, as_of) -> dict | None:
    if rate is None:
        return None
    return {"numerator": rate.numerator, "denominator": rate.denominator,
            "percent": rate.percent, "status": service.judge(rate, targets, as_of)}


class IndicatorApi(BaseApi):
    resource_name = "indicators"
    class_permission_name = DASHBOARD
    method_permission_name = {"get": READ}
    openapi_spec_tag = "Indicators"
    allow_browser_login = True  # like the entity APIs: the session cookie or a JWT

    @expose("/", methods=["GET"])
    @protect()
    def get(self):
        """Indicators per township (and for the county) as of a date.
        ---
        get:
          parameters:
          - {in: query, name: as_of, schema: {type: string, format: date}}
          - {in: query, name: campaign, schema: {type: integer}}
          responses:
            200: {description: the figures}
            400: {description: a bad date or campaign number}
            404: {description: no such campaign for this user}
        """
        scope = current_scope()
        campaign_text = request.args.get("campaign", "").strip()
        if campaign_text and not campaign_text.isdigit():
            return self.response_400(message="campaign 应为工作方案编号")
        try:
            _all, campaign, as_of = service.resolve(
                scope, int(campaign_text) if campaign_text else None, request.args.get("as_of"))
        except service.BadDate as exc:
            return self.response_400(message=error_text(exc))
        except service.DashboardError as exc:
            return self.response(404, message=error_text(exc))
        if scope.restricted and scope.township_id is None:
            return self.response_404()

        rates = ind.township_rates(as_of, campaign)
        county = None if scope.restricted else ind.county_rates(as_of, campaign)
        names = dict(db.session.execute(
            db.select(Township.id, Township.name).where(Township.county_id == campaign.county_id)
            .order_by(Township.id)).all())
        if scope.restricted:
            names = {tid: name for tid, name in names.items() if tid == scope.township_id}
        targets = ind.targets_for(campaign)

        indicators = []
        for key, definition in ind.INDICATORS.items():
            judged = targets.get(key, [])
            target = ind.target_on(judged, as_of)
            indicators.append({
                "key": key,
                "label": definition.label,
                "target": None if target is None else {
                    "threshold": float(target.threshold), "due_on": target.due_on.isoformat()},
                "county": None if county is None else _rate(county[key], judged, as_of),
                "townships": [
                    {"id": tid, "name": name, **(_rate(rates[key].get(tid), judged, as_of)
                                                 or {"numerator": 0, "denominator": 0,
                                                     "percent": None, "status": None})}
                    for tid, name in names.items()
                ],
            })
        return self.response(200, as_of=as_of.isoformat(),
                             campaign={"id": campaign.id, "name": campaign.name},
                             indicators=indicators)
