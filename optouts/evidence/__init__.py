"""The evidence: the SHA-256 chain of each number's consent events, signed anchors that pin every
chain outside the database, the list checked against its history, and one number's bundle.

Modules, lowest first (each imports only those above it in this list, plus the consent core):
- `chain` (pure): the canonical form of an event, the link, the verdict on one chain;
- `merkle` (pure): the RFC 6962 tree over every number's chain head, and inclusion proofs;
- `replay` (pure): the opt-out list state a number's events say it must have;
- `anchors`: the signed anchor document and the signing key (never in the database);
- `store`: where anchors are kept (a directory, or a Django storage backend);
- `selectors`: verdicts on one number or on every number, streamed;
- `services`: events written with their hash, sealing, and writing an anchor;
- `proof`, `bundle`, `render`, `apis`, `urls_api`: one number's evidence bundle, with its proof,
  as JSON, CSV or a printable page, at GET /api/v1/sms/phone-numbers/<n>/evidence/;
- `checks`: the system checks (a signing key when DEBUG is off; the app's database role).

The SMS that caused each event come from the SMS channel (optouts.messaging, a layer above),
through a look-up it registers in the app's ready() (bundle.message_log_set).
"""
