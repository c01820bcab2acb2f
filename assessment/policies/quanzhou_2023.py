"""Quanzhou 2023 (seed 002): gig markets and gig stations, star rating and subsidies.

From the seed: a one-time operating subsidy on first recognition (gig_market 60,000, gig_station
30,000); a yearly performance subsidy for stations recognised at least half a year （满半年以上），
by score: 90 and above 五星级 (gig_market 100,000 / gig_station 30,000), 80-89 四星级 (80,000 /
20,000), 70-79 三星级 (50,000 / 10,000), below 70 nothing. Thresholds are inclusive lower bounds,
so 89.50 is 四星级 (the seed's "80分至89分" leaves 89.01-89.99 unsaid). A station run under a
government purchase-of-services contract gets no subsidy during the contract （不得重复享受奖补）.

Tier codes: the seed names stars only for gig markets ("泉州市XX年度X星级零工市场") and gives gig
stations the same score bands with their own amounts. Both kinds therefore use the same codes,
five_star / four_star / three_star / none, and the amounts differ per kind: one tier scheme, one
table of money, and a clerk reads the same words for the same band.

The seed's 考核表 （附件6） is not published, so the rubric is built from its 建设标准 (布局、设施、
功能、制度) and 考核重点 （工作量和服务成效） with ILLUSTRATIVE point values, marked on every item.
"""

from __future__ import annotations

from decimal import Decimal

from assessment.engine.specs import (
    EligibilitySpec,
    ItemSpec,
    NoticeSpec,
    PolicySpec,
    RubricSpec,
    SectionSpec,
    SubsidyScheduleSpec,
    ThresholdTierSpec,
    TierSchemeSpec,
)
from assessment.policies.illustrative import manual_item

CODE = "quanzhou-2023"

ILLUSTRATIVE = "示例分值：002 的附件6考核表未公布，分值为示意，启用前须按本地考核表修改"


def _manual(code: str, title: str, max_points: int, source: str) -> ItemSpec:
    return manual_item(code, title, max_points, source, caveat=ILLUSTRATIVE)


POLICY = PolicySpec(
    code=CODE,
    name="泉州市零工市场（驿站）标准化建设实施方案（试行）",
    region="350500",  # 福建省泉州市
    year=2023,
    period="yearly",
    kinds=("gig_market", "gig_station"),
    rubric=RubricSpec(
        max_points=Decimal(100),
        sections=(
            SectionSpec(
                code="1",
                title="建设布局与服务设施（示例分值）",
                max_points=Decimal(20),
                items=(
                    _manual("1.1", "场地布局与功能分区", 10, "二（一）建设标准：合理的建设布局"),
                    _manual("1.2", "服务设施设备", 10, "二（一）建设标准：健全的服务设施"),
                ),
            ),
            SectionSpec(
                code="2",
                title="服务功能（示例分值）",
                max_points=Decimal(25),
                items=(
                    _manual("2.1", "线上服务平台与信息发布", 10, "二（一）：线上派单、合同签订、工资结算"),
                    _manual("2.2", "供需对接与零工派单", 8, "一、总体目标：1小时灵活就业圈"),
                    _manual("2.3", "权益保障与投诉反馈", 7, "二（一）：权益保障和投诉反馈"),
                ),
            ),
            SectionSpec(
                code="3",
                title="管理制度（示例分值）",
                max_points=Decimal(15),
                items=(
                    _manual("3.1", "管理制度与台账", 8, "二（一）建设标准：规范的管理制度"),
                    _manual("3.2", "建设情况报送", 7, "三（二）：每年12月上旬报送建设情况"),
                ),
            ),
            SectionSpec(
                code="4",
                title="工作量（示例分值）",
                max_points=Decimal(20),
                items=(
                    _manual("4.1", "服务人次", 10, "绩效补助：重点考核工作量"),
                    _manual("4.2", "岗位推荐成功人数", 10, "申报材料：岗位推荐成功花名册"),
                ),
            ),
            SectionSpec(
                code="5",
                title="服务成效（示例分值）",
                max_points=Decimal(20),
                items=(
                    _manual("5.1", "推荐就业成功率", 10, "绩效补助：重点考核服务成效"),
                    _manual(
                        "5.2", "大龄和困难零工人员就业", 10, "一、总体目标：促进大龄和困难等零工人员实现就业"
                    ),
                ),
            ),
        ),
    ),
    tier_scheme=TierSchemeSpec(
        method="thresholds",
        thresholds=(
            ThresholdTierSpec("five_star", "五星级", Decimal(90)),
            ThresholdTierSpec("four_star", "四星级", Decimal(80)),
            ThresholdTierSpec("three_star", "三星级", Decimal(70)),
        ),
        fallback_tier="none",
        fallback_label="未评星",
    ),
    subsidy_schedule=SubsidyScheduleSpec(
        amounts={
            "gig_market": {
                "five_star": Decimal(100000),
                "four_star": Decimal(80000),
                "three_star": Decimal(50000),
            },
            "gig_station": {
                "five_star": Decimal(30000),
                "four_star": Decimal(20000),
                "three_star": Decimal(10000),
            },
        },
        one_time_amounts={"gig_market": Decimal(60000), "gig_station": Decimal(30000)},
        one_time_basis="first_recognition",
        one_time_label="一次性运维补助",
    ),
    eligibility=EligibilitySpec(min_months_recognised=6, purchase_of_services_excluded=True),
    # 002 "评审结果经公示无异议后，按规定将补助资金支付到申请单位账户": results and payees are publicly
    # noticed before paying; 002 names no length, so the usual minimum, 5 working days, stands.
    notice=NoticeSpec(result_working_days=5, payee_working_days=5),
    source="seeds/002 泉人社规〔2023〕5号《泉州市零工市场（驿站）标准化建设实施方案（试行）》",
    notes="星级与金额、一次性运维补助、满半年认定、购买服务期间不重复享受取自002；考核表分值为示例。",
)
