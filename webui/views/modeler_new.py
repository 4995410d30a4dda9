"""Creating a process: its key, its name and a starting diagram, opened in the modeler as version 0."""
import re

from django import forms
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from engine import api
from engine.errors import InvalidDefinition
from engine.models import ProcessDefinition

from .. import process_templates
from ..page_forms import PageForm
from .modeler_access import owner_required, viewer_required
from .modeler_drafts import start_new

KEY = re.compile(r"[a-z][a-z0-9_]{2,62}")


class NewProcessForm(PageForm):
    key = forms.CharField(label=gettext_lazy("流程编号"), max_length=63, help_text=gettext_lazy(
        "英文小写字母开头，只含小写字母、数字和下划线，如 station_visit；部署后不能更改。"))
    name = forms.CharField(label=gettext_lazy("流程名称"), max_length=200)
    template = forms.ChoiceField(label=gettext_lazy("从哪里开始"), widget=forms.RadioSelect,
                                 choices=list(process_templates.TEMPLATES.items()), initial="approval")
    first_office = forms.ChoiceField(label=gettext_lazy("办理单位"))
    second_office = forms.ChoiceField(label=gettext_lazy("审核或督办单位"), help_text=gettext_lazy(
        "审批、上报和督办流程中审核、审阅或督办的单位；空白流程不用。"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        roles = [(label, label) for label in api.lane_roles().values()]
        self.fields["first_office"].choices = roles
        self.fields["second_office"].choices = roles
        self.fields["first_office"].initial = "县(市、区)民政局"
        self.fields["second_office"].initial = "市(州)民政局"

    def clean_key(self):
        key = self.cleaned_data["key"].strip()
        if not KEY.fullmatch(key):
            raise forms.ValidationError(_("流程编号须以小写字母开头，只含小写字母、数字和下划线，共 3 至 63 个字符。"))
        if ProcessDefinition.objects.filter(key=key).exists():
            raise forms.ValidationError(_("已有流程使用编号 %(key)s。") % {"key": key})
        return key


@viewer_required
@owner_required(gettext_lazy("只有流程负责人可以新建流程。"))
def new(request):
    form = NewProcessForm(request.POST or None)
    problems = []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        bpmn, form_files = process_templates.build(data["template"], data["key"], data["name"].strip(),
                                                   data["first_office"], data["second_office"])
        try:
            api.validate({f"{data['key']}.bpmn": bpmn}, form_files)
        except InvalidDefinition as err:
            problems = err.problems
        else:
            start_new(request, data["key"], data["name"].strip(), bpmn, form_files)
            return redirect("webui:modeler", key=data["key"], number=0)
    return render(request, "webui/modeler/new.html", {"form": form, "problems": problems})
