"""The evidence export of one number: what a lender hands to counsel.

It reads the consent core (events, their chain, the list row, the leads) and the SMS channel's
logs (the messages that caused events), so it sits above both in the import layers
(pyproject.toml). `selectors` builds the bundle, `render` writes it as CSV or a printable page,
`apis` serves it at GET /api/v1/sms/phone-numbers/<n>/evidence/.
"""
