from django import forms

from stations.models import Station
from stations.services import OPERATOR_EDITABLE_FIELDS


class StationContactForm(forms.ModelForm):
    class Meta:
        model = Station
        fields = list(OPERATOR_EDITABLE_FIELDS)
        widgets = {
            "service_phone": forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
            "station_head_phone": forms.TextInput(attrs={"inputmode": "tel"}),
        }
