-- Run with -c once the file is loaded: waits for bmad's diagnostics, then writes what arrived,
-- what was shown and the LSP log to $BMAD_NEOVIM_REPORT as JSON and quits.
local arrived = vim.wait(30000, function() return #vim.diagnostic.get(0) > 0 end, 50)
vim.wait(500) -- anything shown right after the first diagnostics arrives now
local codes = {}
for _, diagnostic in ipairs(vim.diagnostic.get(0)) do
  table.insert(codes, diagnostic.code)
end
local log_lines = {}
local log_file = io.open(vim.lsp.get_log_path(), "r")
if log_file then
  for line in log_file:lines() do
    table.insert(log_lines, line)
  end
  log_file:close()
end
local clients = {}
local get_clients = vim.lsp.get_clients or vim.lsp.get_active_clients -- 0.10 renamed it
for _, client in pairs(get_clients()) do
  table.insert(clients, client.name)
end
local report = io.open(os.getenv("BMAD_NEOVIM_REPORT"), "w")
report:write(vim.fn.json_encode({
  arrived = arrived,
  codes = codes,
  clients = clients,
  notified = _G.bmad_recorded.notified,
  shown = _G.bmad_recorded.shown,
  log = log_lines,
  messages = vim.fn.execute("messages"),
}))
report:close()
vim.cmd("qa!")
