"""API tokens in the admin: a key is shown once, on the page that answers its creation.

Everywhere else (list, view, delete, history, titles, breadcrumbs) a token is its key start
and user: the key is not stored, so no page can show it. Admins (the role that reads the
opt-out report) list and revoke tokens; only superusers create them, because a token acts as its
user and an admin must not mint one that acts as a superuser or as a colleague.
"""

from __future__ import annotations

from django.contrib import admin
from django.template.response import TemplateResponse

from apitokens.models import ApiToken
from apitokens.services import api_token_save_new
from optouts.permissions import user_can_view_report


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("key_start", "name", "user", "created")
    list_select_related = ("user",)
    list_filter = ("created",)
    search_fields = ("name", "prefix", "user__username")
    raw_id_fields = ("user",)
    readonly_fields = ("key_start", "created")

    @admin.display(description="Key", ordering="prefix")
    def key_start(self, token: ApiToken) -> str:
        return f"{token.prefix}…"

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "user":
            # An inactive user's token would never authenticate: not offered.
            kwargs["queryset"] = db_field.related_model._default_manager.filter(is_active=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("user", "name")
        return ("key_start", "user", "name", "created")

    def _is_admin(self, request) -> bool:
        return request.user.is_superuser or user_can_view_report(request.user)

    def has_module_permission(self, request):
        return self._is_admin(request) or super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return self._is_admin(request) or super().has_view_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._is_admin(request) or super().has_delete_permission(request, obj)

    def has_add_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return False  # a token has nothing to edit: revoke it and create another

    def save_model(self, request, obj, form, change):
        # Kept on the instance for response_add only; never saved, gone with the request.
        obj.key_shown_once = api_token_save_new(token=obj)

    def response_add(self, request, obj, post_url_continue=None):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "API token created",
            "token": obj,
            "key": obj.key_shown_once,
        }
        # admin_view marks every admin page never_cache (no-store), this one included.
        return TemplateResponse(request, "admin/apitokens/apitoken/created.html", context)
