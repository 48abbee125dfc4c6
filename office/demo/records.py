"""A compound's records beyond self-government: contracts, disclosures, signboards, disputes
and findings (二.2, 二.3, 三.2, 三.3, 四.1).

A mixin of seed_compounds._Generator, which provides ``self.rng``, ``self.county`` and, for
each table, ``self.<table>_id()`` and ``self.<table>_row(tuple)``. ``c`` is the compound being
generated (demo/base.CompoundDraft); problems found on the way go to ``c.issues`` as
(description, visible from), where the inspection findings pick them up.
"""
from __future__ import annotations

from office.demo.base import (
    AS_OF,
    CAMPAIGN_START,
    CompoundDraft,
    add_years,
    day,
    iso,
    weights,
)

# service grade → fee band (元/㎡·月); grade 1 is the highest service level.
GRADE_FEE = {"grade1": (1.8, 3.0), "grade2": (1.2, 1.8), "grade3": (0.8, 1.2),
             "grade4": (0.5, 0.8), "grade5": (0.3, 0.5)}
GRADE_COMMERCIAL = weights([("grade1", 15), ("grade2", 45), ("grade3", 40)])
GRADE_BASIC = weights([("grade3", 40), ("grade4", 40), ("grade5", 20)])
PERIODS = [  # half-yearly 公示 of fee accounts and service items: (period, window)
    ("2018年下半年", day(2019, 1, 5), day(2019, 2, 20)),
    ("2019年上半年", day(2019, 7, 1), day(2019, 8, 15)),
    ("2019年下半年", day(2020, 1, 5), day(2020, 2, 20)),
    ("2020年上半年", day(2020, 7, 1), day(2020, 9, 30)),
]
CHANNELS = ["小区公告栏", "业主微信群", "物业服务中心", "社区公示栏", "单元门厅公告栏"]
LOCATIONS = ["小区主入口", "物业服务中心门口", "小区广场宣传栏", "1号楼单元门厅", "小区东门"]
DISPUTES = {
    "owner_company": ["物业费上涨争议", "停车收费争议", "电梯长期停运维修不及时",
                      "小区保洁绿化不到位"],
    "owner_committee": ["业委会选聘物业程序争议", "公共收益使用不公开"],
    "committee_company": ["物业服务合同到期交接争议", "公共收益账目移交争议"],
    "owner_developer": ["配套设施未按规划交付", "房屋渗漏保修争议"],
    "owner_owner": ["装修噪音扰邻", "楼道堆放杂物", "私搭乱建占用公共区域"],
    "user_company": ["租户车辆进出管理争议", "商铺占道经营"],
}
GENERIC_FINDINGS = ["消防通道被占用", "公共区域环境卫生差", "电动车违规室内充电", "小区围墙破损"]
P_FINDING = [("self_inspection", 0.15, day(2020, 6, 15), day(2020, 7, 31)),
             ("bureau", 0.07, day(2020, 8, 10), day(2020, 9, 30)),
             ("city", 0.03, day(2020, 10, 12), AS_OF)]
BOARDS_DUE = day(2020, 8, 31)  # 四.2: boards in every compound by the end of August


class RecordsMixin:
    # --- property management ----------------------------------------------------------------
    def contracts(self, c: CompoundDraft) -> None:
        """The contract history; its last contract is with the compound's company."""
        rng = self.rng
        chain: list[list] = []  # [kind, signed, starts, ends, terminated, company changed]
        owners_from = None
        if c.first_elected is not None and c.first_elected + 45 < AS_OF:
            owners_from = c.first_elected + rng.between(45, 240)
            owners_from = owners_from if owners_from <= AS_OF else None
        if c.kind != "old" and c.delivered >= day(2003, 9, 1):  # 前期物业 by the developer
            start = c.delivered
            end = add_years(start, rng.pick((2, 3))) - 1
            chain.append(["preliminary", start - rng.between(20, 150), start, end, None, False])
            while end < AS_OF and (owners_from is None or end + 1 < owners_from) \
                    and rng.chance(0.6):
                start, end = end + 1, add_years(end + 1, rng.pick((1, 2, 3))) - 1
                chain.append(["preliminary", start - rng.between(0, 30), start, end, None,
                              rng.chance(0.1)])
            if owners_from is not None and chain[-1][3] >= owners_from:
                chain[-1][4] = owners_from  # the owners' contract ends the preliminary one
        elif owners_from is None:  # an old compound that brought in a company
            owners_from = rng.between(max(c.delivered, day(2008)), AS_OF - 30)
        if owners_from is not None:
            start, changed = owners_from, bool(chain) and rng.chance(0.35)
            while True:
                end = add_years(start, rng.pick((2, 3, 3, 5))) - 1
                chain.append(["assembly", start - rng.between(5, 40), start, end, None, changed])
                if end >= AS_OF or not rng.chance(0.85):  # else: expired, not renewed
                    break
                start, changed = end + 1, rng.chance(0.15)
        last = chain[-1]
        if last[4] is None and last[2] + 180 < AS_OF and rng.chance(0.05):  # dismissed early
            last[4] = rng.between(last[2] + 180, min(last[3], AS_OF - 1))
            start = last[4] + rng.between(0, 45)
            if start < AS_OF and rng.chance(0.6):
                chain.append([last[0], start - rng.between(0, 10), start,
                              add_years(start, 2) - 1, None, True])
        if not any(starts <= AS_OF <= ends and (stop is None or stop > AS_OF)
                   for _, _, starts, ends, stop, _ in chain):
            c.issues.append(("物业服务合同到期未续签", CAMPAIGN_START))
        companies = [c.company]  # walk back from the current company, then write in order
        for contract in reversed(chain[1:]):
            companies.append(self.other_company(companies[-1]) if contract[5] else companies[-1])
        for contract, company in zip(chain, reversed(companies)):
            self.contract(c, company, *contract[:5])

    def former_company(self, c: CompoundDraft) -> None:
        """A company that served the compound once and left (弃管); it now has no contract."""
        rng = self.rng
        start = c.delivered
        if start + 260 > AS_OF:
            return
        end = add_years(start, rng.pick((2, 3))) - 1
        terminated = rng.between(start + 200, AS_OF - 30) if end >= AS_OF else None
        self.contract(c, rng.weighted(self.county.companies), "preliminary",
                      start - rng.between(20, 150), start, end, terminated)

    def other_company(self, company: int) -> int:
        while True:
            other = self.rng.weighted(self.county.companies)
            if other != company or len(self.county.company_ids) == 1:
                return other

    def contract(self, c, company, kind, signed, starts, ends, terminated) -> None:
        rng = self.rng
        grade = rng.weighted(GRADE_COMMERCIAL if c.kind in ("commercial", "mixed") else GRADE_BASIC)
        guided = (kind == "preliminary" and rng.chance(0.8)) or (
            c.kind in ("resettlement", "affordable", "old") and rng.chance(0.7))
        fee = rng.money(*GRADE_FEE[grade])
        status, approved, reviewed, note = "none", None, None, None
        # 三.3: contracts in force during the campaign were inspected, preliminary ones first.
        if ends >= CAMPAIGN_START and starts <= AS_OF and (terminated or AS_OF) > CAMPAIGN_START:
            r = rng.random() / (1.5 if kind == "preliminary" else 1)
            if r < 0.03:
                status = "pending"
            elif r < 0.05:
                status, approved = "reset", round(fee * (0.75 + 0.15 * rng.random()), 2)
                note = "收费高于服务等级对应标准，按服务等级重新核定"
            elif r < 0.25:
                status, note = "reasonable", "收费与服务等级相符"
            if status in ("reset", "reasonable"):
                reviewed = rng.between(day(2020, 7, 1), AS_OF)
        c.contract = (starts, ends, terminated)
        self.service_contract_row((
            self.service_contract_id(), c.id, company, kind, iso(signed), iso(starts), iso(ends),
            iso(terminated), grade, "guided" if guided else "market",
            "lump_sum" if rng.chance(0.85) else "remuneration", fee, status, approved,
            iso(reviewed), note))

    def disclosures(self, c: CompoundDraft) -> None:
        """Half-yearly fee accounts and service items; some stopped publishing, some never did."""
        rng = self.rng
        diligent, lapsed = {"company": (0.68, 0.17), "self": (0.5, 0.2)}.get(c.mode, (0.4, 0.2))
        r = rng.random()
        last = 3 if r < diligent else rng.between(-1, 2) if r < diligent + lapsed else -1
        if last < 3:
            c.issues.append(("未按期公示物业费收支情况", CAMPAIGN_START))
        company = c.company
        for period, lo, hi in PERIODS[:last + 1]:
            if lo < c.delivered + 180:
                continue
            on = rng.between(lo, hi)
            for item, p in (("fee_accounts", 0.97), ("service_items", 0.92)):
                if rng.chance(p):
                    self.disclosure_row((self.disclosure_id(), c.id, company, item, period,
                                         iso(on), rng.pick(CHANNELS)))
        if company and rng.chance(0.3):
            self.disclosure_row((self.disclosure_id(), c.id, company, "common_income",
                                 "2019年度", iso(rng.between(day(2020, 3, 1), day(2020, 4, 30))),
                                 rng.pick(CHANNELS)))
        if rng.chance(0.1):
            self.disclosure_row((self.disclosure_id(), c.id, company, "maintenance_fund",
                                 "2020年", iso(rng.between(CAMPAIGN_START, AS_OF)),
                                 rng.pick(CHANNELS)))

    # --- signboards, disputes, findings -----------------------------------------------------
    def signboards(self, c: CompoundDraft) -> None:
        """Boards went up from July to September; those printed before a directory revision
        are stale unless replaced (二.3 "有变更及时更新")."""
        rng = self.rng
        if rng.chance(0.09):
            c.issues.append(("未设置统一公示牌", BOARDS_DUE))
            return
        installed = rng.between(day(2020, 7, 5), day(2020, 9, 30))
        current = max(n for n, effective in self.county.revisions if effective <= installed)
        version = current - 1 if current > 1 and rng.chance(0.08) else current
        latest = self.county.revisions[-1][0]
        removed = replaced = None
        if version < latest and rng.chance(0.55):
            replaced = rng.between(max(installed + 1, self.county.revisions[-1][1] + 1), AS_OF - 1)
            removed = replaced
        elif rng.chance(0.04) and installed + 10 < AS_OF:
            removed = rng.between(installed + 10, AS_OF)
        location = rng.pick(LOCATIONS)
        self.signboard_row((self.signboard_id(), c.id, iso(installed), version, location,
                            iso(removed)))
        if removed is None:
            c.board = (len(self.rows["signboard"]) - 1, version, location)
        if replaced is not None:
            self.signboard_row((self.signboard_id(), c.id, iso(replaced), latest, location, None))
            c.board = (len(self.rows["signboard"]) - 1, latest, location)
        elif version < latest:
            c.issues.append(("公示牌投诉电话未按最新版本更新", self.county.revisions[-1][1]))

    def disputes_and_findings(self, c: CompoundDraft) -> None:
        rng = self.rng
        if rng.chance(0.12 if c.households > 1000 else 0.05):
            parties = [p for p in DISPUTES
                       if c.mode == "company" or p not in ("owner_company", "committee_company",
                                                           "user_company")]
            parties = rng.pick(parties)
            received = rng.between(day(2019), AS_OF)
            if received > AS_OF - 30:
                status = rng.pick(("open", "mediating"))
            else:
                r = rng.random()
                status = ("resolved" if r < 0.65 else "referred" if r < 0.75
                          else "mediating" if r < 0.95 else "open")
            resolved = (min(AS_OF, received + rng.between(5, 60))
                        if status in ("resolved", "referred") else None)
            mediator = (rng.pick(c.t.staff) if rng.chance(0.7)
                        else f"{c.community}人民调解委员会")
            self.dispute_row((self.dispute_id(), c.id, iso(received), parties,
                              rng.pick(DISPUTES[parties]), status, iso(resolved), mediator[:30]))
        if c.fate == "lapsed":
            c.issues.append(("业委会任期届满未换届", CAMPAIGN_START))
        for source, p, lo, hi in P_FINDING:
            if not rng.chance(p):
                continue
            found = rng.between(lo, hi)
            deadline = found + rng.pick((15, 30, 30))
            r = rng.random()
            if deadline < AS_OF:
                status = "closed" if r < 0.7 else "rectifying" if r < 0.9 else "open"
            else:
                status = "closed" if r < 0.1 else "rectifying" if r < 0.6 else "open"
            closed = (min(AS_OF, found + rng.between(3, deadline - found + 10))
                      if status == "closed" else None)
            known = [issue for issue, since in c.issues if since <= found]
            issue = rng.pick(known) if known and rng.chance(0.7) else rng.pick(GENERIC_FINDINGS)
            self.finding_row((self.finding_id(), c.id, source, iso(found), issue, iso(deadline),
                              status, iso(closed)))
