from django import forms
from django.utils.translation import gettext_lazy as _

from dangjian.orgs.forms import BootstrapMixin
from dangjian.reminders.models import Frequency


class PreferenceForm(BootstrapMixin, forms.Form):  # type: ignore[misc]  # (its bound fields are Bootstrap's)
    in_app = forms.BooleanField(label=_("站内提醒（页面右上角的铃铛）"), required=False)
    email = forms.BooleanField(label=_("邮件摘要"), required=False)
    address = forms.EmailField(label=_("邮箱地址"), required=False, max_length=254)
    sms = forms.BooleanField(label=_("短信提醒"), required=False)
    frequency = forms.ChoiceField(label=_("邮件和短信的频率"), choices=Frequency.choices)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style()
