"""Notifications: planning what is due from the read models, recording each notice once
in the log, sending it by mail or Slack, and the signed unsubscribe links
(docs/explanation/notifications.md). Run by the worker process (`worker run`) and by
`flask --app wsgi notify`."""
