"""A compound's years after the 2020 inspection, up to today (the demo's current campaign).

A mixin of demo/compounds._Generator, run for each compound after its 2020 records: terms run
out and are renewed (or lapse), compounds without a committee elect one, contracts are renewed
(or expire), the last four half-years of fee accounts and service items are published, boards
are replaced after the directory changes, members are trained and guided in this year's
campaign, and this year's self-inspection finds problems to rectify. The proportions put every
indicator of GLOSSARY.md strictly between 0% and 100% as of today (tests/test_demo_today.py).

Every draw comes from ``self.now`` (seeded by the seed and today), never from the 2020
generator: the 2020 history is the same whatever today is. Rows of 2020 that the later years
end (the members of a term that is succeeded, a board that is replaced) are amended in the
sink's buffer, where they still are while their compound is being generated.

Thinned on purpose (the 200,000-compound seeding must stay under two minutes): disclosures of
the last four half-years only, no archive checklist for terms elected after 2020, supervision
of the members in office during this year's campaign only.
"""
from __future__ import annotations

import datetime as dt

from office.demo import words as w
from office.demo.base import AS_OF, CompoundDraft, add_years, day, iso, weights, year_of


def day_of(text: str) -> int:
    return dt.date.fromisoformat(text).toordinal()


P_NEW = {"company": 0.6, "self": 0.55, "entrusted": 0.45, "none": 0.35}  # first committee
P_RENEW = 0.8          # a term that runs out is followed by an election
P_CONTRACT = 0.9       # a contract that runs out is renewed
P_DILIGENT = {"company": 0.78, "self": 0.6}
OFFICE = weights([("dedicated", 50), ("temporary", 38), ("none", 12)])
SUPERVISION = weights([("training", 40), ("guidance", 35), ("inspection", 25)])
NOTE = {"training": "业委会成员履职培训", "guidance": "指导召开业委会会议",
        "inspection": "检查业委会履职和档案", "vetting": "委员候选人资格审查"}
CHANNELS = ["小区公告栏", "业主微信群", "物业服务中心", "社区公示栏"]
FINDINGS = ["消防通道被占用", "业委会档案不健全", "公示牌投诉电话未更新",
            "未按期公示物业费收支情况", "电动车违规室内充电", "公共区域环境卫生差"]
GRADES = weights([("grade2", 35), ("grade3", 45), ("grade4", 20)])
GRADE_FEE = {"grade2": (1.2, 1.8), "grade3": (0.8, 1.2), "grade4": (0.5, 0.8)}


def half_years(today: int) -> list[tuple[str, int, int]]:
    """(period, window opens, window closes) of the half-years after 2020's first whose
    publication window has opened by today, the last four."""
    result, year = [], 2020
    while True:
        h2 = (f"{year}年下半年", day(year + 1, 1, 5), day(year + 1, 2, 20))
        h1 = (f"{year + 1}年上半年", day(year + 1, 7, 1), day(year + 1, 8, 15))
        for period in (h2, h1):
            if period[1] > today:
                return result[-4:]
            result.append(period)
        year += 1


class RecentMixin:
    def recent_setup(self, sink, county) -> None:
        self.cur = county.current
        if self.cur is None:
            return
        self.now = county.now
        self.now_person = self.person.drawn_by(self.now)
        self.periods = half_years(self.cur.today)
        self.revision = self.cur.revision

    def recent(self, c: CompoundDraft) -> None:
        if self.cur is None:
            return
        self.recent_bodies(c)
        if c.mode == "company":
            self.recent_contracts(c)
        if c.mode in P_DILIGENT:
            self.recent_disclosures(c)
        self.recent_board(c)
        self.recent_findings(c)

    # --- committees -------------------------------------------------------------------------
    def _successor(self, term_end: int) -> int | None:
        """When the next term is elected after one ending on term_end; None: not by today."""
        t, now = self.cur.today, self.now
        if term_end >= t - 1 or not now.chance(P_RENEW):
            return None
        elected = max(AS_OF + 1, term_end + 1 - now.between(0, 45))
        return elected if elected < t else None

    def recent_bodies(self, c: CompoundDraft) -> None:
        now, t = self.now, self.cur.today
        if c.body is not None:
            term_end, office, lo, hi = c.body
            elected = self._successor(term_end)
            rows = self.rows["committee_member"]
            for i in range(lo, hi):
                if rows[i][6] is not None:
                    continue
                if elected is not None:  # the members in office leave when the next term comes
                    rows[i] = rows[i][:6] + (iso(elected),)
                elif term_end >= t and now.chance(0.8):  # still in office: this year's campaign
                    self.supervise(c, rows[i][0], max(self.cur.starts, AS_OF + 1))
        else:
            eligible = max(c.delivered + 365, day(2004), AS_OF + 30)
            if eligible >= t - 10 or not now.chance(P_NEW[c.mode]):
                return
            elected = now.between(eligible, t - 10)
            if c.terms == 0:
                self.prep_group_row((self.prep_group_id(), c.id,
                                     iso(max(AS_OF + 1, elected - now.between(60, 200))),
                                     now.pick(c.t.staff), now.pick((5, 7, 9)), "assembled",
                                     iso(elected), None))
        while elected is not None:
            term_end = add_years(elected, 5 if now.chance(0.8) else 3) - 1
            following = self._successor(term_end)
            self.recent_term(c, elected, term_end, following)
            elected = following

    def recent_term(self, c, elected, term_end, following) -> None:
        now, t = self.now, self.cur.today
        c.terms += 1
        office = now.weighted(OFFICE)
        address = (f"{c.name}{now.between(1, c.buildings)}号楼一层业委会办公室"
                   if office == "dedicated" else
                   f"{c.community}居委会会议室" if office == "temporary" else None)
        filed = elected + now.between(5, 40)
        committee_id = self.owners_committee_id()
        self.owners_committee_row((committee_id, c.id, "committee", c.terms, iso(elected),
                                   iso(term_end), iso(filed if filed <= t else None), None,
                                   office, address, None))
        seats = 5 if c.households < 300 else now.pick((5, 7, 9))
        in_office = term_end >= t and following is None
        for seat in range(seats):
            role = "chair" if seat == 0 else "vice_chair" if seat < 2 else "member"
            member_id = self.committee_member_id()
            self.committee_member_row((member_id, committee_id, self.now_person(), role,
                                       w.mobile(now), iso(elected), iso(following)))
            if in_office and now.chance(0.8):  # guided or trained in this year's campaign
                self.supervise(c, member_id, max(self.cur.starts, elected))

    def supervise(self, c, member_id: int, start: int) -> None:
        now = self.now
        held_by = c.t.office if now.chance(0.75) else "县住建局物业办"
        for _ in range(1 if now.chance(0.6) else 2):
            kind = now.weighted(SUPERVISION)
            self.supervision_record_row((self.supervision_record_id(), member_id, kind,
                                         iso(now.between(start, self.cur.today)), held_by,
                                         NOTE[kind]))

    # --- contracts and disclosures ----------------------------------------------------------
    def recent_contracts(self, c: CompoundDraft) -> None:
        now, t = self.now, self.cur.today
        if c.contract is None:
            return
        starts, ends, terminated = c.contract
        end = terminated - 1 if terminated is not None else ends
        if end < AS_OF:  # no contract at the inspection: some signed one since
            if not now.chance(0.65):
                return
            start = now.between(AS_OF + 10, min(t, AS_OF + 400))
        else:
            start = end + 1
        kind = "assembly" if c.terms else "preliminary"
        while start <= t:
            end = add_years(start, now.pick((2, 3, 3, 5))) - 1
            grade = now.weighted(GRADES)
            status, reviewed = "none", None
            if start >= self.cur.starts - 365 and now.chance(0.2):
                status, reviewed = "reasonable", now.between(max(start, self.cur.starts), t)
            self.service_contract_row((
                self.service_contract_id(), c.id, c.company, kind,
                iso(max(AS_OF + 1, start - now.between(5, 40))), iso(start), iso(end), None,
                grade, "market" if c.kind == "commercial" else "guided",
                "lump_sum" if now.chance(0.85) else "remuneration",
                now.money(*GRADE_FEE[grade]), status, None, iso(reviewed),
                "收费与服务等级相符" if reviewed else None))
            if end >= t or not now.chance(P_CONTRACT):
                return
            start = end + 1

    def recent_disclosures(self, c: CompoundDraft) -> None:
        now, t = self.now, self.cur.today
        diligent = now.chance(P_DILIGENT[c.mode])
        channel = now.pick(CHANNELS)
        for period, lo, hi in self.periods:
            if not (diligent or now.chance(0.35)) or lo < c.delivered + 180:
                continue
            on = now.between(lo, min(hi, t))
            for item, p in (("fee_accounts", 0.97), ("service_items", 0.95)):
                if now.chance(p):
                    self.disclosure_row((self.disclosure_id(), c.id, c.company, item, period,
                                         iso(on), channel))

    # --- boards and this year's findings ----------------------------------------------------
    def _replace_board(self, c, on: int, version: int) -> None:
        index, _, location = c.board
        rows = self.rows["signboard"]
        rows[index] = rows[index][:5] + (iso(on),)
        self.signboard_row((self.signboard_id(), c.id, iso(on), version, location, None))
        c.board = (len(rows) - 1, version, location)

    def recent_board(self, c: CompoundDraft) -> None:
        now, t = self.now, self.cur.today
        latest_2020 = self.county.revisions[2][0]
        if c.board is None:
            if not now.chance(0.6):
                return
            installed = now.between(AS_OF + 5, t - 1)
            version = latest_2020 if self.revision is None or installed < self.revision[1] \
                else self.revision[0]
            location = now.pick(("小区主入口", "物业服务中心门口", "小区东门"))
            self.signboard_row((self.signboard_id(), c.id, iso(installed), version, location,
                                None))
            c.board = (len(self.rows["signboard"]) - 1, version, location)
        elif c.board[1] < latest_2020 and now.chance(0.75):  # stale since 2020: replaced
            self._replace_board(c, now.between(AS_OF + 1, min(t - 1, AS_OF + 200)),
                                latest_2020)
        if self.revision is not None and c.board[1] < self.revision[0] and now.chance(0.6):
            on = self.revision[1] + now.between(3, 35)
            if on < t:
                self._replace_board(c, on, self.revision[0])

    def _settle_2020(self, c: CompoundDraft) -> None:
        """Most findings and disputes still open at the inspection were settled since (their
        rows are the last of the buffer: this compound's)."""
        now, t = self.now, self.cur.today
        rows = self.rows["finding"]
        for i in range(len(rows) - 1, -1, -1):
            if rows[i][1] != c.id:
                break
            if rows[i][6] != "closed" and now.chance(0.92):
                on = min(t - 1, (rows[i][5] and day_of(rows[i][5]) or AS_OF)
                         + now.between(0, 120))
                rows[i] = rows[i][:6] + ("closed", iso(on))
        rows = self.rows["dispute"]
        for i in range(len(rows) - 1, -1, -1):
            if rows[i][1] != c.id:
                break
            if rows[i][5] in ("open", "mediating") and now.chance(0.9):
                rows[i] = rows[i][:5] + ("resolved", iso(AS_OF + now.between(10, 200)),
                                         rows[i][7])

    def recent_findings(self, c: CompoundDraft) -> None:
        now, t = self.now, self.cur.today
        self._settle_2020(c)
        if not now.chance(0.12):
            return
        found = now.between(self.cur.starts, t - 1)
        deadline = found + now.pick((15, 30, 30))
        r = now.random()
        if deadline < t:
            status = "closed" if r < 0.6 else "rectifying" if r < 0.85 else "open"
        else:
            status = "closed" if r < 0.1 else "rectifying" if r < 0.6 else "open"
        closed = min(t, found + now.between(3, deadline - found + 5)) if status == "closed" \
            else None
        source = "self_inspection" if now.chance(0.7) else "bureau"
        self.finding_row((self.finding_id(), c.id, source, iso(found), now.pick(FINDINGS),
                          iso(deadline), status, iso(closed)))
        if c.mode == "company" and year_of(found) == year_of(t) and now.chance(0.05):
            received = now.between(max(found, t - 180), t - 1)
            self.dispute_row((self.dispute_id(), c.id, iso(received), "owner_company",
                              "物业费上涨争议", now.pick(("open", "mediating")), None,
                              c.t.staff[0][:30]))
