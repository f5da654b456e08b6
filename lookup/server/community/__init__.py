"""``whocalled community serve``: the community server, where households share spam and
legit votes privately (issue 18). The household server (``whocalled serve``) is separate.

Endpoints, each needing ``Authorization: Bearer TOKEN`` of a member (``community member add``):

- ``POST /api/v1/community/votes`` ``{"number": "+E164", "verdict": "spam"|"legit",
  "category", "note"}``: the member's vote on the number; a new vote replaces the old one.
- ``GET /api/v1/community/check/{prefix}``: the k-anonymous check. ``prefix`` is ``+`` and
  the first digits of a number, without its last two or three; the answer lists every number
  in that range with votes (at least two digits longer than the prefix, so a range is never
  one number), and the server never learns which one was asked about.
- ``GET /api/v1/community/list?since=VERSION``: numbers added to and removed from the
  community list since ``VERSION`` (0 or none: the whole list), and the version now.

Checks are answered from a copy of the votes in memory that follows the database's vote change
log (:mod:`lookup.server.community.readmodel`): several processes on one database agree within
about half a second. Votes and the list always go to the database.

Errors are JSON ``{"error": "..."}``: 400 bad input (also bodies that are too large or too
deeply nested), 401 missing, wrong or revoked token, 404 unknown path, 429 over the member's
rate (with ``Retry-After``), 503 when the database cannot be reached; never a traceback.
"""
