-- bmad language server for Neovim >= 0.11: copy this file to ~/.config/nvim/lsp/bmad.lua
-- and add `vim.lsp.enable("bmad")` to init.lua. (Neovim 0.7-0.10: use bmad-before-0.11.lua.)
return {
  cmd = { "bmad", "lsp" },
  filetypes = {
    "python", "javascript", "javascriptreact", "typescript", "typescriptreact",
    "go", "java", "rust", "c", "cpp", "ruby", "cs",
  },
  root_markers = { ".bmad.toml", "pyproject.toml", ".git" },
  -- the "bmad" section, answered to workspace/configuration; an empty Lua table {} would be
  -- sent as a JSON list, so empty objects are vim.empty_dict()
  settings = {
    bmad = {
      codeLens = true,
      debounceMs = 300,
      rules = { disabled = {}, severity = vim.empty_dict(), thresholds = vim.empty_dict() },
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
}
