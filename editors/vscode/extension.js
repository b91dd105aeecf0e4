// Starts `syllog lsp` (the setting syllog.server.command) for .dl files.
// Plain JavaScript, so the extension needs no build step: `npm install`, then
// `npm run package` makes syllog-0.1.0.vsix (see docs/editors.md).
"use strict";
const vscode = require("vscode");
const { LanguageClient } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const [command, ...args] = vscode.workspace.getConfiguration("syllog").get("server.command");
  const folder = vscode.workspace.workspaceFolders ? vscode.workspace.workspaceFolders[0].uri.fsPath : undefined;
  client = new LanguageClient(
    "syllog",
    "Syllog",
    { command, args, options: { cwd: folder } },
    { documentSelector: [{ scheme: "file", language: "syllog" }, { scheme: "untitled", language: "syllog" }] },
  );
  context.subscriptions.push(client);
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
