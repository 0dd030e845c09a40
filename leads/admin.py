from django.contrib import admin

from leads.models import Lead, LeadPhone
from leads.selectors import lead_list


class LeadPhoneInline(admin.TabularInline):
    model = LeadPhone
    extra = 1


@admin.register(Lead)
class LeadAdmin(admin.ModelAdmin):
    list_display = ["__str__", "email", "assigned_agent", "sms_opt_out"]
    inlines = [LeadPhoneInline]

    def get_queryset(self, request):
        return lead_list()

    @admin.display(description="SMS Opt-Out", boolean=True, ordering="sms_opt_out")
    def sms_opt_out(self, obj):
        return obj.sms_opt_out


from leads.imports import admin as _imports_admin  # noqa: E402, F401 - registers import pages
