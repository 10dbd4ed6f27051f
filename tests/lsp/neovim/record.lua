-- Loaded with --cmd, before the user's configuration: records what a user would be shown
-- (notifications and the server's window/showMessage) from the very start.
local recorded = { notified = {}, shown = {} }
_G.bmad_recorded = recorded

local notify = vim.notify
vim.notify = function(message, level, opts)
  table.insert(recorded.notified, { message = tostring(message), level = level or vim.log.levels.INFO })
  return notify(message, level, opts)
end

local show_message = vim.lsp.handlers["window/showMessage"]
vim.lsp.handlers["window/showMessage"] = function(err, result, ctx, config)
  table.insert(recorded.shown, { message = result.message, type = result.type })
  return show_message(err, result, ctx, config)
end
