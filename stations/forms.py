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


class ChangeReasonField(forms.CharField):
    """The 变更原因 every administrative change asks for; the history keeps it with the old and new values."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", "变更原因")
        kwargs.setdefault("help_text", "必填：将与修改前后的内容一起记入操作记录。")
        super().__init__(max_length=500, widget=forms.Textarea(attrs={"rows": 2}), **kwargs)


class PasswordResetForm(forms.Form):
    """A new password for someone else's account, typed twice, checked by AUTH_PASSWORD_VALIDATORS."""

    password1 = forms.CharField(
        label="新密码", strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    password2 = forms.CharField(
        label="再次输入新密码",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    change_reason = ChangeReasonField(
        help_text="必填，例如“本人电话申请，已核实身份”。将记入操作记录（不记录密码）。"
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean(self):
        from django.contrib.auth.password_validation import validate_password

        data = super().clean()
        first, second = data.get("password1"), data.get("password2")
        if first and second and first != second:
            self.add_error("password2", "两次输入的密码不一致。")
        elif first:
            try:
                validate_password(first, self.user)
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return data
