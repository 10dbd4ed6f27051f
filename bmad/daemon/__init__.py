"""The background daemon: miner loop, scheduler, JSON-RPC socket server and its client.

Its state lives in :mod:`bmad.store`; it hosts the hook's staged-change check
(:mod:`bmad.daemon.hookcheck`) with warm parsers and caches.
"""
