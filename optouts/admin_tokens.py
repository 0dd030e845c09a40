"""API tokens in the admin: admins list and revoke them; nobody reads a whole key there.

rest_framework.authtoken registers TokenAdmin (keys shown in full, superusers only unless given
the authtoken permissions). Here the list shows only the start of each key, admins (the role
that reads the opt-out report) may list and revoke tokens, and tokens are created with
`manage.py create_api_token USERNAME`, which prints the key once to whoever runs it.
"""

from __future__ import annotations

from django.contrib import admin
from rest_framework.authtoken.admin import TokenAdmin
from rest_framework.authtoken.models import TokenProxy

from optouts.permissions import user_can_view_report


@admin.display(description="Key")
def _key_start(token) -> str:
    return f"{token.key[:6]}…"


class ApiTokenAdmin(TokenAdmin):
    list_display = (_key_start, "user", "created")
    list_select_related = ("user",)
    readonly_fields = ("user", "created")
    fields = ("user", "created")

    def _is_admin(self, request) -> bool:
        return request.user.is_superuser or user_can_view_report(request.user)

    def has_module_permission(self, request):
        return self._is_admin(request) or super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return self._is_admin(request) or super().has_view_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._is_admin(request) or super().has_delete_permission(request, obj)

    def has_add_permission(self, request):
        return False  # create_api_token prints the key; the admin never shows one

    def has_change_permission(self, request, obj=None):
        return False  # a token has nothing to edit: revoke it and create another


admin.site.unregister(TokenProxy)
admin.site.register(TokenProxy, ApiTokenAdmin)
