"""Admin pages of the keywords and replies (optouts/messaging/keyword_lists.py holds the rules):
the words admins added, beside the defaults no one can remove; the stop, start and help replies;
the record of every change. Admins only: the pages follow the model permissions, which only the
Admins group has (migration 0019).
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages

from optouts.messaging.keyword_lists import (
    REPLY_MAX_LENGTH,
    KeywordError,
    keyword_replies_ensure,
    keyword_reply_default,
    keyword_reply_set,
    keyword_word_add,
    keyword_word_check,
    keyword_word_remove,
)
from optouts.messaging.keywords import fixed_words
from optouts.messaging.models import KeywordKind, SmsKeyword, SmsKeywordChange, SmsKeywordReply
from optouts.messaging.replies import help_reply_text, keyword_reply_text
from velocify_sms.admin_lists import InputSafeChangeListMixin, time_cell


class SmsKeywordForm(forms.ModelForm):
    class Meta:
        model = SmsKeyword
        fields = ["word", "kind"]
        help_texts = {
            "word": "Read as a text is read: case, accents, punctuation and extra spaces do not "
            "count. A text that is exactly this word is the keyword.",
        }

    def clean(self):
        data = super().clean()
        if data.get("word") and data.get("kind"):
            try:
                data["word"] = keyword_word_check(word=data["word"], kind=data["kind"])
            except KeywordError as exc:
                self.add_error("word", str(exc))
        return data

    def validate_unique(self):
        pass  # keyword_word_check says it in words (a word means one thing, of any kind)


@admin.register(SmsKeyword)
class SmsKeywordAdmin(InputSafeChangeListMixin, admin.ModelAdmin):
    form = SmsKeywordForm
    list_display = ["word", "kind", "created_by", "added"]
    list_filter = ["kind"]
    change_list_template = "admin/optouts/messaging/keywords_change_list.html"

    def has_change_permission(self, request, obj=None):
        return False  # a word is removed and added again, never edited

    @admin.display(description="added", ordering="created_at")
    def added(self, obj):
        return time_cell(obj.created_at)

    def save_model(self, request, obj, form, change):
        try:
            added = keyword_word_add(word=obj.word, kind=obj.kind, user=request.user)
        except KeywordError as exc:  # another admin added it since the form was checked
            self.message_user(request, str(exc), messages.ERROR)
            return
        obj.pk = added.pk

    def delete_model(self, request, obj):
        keyword_word_remove(keyword=obj, user=request.user)

    def delete_queryset(self, request, queryset):
        for keyword in queryset:
            keyword_word_remove(keyword=keyword, user=request.user)

    def changelist_view(self, request, extra_context=None):
        fixed = fixed_words()
        extra_context = {
            **(extra_context or {}),
            "fixed_words": [(label, sorted(fixed[kind])) for kind, label in KeywordKind.choices],
        }
        return super().changelist_view(request, extra_context)


class SmsKeywordReplyForm(forms.ModelForm):
    text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4, "cols": 80}),
        required=False,
        max_length=REPLY_MAX_LENGTH,
        help_text="{brand} is replaced by the sender's name (put in front when missing: carriers "
        "require it), {help_contact} by the help contact. Blank: the default.",
    )

    class Meta:
        model = SmsKeywordReply
        fields = ["text"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.instance.text:
            self.initial["text"] = keyword_reply_default(kind=self.instance.kind)


@admin.register(SmsKeywordReply)
class SmsKeywordReplyAdmin(InputSafeChangeListMixin, admin.ModelAdmin):
    form = SmsKeywordReplyForm
    list_display = ["kind", "sent", "changed_by", "changed"]
    list_display_links = ["kind"]
    readonly_fields = ["kind", "sent"]
    fields = ["kind", "text", "sent"]
    actions = None

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="sent as")
    def sent(self, obj):
        template = obj.text or keyword_reply_default(kind=obj.kind)
        help_text = obj.kind == KeywordKind.HELP
        text = help_reply_text(template) if help_text else keyword_reply_text(template)
        return text if obj.text else f"{text} (the default)"

    @admin.display(description="changed by")
    def changed_by(self, obj):
        return obj.updated_by or "-"

    @admin.display(description="changed", ordering="updated_at")
    def changed(self, obj):
        return time_cell(obj.updated_at)

    def save_model(self, request, obj, form, change):
        try:
            keyword_reply_set(kind=obj.kind, text=form.cleaned_data["text"], user=request.user)
        except KeywordError as exc:
            self.message_user(request, str(exc), messages.ERROR)

    def changelist_view(self, request, extra_context=None):
        keyword_replies_ensure()
        return super().changelist_view(request, extra_context)


@admin.register(SmsKeywordChange)
class SmsKeywordChangeAdmin(InputSafeChangeListMixin, admin.ModelAdmin):
    list_display = ["when", "user_label", "action", "kind", "word", "before", "after"]
    list_filter = ["action", "kind"]
    search_fields = ["word", "user_label"]
    actions = None

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="when", ordering="at")
    def when(self, obj):
        return time_cell(obj.at)
