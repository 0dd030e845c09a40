from django.contrib import admin

from optouts.models import ConsentEvent, OptOut


class ReadOnlyAdmin(admin.ModelAdmin):
    """The list and its history change only through the services, never by editing rows."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(OptOut)
class OptOutAdmin(ReadOnlyAdmin):
    list_display = ["phone_number", "source", "channel", "opted_out_at", "actor"]
    list_filter = ["source", "channel"]
    search_fields = ["phone_number"]


@admin.register(ConsentEvent)
class ConsentEventAdmin(ReadOnlyAdmin):
    list_display = ["phone_number", "action", "source", "channel", "actor", "created_at"]
    list_filter = ["action", "source", "channel"]
    search_fields = ["phone_number"]
    show_full_result_count = False


from optouts.messaging import admin as _messaging_admin  # noqa: E402, F401 - registers messages
