"""The compound-level part of the demo: each compound with its history, generated in one pass.

The county is a snapshot taken at the city inspection (2020-10-15). Each compound gets a fate
first (an active committee, a term that ended without re-election, a dissolved committee, an
interim 物管会, nothing yet), then records consistent with it: members and their supervision,
the archive checklist, contracts whose last company is the compound's company, disclosures,
signboards, disputes and findings. The proportions are chosen so that every indicator of
GLOSSARY.md is between 0% and 100% on that date, with committee coverage near 60%.
"""
from __future__ import annotations

from office.demo import words as w
from office.demo.base import (
    AS_OF,
    CAMPAIGN_START,
    CompoundDraft,
    Rng,
    Sink,
    add_years,
    day,
    iso,
    weights,
)
from office.demo.county import CountyCtx, TownshipCtx
from office.demo.recent import RecentMixin
from office.demo.records import RecordsMixin

KIND_BY_TOWNSHIP = {
    "street": weights([("commercial", 55), ("old", 22), ("resettlement", 10), ("affordable", 8),
                       ("mixed", 5)]),
    "township": weights([("commercial", 35), ("old", 30), ("resettlement", 25), ("affordable", 5),
                         ("mixed", 5)]),
    "farm": weights([("old", 50), ("resettlement", 30), ("commercial", 10), ("affordable", 5),
                     ("mixed", 5)]),
}
# kind: (first and last built year, households lo/span/skew, households per building)
SHAPE = {
    "old": (1982, 1999, 40, 360, 1.6, 12, 36),
    "commercial": (2000, 2020, 150, 2850, 2.0, 30, 110),
    "resettlement": (2005, 2020, 200, 1800, 1.5, 30, 90),
    "affordable": (2008, 2019, 100, 1100, 1.5, 30, 90),
    "mixed": (1995, 2015, 80, 1420, 1.8, 20, 80),
}
# Old compounds are mostly unmanaged, self-managed or entrusted to the community (三.2).
MODE_BY_KIND = {
    "old": weights([("none", 40), ("self", 25), ("entrusted", 25), ("company", 10)]),
    "resettlement": weights([("company", 60), ("entrusted", 25), ("self", 10), ("none", 5)]),
}
MODE_DEFAULT = weights([("company", 85), ("self", 5), ("entrusted", 5), ("none", 5)])
# Chance of an active committee by management mode: county coverage lands near the plan's 60%
# (end-2020), so the demo shows a county on its way, with unmanaged old compounds behind.
P_ACTIVE = {"company": 0.8, "self": 0.7, "entrusted": 0.5, "none": 0.22}
OFFICE_PLAIN = weights([("dedicated", 60), ("temporary", 28), ("none", 12)])
OFFICE_POOR = weights([("dedicated", 25), ("temporary", 50), ("none", 25)])
OFFICE_INTERIM = weights([("temporary", 70), ("dedicated", 20), ("none", 10)])
ARCHIVE_P = {"minutes": .9, "decisions": .8, "rules": .85, "covenant": .85, "contract": .75,
             "election": .9, "filing": .9, "accounts": .7, "register": .75}
ARCHIVE_LABEL = {"minutes": "会议记录", "decisions": "业主大会决定", "rules": "议事规则",
                 "covenant": "管理规约", "contract": "物业服务合同", "election": "选举资料",
                 "filing": "备案资料", "accounts": "资金账目", "register": "业主名册"}
SUPERVISION_NOTE = {"training": "业委会成员履职培训", "guidance": "指导召开业委会会议",
                    "inspection": "检查业委会履职和档案", "vetting": "委员候选人资格审查"}
SUPERVISION_KIND = weights([("training", 40), ("guidance", 35), ("inspection", 25)])
DISSOLVE_REASONS = ["选举程序违法，经乡镇（街道）责令重新选举", "多数委员辞职，无法正常履职",
                    "业主大会决定解散"]
JAN_1_2019, DEC_1_2019, DEC_31_2019 = day(2019), day(2019, 12, 1), day(2019, 12, 31)


def build_compounds(sink: Sink, rng: Rng, county: CountyCtx, compounds: int) -> None:
    gen = _Generator(sink, rng, county)
    townships = county.townships
    for i in range(compounds):
        # The first ones go round the townships, so none is left empty.
        gen.compound(townships[i] if i < len(townships) else rng.weighted(county.township_table))
        if i % 2000 == 1999:  # bounded memory: a 200k county is written as it is generated
            sink.flush()


class _Generator(RecordsMixin, RecentMixin):
    def __init__(self, sink: Sink, rng: Rng, county: CountyCtx):
        self.rng, self.county = rng, county
        self.person = w.People(rng)
        self.rows = sink.rows
        self.recent_setup(sink, county)
        for table in sink.rows:  # self.compound_id() / self.compound_row(...) for each table
            setattr(self, table + "_id", sink.ids(table))
            setattr(self, table + "_row", sink.rows[table].append)

    def compound(self, t: TownshipCtx) -> None:
        rng, county = self.rng, self.county
        kind = rng.weighted(KIND_BY_TOWNSHIP[t.kind])
        first, last, lo, span, skew, per_lo, per_hi = SHAPE[kind]
        built = rng.between(first, last)
        delivered = min(day(built) + rng.between(90, 540), day(2020, 9, 30))
        households = lo + int(rng.random() ** skew * span)
        buildings = max(1, round(households / rng.between(per_lo, per_hi)))
        base, unit = w.compound_base(rng, kind)
        name = t.names(base)
        if unit:
            developer = unit
        elif kind in ("resettlement", "affordable"):
            developer = w.STATE_DEVELOPER
        else:
            developer = None if kind == "old" else rng.pick(county.developers)
        mode = rng.weighted(MODE_BY_KIND.get(kind, MODE_DEFAULT))
        company = rng.weighted(county.companies) if mode == "company" else None
        community = rng.pick(t.communities)
        cid = self.compound_id()
        self.compound_row((cid, t.id, name, community,
                           f"{rng.pick(t.roads)}{rng.between(1, 600)}号", kind, households,
                           buildings, built, iso(delivered), developer, mode, company))

        c = CompoundDraft(cid, t, name, kind, mode, company, households, buildings, delivered,
                      community)
        self.committees(c)
        if mode == "company":
            self.contracts(c)
        elif kind in ("commercial", "mixed") and delivered >= day(2004) and rng.chance(0.5):
            self.former_company(c)
        if mode in ("company", "self") or (mode == "entrusted" and rng.chance(0.3)):
            self.disclosures(c)
        self.signboards(c)
        self.disputes_and_findings(c)
        self.recent(c)  # the years from the inspection to today (office/demo/recent.py)

    # --- owners' self-government ------------------------------------------------------------
    def committees(self, c: CompoundDraft) -> None:
        rng = self.rng
        eligible = max(c.delivered + 365, day(2004))
        p = P_ACTIVE[c.mode] * (0.7 if c.households < 100 else 1) * (0.85 if c.kind == "old" else 1)
        years = 5 if rng.chance(0.8) else 3
        r = rng.random()
        terms: list[list] = []  # [elected, term_end, dissolved_on], oldest first
        fate = "never"
        if eligible <= AS_OF - 30 and r < p:
            fate = "active"
            lo, hi = max(eligible, add_years(AS_OF, -years) + 1), CAMPAIGN_START - 1
            if lo > hi or rng.chance(0.22):  # elected in the campaign's push
                elected = rng.between(max(CAMPAIGN_START, eligible), AS_OF - 5)
                prev_end = rng.between(day(2018, 6, 1), elected - 1) if rng.chance(0.35) else None
            else:
                elected = rng.between(lo, hi)
                prev_end = elected - 1 - (0 if rng.chance(0.6) else rng.between(1, 150))
            terms.append([elected, add_years(elected, years) - 1, None])
        elif eligible <= AS_OF - 30 and r < p + 0.09:
            fate = "lapsed"  # 到期未换届
            prev_end = rng.between(day(2018), AS_OF - 1)
        elif eligible <= day(2019, 4, 1) and r < p + 0.14:
            fate = "dissolved"
            elected = rng.between(max(eligible, day(2012)), day(2020, 3, 31))
            term_end = add_years(elected, years) - 1
            terms.append([elected, term_end, rng.between(elected + 180, min(term_end, AS_OF) - 10)])
            prev_end = elected - 1 - rng.between(0, 90)
        else:
            prev_end = None
        while prev_end is not None and (not terms or rng.chance(0.7)):
            start = add_years(prev_end + 1, -years)
            if start < eligible:
                break
            terms.insert(0, [start, prev_end, None])
            prev_end = start - 1 - (0 if rng.chance(0.6) else rng.between(1, 150))
        if fate == "lapsed" and not terms:
            fate = "never"

        c.first_elected = terms[0][0] if terms else None
        interim = None
        if fate == "dissolved" and rng.chance(0.4):
            interim = terms[-1][2] + rng.between(30, 150)
        elif fate == "never" and rng.chance(0.25 if c.mode in ("none", "entrusted") else 0.06):
            interim = rng.between(day(2019, 6, 1), AS_OF - 5)
        if interim is not None and interim >= AS_OF:
            interim = None

        names: list[str] = []
        for i, (elected, term_end, dissolved) in enumerate(terms):
            latest = i == len(terms) - 1
            names = self.committee(c, i + 1, "committee", elected, term_end, dissolved,
                                   latest and fate == "active", latest and fate == "lapsed",
                                   latest and interim is None, names)
        if interim is not None:
            self.committee(c, len(terms) + 1, "interim", interim, add_years(interim, 2) - 1, None,
                           True, False, True, [])
        c.fate = fate
        if fate in ("never", "dissolved") and interim is None and eligible <= AS_OF \
                and rng.chance(0.3):
            failed = rng.chance(0.1)
            self.prep_group_row((self.prep_group_id(), c.id,
                                 iso(rng.between(CAMPAIGN_START, AS_OF - 10)), rng.pick(c.t.staff),
                                 rng.pick((5, 7, 7, 9)), "dissolved" if failed else "preparing",
                                 None, "业主参与率不足，筹备组解散" if failed else None))

    def committee(self, c, term_no, kind, elected, term_end, dissolved, active, lapsed, latest,
                  prev_names) -> list[str]:
        """One term of a committee with its members; returns the members' names."""
        rng = self.rng
        if kind == "interim":
            office = rng.weighted(OFFICE_INTERIM)
            note = "由乡镇（街道）、社区居委会、业主代表等组成"
        else:
            office = rng.weighted(OFFICE_POOR if c.mode == "none" or c.kind == "old"
                                  else OFFICE_PLAIN)
            note = (rng.pick(DISSOLVE_REASONS) if dissolved
                    else "任期已届满，尚未换届" if lapsed and rng.chance(0.4) else None)
        if active and office == "none":
            c.issues.append(("业委会无办公用房", CAMPAIGN_START))
        if office == "dedicated":
            address = f"{c.name}{rng.between(1, c.buildings)}号楼一层业委会办公室"
        else:
            address = f"{c.community}居委会会议室" if office == "temporary" else None
        filed = elected + rng.between(5, 28)
        if latest and rng.random() < 0.2:  # late or not yet filed (备案 within 30 days)
            filed = elected + rng.between(31, 75) if rng.chance(0.6) else None
        if filed is not None and filed > AS_OF:
            filed = None
        committee_id = self.owners_committee_id()
        c.terms += 1
        self.owners_committee_row((committee_id, c.id, kind, term_no, iso(elected), iso(term_end),
                                   iso(filed), iso(dissolved), office, address, note))
        if term_no == 1 and kind == "committee" and elected >= day(2008) and rng.chance(0.85):
            self.prep_group_row((self.prep_group_id(), c.id,
                                 iso(elected - rng.between(60, 200)), rng.pick(c.t.staff),
                                 rng.pick((5, 7, 7, 9)), "assembled", iso(elected), None))

        # Members: an odd number of seats, 5 to 11, more in larger compounds.
        if kind == "interim" or c.households < 300:
            seats = 5 if rng.chance(0.8) else 7
        else:
            seats = rng.pick((5, 7, 9) if c.households < 1000 else (7, 9, 11))
        ended = dissolved if dissolved else None if active or lapsed else term_end
        names = [n if rng.chance(0.45) else self.person() for n in prev_names[:seats]]
        names += [self.person() for _ in range(seats - len(names))]
        in_office, first_row = [], len(self.rows["committee_member"])
        for seat, name in enumerate(names):
            role = "chair" if seat == 0 else "vice_chair" if seat < (3 if seats >= 9 else 2) \
                else "member"
            joined = elected
            if active and rng.chance(0.03) and elected + 60 < AS_OF - 45:  # resigned, replaced
                resigned = rng.between(elected + 60, AS_OF - 45)
                self.member(name, role, committee_id, elected, resigned)
                name, joined = self.person(), resigned + rng.between(10, 35)
            member_id = self.member(name, role, committee_id, joined, ended)
            in_office.append((member_id, joined))
        if rng.chance(0.15):
            for _ in range(rng.between(1, 2)):
                in_office.append((self.member(self.person(), "alternate", committee_id, elected,
                                              ended), elected))
        if active:
            c.body = (term_end, office, first_row, len(self.rows["committee_member"]))
            self.supervision(c, in_office, elected >= CAMPAIGN_START)
        if latest and kind == "committee" and not dissolved and rng.chance(0.75 if active else 0.5):
            if not self.archive(committee_id, filed is not None, c.mode == "company"):
                c.issues.append(("业委会档案不健全", CAMPAIGN_START))
        return names

    def member(self, name, role, committee_id, joined, left) -> int:
        member_id = self.committee_member_id()
        self.committee_member_row((member_id, committee_id, name, role, w.mobile(self.rng),
                                   iso(joined), iso(left)))
        return member_id

    def supervision(self, c, members, new_committee) -> None:
        """Most members were trained or guided in the campaign, some only before it, a few
        never; a committee's members are seen together, by the township or by the bureau."""
        rng = self.rng
        held_by = c.t.office if rng.chance(0.75) else "县住建局物业办"
        add, next_id = self.supervision_record_row, self.supervision_record_id
        for member_id, joined in members:
            r = rng.random()
            acts = []
            if r < 0.82:
                start = max(CAMPAIGN_START, joined)
                if new_committee:
                    acts.append(("vetting", max(CAMPAIGN_START, joined - rng.between(3, 15))))
                training = [d for d in c.t.training_days if d >= start]
                while len(acts) < (1 if r < 0.45 else 2):
                    kind = rng.weighted(SUPERVISION_KIND)
                    acts.append((kind, rng.pick(training) if kind == "training" and training
                                 else rng.between(start, AS_OF)))
            elif r < 0.9 and joined <= DEC_1_2019:
                acts.append((rng.weighted(SUPERVISION_KIND),
                             rng.between(max(joined, JAN_1_2019), DEC_31_2019)))
            for kind, on in acts:
                add((next_id(), member_id, kind, iso(on), held_by, SUPERVISION_NOTE[kind]))

    def archive(self, committee_id, filed, has_company) -> bool:
        """The 档案健全 checklist of the self-inspection; True when nothing is missing."""
        rng = self.rng
        complete = True
        checked = iso(rng.between(day(2020, 6, 10), day(2020, 7, 31)))  # 四.1 self-inspection
        for kind, p in ARCHIVE_P.items():
            if kind == "filing":
                p = p if filed else 0.05
            elif kind == "contract" and not has_company:
                p = 0.4
            present = rng.chance(p)
            complete = complete and present
            self.archive_item_row((self.archive_item_id(), committee_id, kind, present, checked,
                                   None if present else f"缺{ARCHIVE_LABEL[kind]}，限期补齐"))
        return complete
