-- bmad language server for Neovim >= 0.11 (vim.lsp.config / vim.lsp.enable).
-- Put this file in ~/.config/nvim/lsp/bmad.lua (then only the vim.lsp.enable line is
-- needed in init.lua), or paste both parts into init.lua.
vim.lsp.config("bmad", {
  cmd = { "bmad", "lsp" },
  filetypes = {
    "python", "javascript", "javascriptreact", "typescript", "typescriptreact",
    "go", "java", "rust", "c", "cpp", "ruby", "cs",
  },
  root_markers = { ".bmad.toml", "pyproject.toml", ".git" },
  -- sent as initializationOptions and answered to workspace/configuration ("bmad" section)
  settings = {
    bmad = {
      codeLens = true,
      debounceMs = 300,
      rules = { disabled = {}, severity = {}, thresholds = {} },
    },
  },
  on_attach = function(client, bufnr)
    if client:supports_method("textDocument/codeLens") then
      vim.lsp.codelens.refresh({ bufnr = bufnr })
      vim.api.nvim_create_autocmd({ "BufEnter", "InsertLeave", "TextChanged" }, {
        buffer = bufnr,
        callback = function() vim.lsp.codelens.refresh({ bufnr = bufnr }) end,
      })
    end
  end,
})
vim.lsp.enable("bmad")
