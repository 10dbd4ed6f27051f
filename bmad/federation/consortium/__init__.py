"""A federation's consortium: rules its member organisations sign, and who may change them.

- ``rules``: the versioned rules document (privacy numbers from ``governance.Governance``,
  membership quorum, who may open rounds, retention, incentives, access, the learning
  agreement, the member organisations and their keys).
- ``chain``: the hash-chained, signed log of rule versions and how a member verifies it
  against the head it kept (forks, rollbacks, bad signatures, missing quorum).
- ``changes``: building the next version (a rules change, a seat for a new organisation, an
  organisation key taking its seat) and the signatures that approve it.
- ``manifest``: a round's manifest signed by its opener, checked against the rules in force
  and this organisation's local policy (``policy``).
- ``server``: the aggregator's routes for the log, proposals, agreements and round refusals;
  ``tables``: its tables (portable SQL) and the retention it applies.
- ``member``: this machine's side: sync and pin the log, propose, approve, report refusals.
- ``review``: ``bmad governance review``: the rules, their history and a compliance check.
"""
