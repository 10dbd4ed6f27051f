-- bmad language server for Neovim 0.7-0.10 (no vim.lsp.config / vim.lsp.enable there):
-- paste into init.lua, or save it as ~/.config/nvim/plugin/bmad.lua. Neovim >= 0.11: lsp/bmad.lua.
local filetypes = {
  "python", "javascript", "javascriptreact", "typescript", "typescriptreact",
  "go", "java", "rust", "c", "cpp", "ruby", "cs",
}

-- the nearest folder above the buffer holding a marker, else the buffer's own folder
-- (vim.fn works on every version; vim.fs arrived in 0.8)
local function root_of(bufnr)
  local folder = vim.fn.fnamemodify(vim.api.nvim_buf_get_name(bufnr), ":p:h")
  for _, marker in ipairs({ ".bmad.toml", "pyproject.toml" }) do
    local found = vim.fn.findfile(marker, folder .. ";")
    if found ~= "" then return vim.fn.fnamemodify(found, ":p:h") end
  end
  local git = vim.fn.finddir(".git", folder .. ";")
  if git ~= "" then return vim.fn.fnamemodify(git, ":p:h:h") end
  return folder
end

local function on_attach(client, bufnr)
  if client.server_capabilities.codeLensProvider then
    vim.lsp.codelens.refresh()
    vim.api.nvim_create_autocmd({ "BufEnter", "InsertLeave", "TextChanged" }, {
      buffer = bufnr,
      callback = function() vim.lsp.codelens.refresh() end,
    })
  end
end

-- the "bmad" section; an empty Lua table {} would be sent as a JSON list, so empty objects
-- are vim.empty_dict()
local settings = {
  codeLens = true,
  debounceMs = 300,
  rules = { disabled = {}, severity = vim.empty_dict(), thresholds = vim.empty_dict() },
}

local clients_by_root = {} -- Neovim 0.7 only: vim.lsp.start reuses clients itself

vim.api.nvim_create_autocmd("FileType", {
  pattern = filetypes,
  callback = function(event)
    local root = root_of(event.buf)
    local config = {
      name = "bmad",
      cmd = { "bmad", "lsp" },
      root_dir = root,
      -- Neovim 0.7 neither answers workspace/configuration nor sends didChangeConfiguration:
      -- the settings also go as initializationOptions
      init_options = settings,
      settings = { bmad = settings },
      on_attach = on_attach,
    }
    if vim.lsp.start then
      vim.lsp.start(config, { bufnr = event.buf })
      return
    end
    local client_id = clients_by_root[root]
    if client_id == nil or vim.lsp.get_client_by_id(client_id) == nil then
      client_id = vim.lsp.start_client(config)
      clients_by_root[root] = client_id
    end
    if client_id then vim.lsp.buf_attach_client(event.buf, client_id) end
  end,
})
