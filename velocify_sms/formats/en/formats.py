# Django's own rendering of dates and times (the admin's read-only fields, lists that show a
# model's DateTimeField as it is) in the project's one format, velocify_sms.dates:
# `2026-12-02 14:05`, not Django's English default `Dec. 2, 2026, 2:05 p.m.`.
DATETIME_FORMAT = "Y-m-d H:i"
SHORT_DATETIME_FORMAT = "Y-m-d H:i"
DATE_FORMAT = "Y-m-d"
SHORT_DATE_FORMAT = "Y-m-d"
TIME_FORMAT = "H:i"
