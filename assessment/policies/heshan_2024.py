"""Heshan 2024 (seed 004): full-employment communities and villages, scored monthly.

Encodes 附件1 《2024年充分就业社区（村）评价体系》 item by item (issue 3's table), scored every
month, the year's score being the mean of the monthly totals. Province- and city-level units are
ranked 3:4:3 into A/B/C (60,000 / 50,000 / 40,000 yuan), district-level units get 30,000, the lowest
3 of the district scoring below 95 are eliminated （末位淘汰）， and every other unit of an eliminated
unit's group of four loses 10,000 （小组连坐）. Units chosen at the start of the year get a 10,000
start-up grant （创建启动支持）， paid up front and so not part of the year-end amount.

Known flaw of the source, kept on purpose: under 四.2 (a 4-point heading) the sub-items give 3 + 2
points; `validate_rubric` reports it and the engine caps 4.2.1 + 4.2.2 at 4.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from assessment.engine.specs import (
    EligibilitySpec,
    EliminationSpec,
    GroupDeductionSpec,
    InputSpec,
    ItemSpec,
    NoticeSpec,
    PartWholeSpec,
    PolicySpec,
    RankedBandSpec,
    RubricSpec,
    SectionSpec,
    SubsidyScheduleSpec,
    TierSchemeSpec,
)

CODE = "heshan-2024"

_INPUTS: dict[str, InputSpec] = {
    spec.name: spec
    for spec in (
        InputSpec("labor_force", "count", "劳动力总数"),
        InputSpec("registered_unemployed", "count", "期末登记失业人员人数"),
        InputSpec("long_term_unemployed", "count", "登记失业超过2年的人员数"),
        InputSpec("hard_to_employ", "count", "期末就业困难人员人数"),
        InputSpec("zero_employment_households", "count", "认定后1个月内未援助退出的零就业家庭户数"),
        InputSpec("rural_transferred", "count", "农村劳动力转移就业总人数"),
        InputSpec("rural_labor_force", "count", "农村劳动力资源总数"),
        InputSpec("rural_transfer_rate_last_year", "rate", "上年度同期农村劳动力转移就业率"),
        InputSpec("labor_records_updated", "count", "已更新的实名劳动力信息总数"),
        InputSpec("provincial_update_coverage", "rate", "全省平均劳动力信息更新覆盖率"),
        InputSpec("registration_applications", "count", "自助就业失业登记申请总条数"),
        InputSpec("registration_overdue", "count", "超期审核条数"),
        InputSpec("confirmations_missing", "count", "未完成的就业失业动态确认条数"),
        InputSpec("job_recommended", "count", "已推荐岗位人数"),
        InputSpec("unemployed_willing_at_start", "count", "月初未就业有就业意愿人数"),
        InputSpec("newly_registered_unemployed", "count", "当月新增失业登记人数"),
        InputSpec("recommended_and_employed", "count", "有推荐记录且已就业人数"),
        InputSpec("matches_not_followed_up", "count", "人岗匹配超过1个月未跟踪人数"),
        InputSpec("training_recommended", "count", "已推荐职业培训人数"),
        InputSpec("training_willing_at_start", "count", "月初未就业有培训意愿人数"),
        InputSpec("training_willing_new", "count", "当月新增未就业有培训意愿人数"),
        InputSpec("training_recommended_and_employed", "count", "有培训推荐记录且已就业人数"),
        InputSpec("hard_to_employ_unassisted", "count", "认定6个月仍未就业且未享受援助政策的就业困难人员数"),
        InputSpec("graduate_followup_rate", "rate", "应届高校毕业生跟踪回访率"),
        InputSpec("graduate_service_rate", "rate", "应届高校毕业生就业服务率"),
        InputSpec("graduate_employment_rate", "rate", "应届高校毕业生就业率"),
        InputSpec("fishermen_poverty_unemployed", "count", "1个月内未实现就业的退捕渔民和脱贫劳动力人数"),
        InputSpec("new_posting_enterprises", "count", "社区新增发布有效岗位的企业数"),
        InputSpec("new_platform_enterprises", "count", "“湘就业”平台新增入驻发布有效岗位的企业数"),
        InputSpec("market_entities", "count", "当地市场主体数量"),
        InputSpec("invalid_feedback", "count", "人岗匹配推荐反馈失效条数"),
        InputSpec("phone_check_accuracy", "rate", "电话抽查信息准确率"),
        InputSpec("survey_points", "points", "基层平台就业情况调查得分"),
        InputSpec("data_overdue", "count", "超过5个工作日未处理的待确认数据例数"),
        InputSpec("service_count", "count", "各项就业服务次数"),
        InputSpec("provincial_avg_service_count", "number", "全省社区（村）平均服务次数"),
        InputSpec("match_success", "count", "人岗匹配成功推荐就业人数"),
        InputSpec("matched_people", "count", "人岗匹配人数"),
        InputSpec("provincial_success_rate", "rate", "全省平均人岗匹配推荐成功率"),
        InputSpec("training_referrals", "count", "推荐职业培训人数"),
        InputSpec("registered_unemployed_cumulative", "count", "累计登记失业人数"),
        InputSpec("provincial_training_coverage", "rate", "全省平均职业培训推荐覆盖率"),
        InputSpec("training_subsidized", "count", "推荐职业培训后享受职业培训补贴人数"),
        InputSpec("provincial_subsidy_coverage", "rate", "全省平均职业培训补贴覆盖率"),
        InputSpec("valid_complaints", "count", "群众有效投诉例数"),
        InputSpec("realname_accounts", "count", "实名制账号个数"),
        InputSpec("inactive_accounts", "count", "1个月没有登录省平台的实名制账号个数"),
        InputSpec("staff_training_met", "flag", "工作人员年度业务培训达标（1次以上且累计不少于5天）"),
        InputSpec("new_staff_trained", "flag", "新工作人员1个月内参加业务培训"),
        InputSpec("promotion_points", "points", "政策宣传得分"),
    )
}


def _item(
    code: str,
    title: str,
    max_points: str,
    rule: str,
    params: dict[str, Any],
    reads: tuple[str, ...],
    **extra: Any,
) -> ItemSpec:
    return ItemSpec(
        code=code,
        title=title,
        max_points=Decimal(max_points),
        rule=rule,
        params=params,
        inputs=tuple(_INPUTS[name] for name in reads),
        **extra,
    )


def _heading(
    code: str, title: str, max_points: str, children: tuple[ItemSpec, ...], note: str = ""
) -> ItemSpec:
    return ItemSpec(
        code=code,
        title=title,
        max_points=Decimal(max_points),
        rule="capped_sum",
        children=children,
        note=note,
    )


_SECTION_1 = SectionSpec(
    code="1",
    title="就业失业情况",
    max_points=Decimal(20),
    items=(
        _item(
            "1.1",
            "登记失业人员就业率",
            "5",
            "rate_vs_target",
            {
                "numerator": "labor_force - registered_unemployed",
                "denominator": "labor_force",
                "target": "95",
                "step": "1",
                "shortfall": "points",
                "label": "登记失业人员就业率",
            },
            ("labor_force", "registered_unemployed"),
            note="达到95%计5分，每少1%扣1分；（劳动力总数-期末登记失业人员人数）÷劳动力总数",
        ),
        _item(
            "1.2",
            "长期登记失业人员动态清零",
            "5",
            "per_count_deduction",
            {"input": "long_term_unemployed", "step": "0.5", "unit": "人", "label": "登记失业超过2年的人员"},
            ("long_term_unemployed",),
            note="每出现1人扣0.5分",
        ),
        _item(
            "1.3",
            "就业困难人员就业率",
            "5",
            "rate_vs_target",
            {
                "numerator": "labor_force - hard_to_employ",
                "denominator": "labor_force",
                "target": "97",
                "step": "1",
                "shortfall": "points",
                "label": "就业困难人员就业率",
            },
            ("labor_force", "hard_to_employ"),
            note="达到97%计5分，每少1%扣1分；（劳动力总数-期末就业困难人员人数）÷劳动力总数",
        ),
        _item(
            "1.4",
            "零就业家庭就业援助（仅考核社区）",
            "5",
            "per_count_deduction",
            {
                "input": "zero_employment_households",
                "step": "1",
                "unit": "户",
                "label": "认定后1个月内未援助退出的零就业家庭",
            },
            ("zero_employment_households",),
            kinds=("community",),
            note="附件1 一.4.1；每出现1户扣1分",
        ),
        _item(
            "1.4",
            "农村劳动力转移就业（仅考核村）",
            "5",
            "rate_vs_reference",
            {
                "numerator": "rural_transferred",
                "denominator": "rural_labor_force",
                "reference": "rural_transfer_rate_last_year",
                "reference_label": "上年度同期水平",
                "step": "1",
                "shortfall": "points",
                "label": "农村劳动力转移就业率",
            },
            ("rural_transferred", "rural_labor_force", "rural_transfer_rate_last_year"),
            kinds=("village",),
            note="附件1 一.4.2；不低于上年度同期水平计5分，每减少1%扣1分",
        ),
    ),
)

_SECTION_2 = SectionSpec(
    code="2",
    title="就业服务情况",
    max_points=Decimal(45),
    items=(
        _item(
            "2.1",
            "劳动力信息采集更新",
            "5",
            "rate_vs_reference",
            {
                "numerator": "labor_records_updated",
                "denominator": "labor_force",
                "reference": "provincial_update_coverage",
                "reference_label": "全省平均水平",
                "step": "0.5",
                "shortfall": "points",
                "label": "劳动力信息更新覆盖率",
            },
            ("labor_records_updated", "labor_force", "provincial_update_coverage"),
            note="达到全省平均水平计5分，每少1%扣0.5分",
        ),
        _item(
            "2.2",
            "就业失业登记",
            "3",
            "proportional",
            {
                "numerator": "registration_applications - registration_overdue",
                "denominator": "registration_applications",
                "label": "按期审核率",
            },
            ("registration_applications", "registration_overdue"),
            note="按期审核率100%计3分，未达到的按实际按期审核率×3分",
        ),
        _heading(
            "2.3",
            "“311”就业服务",
            "12",
            (
                _item(
                    "2.3.1",
                    "按月完成就业失业动态确认",
                    "2",
                    "per_count_deduction",
                    {
                        "input": "confirmations_missing",
                        "step": "0.2",
                        "unit": "条",
                        "label": "未完成的动态确认",
                    },
                    ("confirmations_missing",),
                    note="每少1条扣0.2分",
                ),
                _item(
                    "2.3.2",
                    "人岗匹配推荐率",
                    "4",
                    "rate_vs_target",
                    {
                        "numerator": "job_recommended",
                        "denominator": (
                            "unemployed_willing_at_start + newly_registered_unemployed"
                            " - recommended_and_employed"
                        ),
                        "target": "100",
                        "step": "0.5",
                        "shortfall": "points",
                        "label": "当月人岗匹配推荐率",
                    },
                    (
                        "job_recommended",
                        "unemployed_willing_at_start",
                        "newly_registered_unemployed",
                        "recommended_and_employed",
                    ),
                    note="达到100%计4分，每低1%扣0.5分",
                ),
                _item(
                    "2.3.3",
                    "人岗匹配跟踪回访",
                    "2",
                    "per_count_deduction",
                    {
                        "input": "matches_not_followed_up",
                        "step": "0.5",
                        "unit": "人",
                        "label": "超过1个月未跟踪人数",
                    },
                    ("matches_not_followed_up",),
                    note="每1人扣0.5分",
                ),
                _item(
                    "2.3.4",
                    "职业培训推荐率",
                    "4",
                    "rate_vs_target",
                    {
                        "numerator": "training_recommended",
                        "denominator": (
                            "training_willing_at_start + training_willing_new"
                            " - training_recommended_and_employed"
                        ),
                        "target": "100",
                        "step": "0.5",
                        "shortfall": "points",
                        "label": "当月职业培训推荐率",
                    },
                    (
                        "training_recommended",
                        "training_willing_at_start",
                        "training_willing_new",
                        "training_recommended_and_employed",
                    ),
                    note="达到100%计4分，每低1%扣0.5分",
                ),
            ),
        ),
        _heading(
            "2.4",
            "重点人群服务",
            "9",
            (
                _item(
                    "2.4.1",
                    "就业困难人员就业援助",
                    "3",
                    "per_count_deduction",
                    {
                        "input": "hard_to_employ_unassisted",
                        "step": "0.2",
                        "unit": "人",
                        "label": "未获援助的就业困难人员",
                    },
                    ("hard_to_employ_unassisted",),
                    note="每出现1人扣0.2分",
                ),
                _item(
                    "2.4.2",
                    "离校未就业高校毕业生实名制就业服务",
                    "3",
                    "gated_proportional",
                    {
                        "gates": [
                            {"input": "graduate_followup_rate", "at_least": "100"},
                            {"input": "graduate_service_rate", "at_least": "100"},
                        ],
                        "value": "graduate_employment_rate",
                        "label": "就业率",
                    },
                    ("graduate_followup_rate", "graduate_service_rate", "graduate_employment_rate"),
                    note="跟踪回访率、就业服务率未达到100%计0分；达到的按就业率×3分",
                ),
                _item(
                    "2.4.3",
                    "退捕渔民和脱贫劳动力就业",
                    "3",
                    "per_count_deduction",
                    {
                        "input": "fishermen_poverty_unemployed",
                        "step": "0.5",
                        "unit": "人",
                        "label": "未实现就业的退捕渔民和脱贫劳动力",
                    },
                    ("fishermen_poverty_unemployed",),
                    note="每出现1人未实现就业扣0.5分",
                ),
            ),
        ),
        _heading(
            "2.5",
            "岗位归集",
            "8",
            (
                _item(
                    "2.5.1",
                    "社区新增发布有效岗位的企业",
                    "2",
                    "per_count_deduction",
                    {
                        "input": "new_posting_enterprises",
                        "mode": "below",
                        "required": 5,
                        "step": "0.4",
                        "unit": "家",
                        "label": "新增发布有效岗位的企业",
                    },
                    ("new_posting_enterprises",),
                    note="不低于5家，每少1家扣0.4分",
                ),
                _item(
                    "2.5.2",
                    "“湘就业”平台新增入驻企业",
                    "4",
                    "rate_vs_reference",
                    {
                        "value": "new_platform_enterprises",
                        "reference": "market_entities",
                        "reference_factor": "0.00007",
                        "reference_minimum": "1",
                        "reference_label": "目标（市场主体数×万分之0.7，至少1家）",
                        "shortfall": "relative",
                        "step": "0.05",
                        "unit": "家",
                        "label": "新增入驻发布有效岗位的企业",
                    },
                    ("new_platform_enterprises", "market_entities"),
                    note="不低于当地市场主体数量的万分之0.7（至少新增1条），每少完成1%扣0.05分；目标不取整",
                ),
                _item(
                    "2.5.3",
                    "动态更新岗位信息",
                    "2",
                    "per_count_deduction",
                    {"input": "invalid_feedback", "step": "0.1", "unit": "条", "label": "推荐反馈失效"},
                    ("invalid_feedback",),
                    note="每出现一条扣0.1分",
                ),
            ),
        ),
        _heading(
            "2.6",
            "数据准确性",
            "8",
            (
                _item(
                    "2.6.1",
                    "电话抽查信息准确率",
                    "3",
                    "rate_vs_target",
                    {
                        "value": "phone_check_accuracy",
                        "target": "90",
                        "step": "0.1",
                        "shortfall": "points",
                        "label": "电话抽查信息准确率",
                    },
                    ("phone_check_accuracy",),
                    note="不低于90%计3分，每少1%扣0.1分",
                ),
                _item(
                    "2.6.2",
                    "基层平台就业情况调查",
                    "3",
                    "manual",
                    {"input": "survey_points", "label": "基层平台就业情况调查"},
                    ("survey_points",),
                    note="根据调查情况相应扣分",
                ),
                _item(
                    "2.6.3",
                    "及时处理待确认数据",
                    "2",
                    "per_count_deduction",
                    {
                        "input": "data_overdue",
                        "step": "0.5",
                        "unit": "例",
                        "label": "超过5个工作日未处理的数据",
                    },
                    ("data_overdue",),
                    note="出现1例扣0.5分",
                ),
            ),
        ),
    ),
)

_SECTION_3 = SectionSpec(
    code="3",
    title="服务质量情况",
    max_points=Decimal(25),
    items=(
        _item(
            "3.1",
            "就业服务覆盖",
            "10",
            "rate_vs_reference",
            {
                "value": "service_count",
                "reference": "provincial_avg_service_count",
                "reference_label": "全省平均服务次数",
                "shortfall": "relative",
                "step": "0.2",
                "unit": "次",
                "label": "就业服务次数",
            },
            ("service_count", "provincial_avg_service_count"),
            note="不低于全省所有社区（村）平均服务次数计10分，每少1%扣0.2分，扣完为止",
        ),
        _heading(
            "3.2",
            "311服务效果",
            "10",
            (
                _item(
                    "3.2.1",
                    "人岗匹配推荐成功率",
                    "4",
                    "rate_vs_reference",
                    {
                        "numerator": "match_success",
                        "denominator": "matched_people",
                        "reference": "provincial_success_rate",
                        "reference_label": "全省平均水平",
                        "step": "0.05",
                        "shortfall": "points",
                        "label": "人岗匹配推荐成功率",
                    },
                    ("match_success", "matched_people", "provincial_success_rate"),
                    note="达到全省平均水平计4分，每低1%扣0.05分",
                ),
                _item(
                    "3.2.2",
                    "职业培训推荐覆盖率",
                    "4",
                    "rate_vs_reference",
                    {
                        "numerator": "training_referrals",
                        "denominator": "registered_unemployed_cumulative",
                        "reference": "provincial_training_coverage",
                        "reference_label": "全省平均水平",
                        "step": "0.3",
                        "shortfall": "points",
                        "label": "职业培训推荐覆盖率",
                    },
                    (
                        "training_referrals",
                        "registered_unemployed_cumulative",
                        "provincial_training_coverage",
                    ),
                    note="达到全省平均水平计4分，每低1%扣0.3分",
                ),
                _item(
                    "3.2.3",
                    "职业培训补贴覆盖率",
                    "2",
                    "rate_vs_reference",
                    {
                        "numerator": "training_subsidized",
                        "denominator": "training_referrals",
                        "reference": "provincial_subsidy_coverage",
                        "reference_label": "全省平均水平",
                        "step": "0.05",
                        "shortfall": "points",
                        "label": "职业培训补贴覆盖率",
                    },
                    ("training_subsidized", "training_referrals", "provincial_subsidy_coverage"),
                    note="达到全省平均水平计2分，每低1%扣0.05分",
                ),
            ),
        ),
        _item(
            "3.3",
            "群众满意度",
            "5",
            "per_count_deduction",
            {"input": "valid_complaints", "step": "1", "unit": "例", "label": "群众有效投诉"},
            ("valid_complaints",),
            note="出现1例群众有效投诉扣1分，扣完为止",
        ),
    ),
)

_SECTION_4 = SectionSpec(
    code="4",
    title="平台建设情况",
    max_points=Decimal(10),
    items=(
        _heading(
            "4.1",
            "平台使用",
            "4",
            (
                _item(
                    "4.1.1",
                    "实名制账号",
                    "2",
                    "per_count_deduction",
                    {
                        "input": "realname_accounts",
                        "mode": "below",
                        "required": 2,
                        "step": "1",
                        "unit": "个",
                        "label": "实名制账号",
                    },
                    ("realname_accounts",),
                    note="有2个以上实名制账号，少1个扣1分",
                ),
                _item(
                    "4.1.2",
                    "实名制账号登录",
                    "2",
                    "per_count_deduction",
                    {
                        "input": "inactive_accounts",
                        "step": "1",
                        "unit": "个",
                        "label": "1个月未登录省平台的账号",
                    },
                    ("inactive_accounts",),
                    note="出现1个扣1分",
                ),
            ),
        ),
        _heading(
            "4.2",
            "人员配置及培训",
            "4",
            (
                _item(
                    "4.2.1",
                    "工作人员年度业务培训",
                    "3",
                    "all_or_nothing",
                    {"conditions": [{"input": "staff_training_met", "equals": True}], "otherwise": "0"},
                    ("staff_training_met",),
                    scored_from_month=4,
                    note="达到计3分，未达到计0分（从4月起计分）",
                ),
                _item(
                    "4.2.2",
                    "新工作人员1个月内参加培训",
                    "2",
                    "all_or_nothing",
                    {"conditions": [{"input": "new_staff_trained", "equals": True}], "otherwise": "1"},
                    ("new_staff_trained",),
                    scored_from_month=4,
                    note="达到计2分，未达到计1分（从4月起计分）",
                ),
            ),
            note="原文标题计4分，分项为3分+2分；分项合计按4分封顶",
        ),
        _item(
            "4.3",
            "政策宣传",
            "2",
            "manual",
            {"input": "promotion_points", "label": "政策宣传"},
            ("promotion_points",),
            note="设置专题宣传栏、点对点宣传、“湘就业”平台推广，计2分",
        ),
    ),
)

_PART_WHOLE = tuple(
    PartWholeSpec(part, whole)
    for part, whole in (
        ("registered_unemployed", "labor_force"),
        ("hard_to_employ", "labor_force"),
        ("labor_records_updated", "labor_force"),
        ("registration_overdue", "registration_applications"),
        ("recommended_and_employed", "unemployed_willing_at_start + newly_registered_unemployed"),
        ("training_recommended_and_employed", "training_willing_at_start + training_willing_new"),
        ("match_success", "matched_people"),
        ("training_subsidized", "training_referrals"),
        ("rural_transferred", "rural_labor_force"),
    )
)

_BAND_AMOUNTS = {
    "A": Decimal(60000),
    "B": Decimal(50000),
    "C": Decimal(40000),
    "district": Decimal(30000),
}

POLICY = PolicySpec(
    code=CODE,
    name="2024年赫山区充分就业社区（村）建设",
    region="430903",  # 湖南省益阳市赫山区
    year=2024,
    period="monthly",
    kinds=("community", "village"),
    rubric=RubricSpec(
        max_points=Decimal(100),
        sections=(_SECTION_1, _SECTION_2, _SECTION_3, _SECTION_4),
        part_whole=_PART_WHOLE,
    ),
    tier_scheme=TierSchemeSpec(
        method="ranked",
        bands=(
            RankedBandSpec("A", "A档（前30%）", 3),
            RankedBandSpec("B", "B档（中间40%）", 4),
            RankedBandSpec("C", "C档（后30%）", 3),
        ),
        ranked_levels=("province", "city"),
        level_bands={"district": "district"},
        level_band_labels={"district": "区级"},
        elimination=EliminationSpec(lowest_count=3, below_score=Decimal(95), scope="all_units"),
        group_deduction=GroupDeductionSpec(amount=Decimal(10000)),
    ),
    subsidy_schedule=SubsidyScheduleSpec(
        amounts={"community": dict(_BAND_AMOUNTS), "village": dict(_BAND_AMOUNTS)},
        one_time_amounts={"community": Decimal(10000), "village": Decimal(10000)},
        one_time_basis="start_up",
        one_time_label="创建启动支持资金",
    ),
    eligibility=EligibilitySpec(),
    # 004 names no public notice: the district "评选" its units and the province "公布认定结果". The
    # product still gives notice of results, for the usual 5 working days; 004 publishes no list
    # of payees before paying (0).
    notice=NoticeSpec(result_working_days=5, payee_working_days=0),
    source="seeds/004 《2024年赫山区充分就业社区（村）建设工作实施方案》及附件1",
    notes=(
        "按月评分，年度评价取月平均分。省、市级按3:4:3分别补助6万、5万、4万元，区级3万元；"
        "全区倒数3名且低于95分的不予补助；出现末位淘汰的小组，同组其他单位扣减1万元。"
    ),
)
