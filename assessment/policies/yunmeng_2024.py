"""Yunmeng 2024 (seed 000): gig stations and doorstep employment service stations, yearly.

Tiers and money are the seed's: 优秀 90分以上， 良好 80分以上， 合格 70分以上 (inclusive lower bounds),
else 不合格； gig_station 60,000 / 50,000 / 40,000 yuan, doorstep_station 20,000 / 15,000 / 10,000,
nothing for 不合格.

The seed cites a 《考核细则》 it does not publish, so the rubric below is built from its 考核内容
(the seven service duties) and 考核方式 (data analysis, on-site assessment, ledger review), with
point values that are ILLUSTRATIVE: every item says so in its title and note, and a bureau should
replace them with its own before a campaign.
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

CODE = "yunmeng-2024"

ILLUSTRATIVE = "示例分值：000 未公布考核细则，分值为示意，启用前须按本地细则修改"


def _manual(code: str, title: str, max_points: int, source: str) -> ItemSpec:
    return manual_item(code, title, max_points, source, caveat=ILLUSTRATIVE)


POLICY = PolicySpec(
    code=CODE,
    name="2024年度云梦县零工驿站（家门口就业服务站）运营考核",
    region="420923",  # 湖北省孝感市云梦县
    year=2024,
    period="yearly",
    kinds=("gig_station", "doorstep_station"),
    rubric=RubricSpec(
        max_points=Decimal(100),
        sections=(
            SectionSpec(
                code="1",
                title="驿站建设（示例分值）",
                max_points=Decimal(15),
                items=(
                    _manual("1.1", "场所与硬件设施", 8, "考核方式·现场评估：硬件设施"),
                    _manual("1.2", "人员配置", 7, "考核目的：硬件配置、人员配置"),
                ),
            ),
            SectionSpec(
                code="2",
                title="服务内容（示例分值）",
                max_points=Decimal(55),
                items=(
                    _manual("2.1", "发布零工市场信息", 10, "考核内容（一）"),
                    _manual("2.2", "驿站联盟与零工快速对接", 9, "考核内容（二）"),
                    _manual("2.3", "就业创业培训服务", 8, "考核内容（三）"),
                    _manual("2.4", "就业业务就近办", 7, "考核内容（四）"),
                    _manual("2.5", "政策推送服务", 7, "考核内容（五）"),
                    _manual("2.6", "维护零工人员合法权益", 7, "考核内容（六）"),
                    _manual("2.7", "优化基层服务事项", 7, "考核内容（七）"),
                ),
            ),
            SectionSpec(
                code="3",
                title="管理运营（示例分值）",
                max_points=Decimal(20),
                items=(
                    _manual("3.1", "管理制度与服务流程", 8, "考核方式·现场评估：管理制度、服务流程"),
                    _manual("3.2", "服务数据（服务量、小程序推广量）", 6, "考核方式·数据分析"),
                    _manual("3.3", "台账与年度报告", 6, "考核方式·综合评审；定期考核：年度报告制度"),
                ),
            ),
            SectionSpec(
                code="4",
                title="服务保障（示例分值）",
                max_points=Decimal(10),
                items=(
                    _manual("4.1", "岗位推荐成效", 5, "绩效补助材料：岗位推荐成功花名册"),
                    _manual("4.2", "问题整改落实", 5, "定期考核：对发现的问题限期整改"),
                ),
            ),
        ),
    ),
    tier_scheme=TierSchemeSpec(
        method="thresholds",
        thresholds=(
            ThresholdTierSpec("excellent", "优秀", Decimal(90)),
            ThresholdTierSpec("good", "良好", Decimal(80)),
            ThresholdTierSpec("pass", "合格", Decimal(70)),
        ),
        fallback_tier="fail",
        fallback_label="不合格",
    ),
    subsidy_schedule=SubsidyScheduleSpec(
        amounts={
            "gig_station": {"excellent": Decimal(60000), "good": Decimal(50000), "pass": Decimal(40000)},
            "doorstep_station": {"excellent": Decimal(20000), "good": Decimal(15000), "pass": Decimal(10000)},
        },
    ),
    eligibility=EligibilitySpec(),
    # 000 四: "考核过程公开、透明", the results "予以通报" — it names no length, so the usual minimum of
    # a public notice, 5 working days, stands for both the results and (as issue 13 reads 000: the
    # county publishes before paying) the payees; a bureau sets its own in a new version.
    notice=NoticeSpec(result_working_days=5, payee_working_days=5),
    source="seeds/000 《云梦县零工驿站运营考核暂行办法》（2024年8月30日）",
    notes="等次与补助金额取自000；考核表分值为示例（000 所引《考核细则》未公布）。",
)
