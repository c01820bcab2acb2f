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
from contextlib import closing
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models.functions import Coalesce

from assessment.engine.simulate import uses_recognition
from assessment.models import Campaign, ScoreSheet
from assessment.scoring import compiled_policy, input_names, unpack_with
from assessment.services.entitlements import one_time_decided_elsewhere
from core.fields import CompactJSONField
from stations.models import Station


def _iso(day) -> str | None:
    return day.isoformat() if day is not None else None


def campaign_inputs(campaign: Campaign) -> dict[str, Any]:
    """The campaign's locked final inputs as `evaluate` cases; ValidationError if a sheet is not locked."""
    spec, _ = compiled_policy(campaign.policy)
    names = input_names(campaign.policy)
    sheets = ScoreSheet.objects.filter(campaign=campaign)
    unlocked = (
        Station.objects.filter(pk__in=sheets.exclude(status=ScoreSheet.Status.LOCKED).values("station_id"))
        .order_by("code")
        .values_list("code", flat=True)
    )
    named = list(unlocked[:10])
    if named:
        raise ValidationError(
            f"还有 {unlocked.count()} 个站点的评分表未审定锁定，不能导出：{'、'.join(named)}"
        )
    stations = {
        station.pk: station
        for station in Station.objects.filter(pk__in=sheets.values("station_id")).only(
            "code",
            "kind",
            "recognized_on",
            "recognition_level",
            "assessment_group",
            "purchase_contract_start",
            "purchase_contract_end",
        )
    }
    # Only the columns written, in chunks: a province's sheets are never all model objects at once.
    # The final column reads the on-site one when the review kept it (stored as null).
    by_station: dict[int, list[tuple[str, Any, Any]]] = defaultdict(list)
    rows = (
        sheets.order_by("station_id", "period")
        .annotate(inputs=Coalesce("final_packed", "onsite_packed", output_field=CompactJSONField()))
        .values_list("station_id", "period", "final_total", "inputs")
    )
    with closing(rows.iterator(chunk_size=2000)) as streamed:  # its server-side cursor goes at once
        for station_id, period, total, packed in streamed:
            by_station[station_id].append((period, total, unpack_with(names, packed)))
    order = sorted(by_station, key=lambda sid: stations[sid].code)

    monthly = spec.period == "monthly"
    ranked = spec.tier_scheme.method == "ranked"
    recognition = uses_recognition(spec)
    # Only what something else decided: the campaign's own one-time amounts, locked by a claim or
    # not, are its decision, which evaluate must make again to reproduce the result.
    decided_elsewhere = (
        one_time_decided_elsewhere(campaign=campaign, station_ids=sheets.values("station_id"))
        if recognition
        else set()
    )

    units = []
    for sid in order:
        station = stations[sid]
        unit: dict[str, Any] = {"code": station.code, "kind": station.kind}
        if monthly:
            unit["months"] = {period: inputs for period, _, inputs in by_station[sid]}
        else:
            ((_, total, _),) = by_station[sid]
            unit["score"] = str(total)
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
