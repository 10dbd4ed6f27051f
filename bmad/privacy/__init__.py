"""Everything that makes a contribution safe to leave the machine.

Bounded contribution vectors (``schemas``, ``bounding``) per unit of privacy (``units``),
discrete DP noise from OpenDP's exact samplers (``noise``), zCDP accounting and the persisted
budget ledger (``accounting``, ``ledger``), identity keys and encrypted envelopes
(``identity``, ``envelope``), consent (``consent``) and the hash-chained audit log (``audit``).
Release rules (k organisations per cell, no suppressed cell recoverable) live with the released
insights (``bmad.federation.insights``).
"""
