"""A campaign's locked final inputs in `manage.py evaluate`'s input format (issue 10, item 3).

`campaign_inputs(campaign)` reads the campaign's locked sheets and its stations and returns the
cases `assessment.engine.simulate.evaluate_cases` reads, with the policy's code beside the units,
so anyone can recompute the campaign independently: `evaluate` on the written file reproduces the
stored results. The shape follows from the campaign's policy, as in the simulator:

- monthly: each unit has `months` {"YYYY-MM": final inputs as stored}; yearly: `score` (the
  sheet's final total, as a string);
- ranked: `level` and `group` (the station's recognition level and assessment group, or null);
- with recognition rules: top-level `assessed_on`, per unit `recognized_on`, `one_time_paid`
  (the station's one-time amount was decided by anything other than this campaign: on its
  recognition day, or by another campaign) and `purchase_contract` ({"start", "end"} or null).

Every sheet must be locked: the export is of final inputs only. It reads, never writes; the
command that calls it runs on the server and is not scoped to a user.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.core.exceptions import ValidationError

from assessment.engine.simulate import uses_recognition
from assessment.models import Campaign, ScoreSheet
from assessment.scoring import compiled_policy
from assessment.services.entitlements import one_time_decided_elsewhere


def _iso(day) -> str | None:
    return day.isoformat() if day is not None else None


def campaign_inputs(campaign: Campaign) -> dict[str, Any]:
    """The campaign's locked final inputs as `evaluate` cases; ValidationError if a sheet is not locked."""
    spec, _ = compiled_policy(campaign.policy)
    sheets = list(
        ScoreSheet.objects.filter(campaign=campaign)
        .select_related("station")
        .only(
            "station",
            "period",
            "status",
            "final_inputs",
            "final_total",
            "station__code",
            "station__kind",
            "station__recognized_on",
            "station__recognition_level",
            "station__assessment_group",
            "station__purchase_contract_start",
            "station__purchase_contract_end",
        )
    )
    unlocked = sorted({s.station.code for s in sheets if s.status != ScoreSheet.Status.LOCKED})
    if unlocked:
        raise ValidationError(
            f"还有 {len(unlocked)} 个站点的评分表未审定锁定，不能导出：{'、'.join(unlocked[:10])}"
        )
    by_station: dict[int, list[ScoreSheet]] = defaultdict(list)
    for sheet in sheets:
        by_station[sheet.station_id].append(sheet)
    stations = {s.station_id: s.station for s in sheets}
    order = sorted(by_station, key=lambda sid: stations[sid].code)

    monthly = spec.period == "monthly"
    ranked = spec.tier_scheme.method == "ranked"
    recognition = uses_recognition(spec)
    # Only what something else decided: the campaign's own one-time amounts, locked by a claim or
    # not, are its decision, which evaluate must make again to reproduce the result.
    decided_elsewhere = (
        one_time_decided_elsewhere(campaign=campaign, station_ids=order) if recognition else set()
    )

    units = []
    for sid in order:
        station = stations[sid]
        unit: dict[str, Any] = {"code": station.code, "kind": station.kind}
        if monthly:
            unit["months"] = {
                sheet.period: sheet.final_inputs for sheet in sorted(by_station[sid], key=lambda s: s.period)
            }
        else:
            (sheet,) = by_station[sid]
            unit["score"] = str(sheet.final_total)
        if ranked:
            unit["level"] = station.recognition_level or None
            unit["group"] = station.assessment_group or None
        if recognition:
            contract = station.purchase_contract
            unit["recognized_on"] = _iso(station.recognized_on)
            unit["one_time_paid"] = sid in decided_elsewhere
            unit["purchase_contract"] = (
                {"start": contract[0].isoformat(), "end": contract[1].isoformat()} if contract else None
            )
        units.append(unit)

    cases: dict[str, Any] = {"policy": spec.code}
    if recognition:
        cases["assessed_on"] = campaign.assessed_on.isoformat()
    cases["units"] = units
    return cases
