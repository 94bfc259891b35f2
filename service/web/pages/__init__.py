"""The people's pages (docs/explanation/web-app.md): server-rendered views and the pieces they
share."""
