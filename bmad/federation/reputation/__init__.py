"""Trust between member organisations: reputation, contribution credits and attribute-based
access control.

- ``policy``: the ``incentives`` and ``access`` sections of the consortium rules document, as
  validated dataclasses (``parse_incentives``, ``parse_access``).
- ``beta``: the Beta distribution's CDF and quantiles, for credible intervals.
- ``model``: beta reputation (Josang & Ismail 2002) from verifiable events and signed ratings.
- ``credits``: contribution credits earned in rounds, what they unlock, the grace period.
- ``access``: attribute-based decisions on top of the admin/member/observer roles.
- ``ratings``: the signed rating one organisation gives another.
- ``ledger``: the aggregator's tables of reputation events and ratings (portable SQL).
- ``routes``: the aggregator's HTTP routes for ratings, reputation, its evidence and trust
  levels.
- ``evidence``: a member's recomputation of every reputation from the chained evidence.
- ``export_access``: the access decision ``bmad insights export`` asks for before exporting.
"""
