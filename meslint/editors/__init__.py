"""Editor integrations shipped with meslint: a VS Code problem matcher and a vim compiler file."""
