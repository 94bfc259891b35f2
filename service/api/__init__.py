"""The HTTP API: one blueprint per resource, schemas beside the routes that use them."""
