"""Git hooks: install/uninstall, the pre-commit check of staged changes, and the post-commit,
post-merge and post-checkout notifications to the daemon.

The hook paths stay light: git is driven through its command line (which honours every
variable git sets for hooks, such as ``GIT_INDEX_FILE`` during ``git commit -a``) and
tree-sitter is only loaded when the daemon does not answer.
"""
