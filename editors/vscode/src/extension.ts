// Launches `bmad lsp` over stdio and hands it the "bmad" settings section.
import * as vscode from "vscode";
import {
  LanguageClient,
  LanguageClientOptions,
  ServerOptions,
  TransportKind,
} from "vscode-languageclient/node";

const LANGUAGES = [
  "python", "javascript", "javascriptreact", "typescript", "typescriptreact", "go",
  "java", "rust", "c", "cpp", "ruby", "csharp",
];

let client: LanguageClient | undefined;

function createClient(): LanguageClient {
  const settings = vscode.workspace.getConfiguration("bmad");
  const command = settings.get<string>("server.path", "bmad");
  const serverOptions: ServerOptions = {
    command,
    args: ["lsp"],
    transport: TransportKind.stdio,
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: LANGUAGES.map((language) => ({ scheme: "file", language })),
    // the server also asks for the section through workspace/configuration
    initializationOptions: { bmad: settings },
    synchronize: { configurationSection: "bmad" },
  };
  return new LanguageClient("bmad", "bmad", serverOptions, clientOptions);
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  client = createClient();
  context.subscriptions.push(
    vscode.commands.registerCommand("bmad.restartServer", async () => {
      await client?.stop();
      client = createClient();
      await client.start();
    }),
    vscode.workspace.onDidChangeConfiguration(async (event) => {
      if (event.affectsConfiguration("bmad.server.path")) {
        await vscode.commands.executeCommand("bmad.restartServer");
      }
    }),
  );
  await client.start();
}

export async function deactivate(): Promise<void> {
  await client?.stop();
}
