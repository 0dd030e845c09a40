"""My preferences: a page every signed-in user opens from the user links at the top right."""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin, messages
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from preferences.forms import PreferencesForm
from preferences.models import UserPreference
from preferences.selectors import user_time_zone
from preferences.services import user_time_zone_set
from velocify_sms.dates import time_zone_label


@admin.register(UserPreference)
class UserPreferenceAdmin(admin.ModelAdmin):
    """No list of other people's preferences: only the page of one's own (site_urls)."""

    def get_model_perms(self, request):
        return {}  # not on the index: the page is linked from the user links

    def has_module_permission(self, request):
        return False

    def site_urls(self) -> list:
        view = self.admin_site.admin_view(self.my_preferences_view)
        return [path("preferences/", view, name="my_preferences")]

    def my_preferences_view(self, request):
        """GET: the form. POST: save the user's own zone (no permission needed beyond signing
        in: it changes only how their pages look)."""
        if request.method not in ("GET", "POST"):
            return HttpResponseNotAllowed(["GET", "POST"])
        current = user_time_zone(user=request.user)
        form = PreferencesForm(request.POST or None, initial={"time_zone": current})
        if request.method == "POST" and form.is_valid():
            zone = form.cleaned_data["time_zone"]
            user_time_zone_set(user=request.user, time_zone=zone)
            messages.success(request, f"Times are now shown in {time_zone_label(zone)}.")
            return HttpResponseRedirect(reverse("admin:my_preferences"))
        context = {
            **self.admin_site.each_context(request),
            "title": "My preferences",
            "form": form,
            "site_zone_label": time_zone_label(settings.TIME_ZONE),
        }
        return TemplateResponse(request, "admin/preferences/my_preferences.html", context)
