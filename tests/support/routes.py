"""Every chat and message route, for the authorization tests of both suites."""

CHAT_ROUTES = [
    ("get", "/chats/{chat}"),
    ("get", "/chats/{chat}/messages"),
    ("post", "/chats/{chat}/messages"),
    ("post", "/chats/{chat}/messages/{message}/cancel"),
    ("post", "/chats/{chat}/rename"),
    ("post", "/chats/{chat}/model"),
    ("post", "/chats/{chat}/instructions"),
    ("post", "/chats/{chat}/delete"),
]
