"""Admin page of the numbers held as unreachable: apart from the opt-out list, which they are
not on (docs/rules.md). Everyone who works leads sees why a number gets no texts; admins may
lift a hold (the carrier was wrong, the contact confirmed a new handset)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db import transaction

from optouts.messaging.models import UnreachableHold
from optouts.messaging.reachability import phone_unreachable_lift
from optouts.permissions import user_can_opt_in
from velocify_sms.admin_lists import InputSafeChangeListMixin, phone_cell, time_cell


@admin.register(UnreachableHold)
class UnreachableHoldAdmin(InputSafeChangeListMixin, admin.ModelAdmin):
    list_display = ["number", "held", "failures_count", "retry"]
    search_fields = ["phone_number"]
    show_full_result_count = False
    actions = ["lift_holds"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_lift_permission(self, request):
        return user_can_opt_in(request.user)

    @admin.display(description="number", ordering="phone_number")
    def number(self, obj):
        return phone_cell(obj.phone_number)

    @admin.display(description="held since", ordering="held_at")
    def held(self, obj):
        return time_cell(obj.held_at)

    @admin.display(description="failures")
    def failures_count(self, obj):
        return len(obj.failures)

    @admin.display(description="texts tried again from", ordering="retry_after")
    def retry(self, obj):
        return time_cell(obj.retry_after)

    @admin.action(description="Lift the hold: texts may go again", permissions=["lift"])
    def lift_holds(self, request, queryset):
        lifted = 0
        for number in queryset.values_list("phone_number", flat=True):
            with transaction.atomic():
                lifted += phone_unreachable_lift(number=number, why="admin", user=request.user)
        self.message_user(
            request, f"Lifted {lifted} hold{'s' if lifted != 1 else ''}.", messages.SUCCESS
        )
