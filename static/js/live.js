// The page's one Socket.IO connection, shared by the sidebar and the chat page.
export const socket = window.io ? window.io({ transports: ["websocket", "polling"] }) : null;
