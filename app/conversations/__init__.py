"""Conversations (SPEC §4): the chats of an account and their message trees.

- ``actions.py`` — the use cases on messages (post, cancel, regenerate, edit, switch
  versions) and ``chat_actions.py`` — on chats (start, change settings, delete): each takes
  the acting user, commits and announces; pages, Socket.IO events and the API call them.
- ``posting.py`` — storing a question and its pending reply, budgets and model checks.
- ``branches.py`` — new versions of a turn; ``tree.py`` — reading the shown path and versions.
- ``chats.py`` — a chat's rules: create, rename, switch model, delete, list for the sidebar.
- ``rendering.py`` — Markdown to sanitised HTML, and MESSAGE JSON.
- ``announce.py`` — a message's state change told to its room.
- ``export.py`` — a chat as Markdown or JSON; ``search.py`` — full-text search.

It may use identity, files, costs and the catalog beside it, and the engine, the real-time
package, the models and the platform below."""
