"""The people's pages (DESIGN §9): server-rendered views and the pieces they share."""
