"""Git hooks: install/uninstall, and the pre-commit check of staged changes against HEAD.

The hook paths stay light: git is driven through its command line (which honours every
variable git sets for hooks, such as ``GIT_INDEX_FILE`` during ``git commit -a``) and
tree-sitter is only loaded when the daemon does not answer. The entry points git runs are
``bmad hook pre-commit`` (:mod:`bmad.cli.precommit`) and, for post-commit, post-merge and
post-checkout, :mod:`bmad.daemon.notify`, which asks the daemon to mine the new state.
"""
