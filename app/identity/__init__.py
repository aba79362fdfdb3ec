"""Who someone is and what they may see.

- ``scoping.py`` — the one place queries are scoped by membership: chats, messages,
  attachments and accounts a user may see (404 otherwise), and the account they work in.
  Pages, Socket.IO events, the API and the tools all go through it.
- ``sessions.py`` — signed-in sessions, ended at sign-out or everywhere at once.
- ``login.py`` — Flask-Login's user loader and the account every page works in.
- ``accounts.py`` — people and accounts: sign-up, passwords, members.

It may use the real-time package (to end the live connections of an ended session), the
models and the platform."""
