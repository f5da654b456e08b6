"""``whocalled serve``: a JSON API for PBXs and phones, a CNAM text endpoint, and one HTML page.

Endpoints (all GET unless said; with a token set, every request needs
``Authorization: Bearer TOKEN`` or ``?token=TOKEN``):

- ``/api/v1/lookup/{number}?region=``: the object ``whocalled lookup --json`` prints.
  Cached answers at once, otherwise within the lookup deadline; concurrent requests
  for one number share one lookup.
- ``/api/v1/screen/{number}``: ``{"action": "allow"|"warn"|"block", "verdict", "reason",
  "name", ...}`` within ``screen_deadline`` (default 2 s) from what is known by then;
  ``?format=text`` gives the action word alone. Withheld callers get ``warn``.
- ``/cnam/{number}``: ``text/plain`` caller name for Asterisk ``CURL()`` and FreePBX
  Superfecta, prefixed with ``cnam_spam_prefix`` ("SPAM") for likely spam, in CNAM-safe characters only. A number
  that cannot be parsed gives an empty 400 so the dialplan keeps the name it has.
- ``/api/v1/blocklist.{fmt}?national=REGION``: the block list in any export format,
  with a strong ``ETag`` (a hash of the lists, format and region) and ``304`` on ``If-None-Match``.
- POST ``/api/v1/block``, ``/api/v1/allow``, ``/api/v1/report``: JSON bodies
  ``{"number", "reason", "force"}`` (or ``{"name", "reason", "force"}``: a caller-name
  pattern) / ``{"number", "reason"}`` / ``{"number", "category", "note", "at"}``; blocking
  your own or an allowlisted number, or a name pattern matching every caller or a contact,
  needs ``"force": true`` (409 otherwise).
- ``/``: the household page (see :mod:`lookup.server.pages`).

Errors are JSON ``{"error": "..."}``: 400 bad input, 401 token, 403 foreign Host or
cross-site form, 404 unknown path, 409 protected number, 500 (logged, never a traceback).

Without a token the server only listens on loopback and only answers requests whose
``Host`` is a loopback name, which stops DNS-rebinding pages from reaching it.
The store is synchronous SQLite: its reads and writes run on a database thread of their
own, never in the event loop, so a busy database (the CLI importing) delays no screen past
its deadline. Connections pass a guard first (:mod:`lookup.server.guard`): a bound on how
many are open and on the time a client may take to send its request head.
"""
