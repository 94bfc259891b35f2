"""The web layer: the Flask app, authentication, problems, and a blueprint per
resource. It parses, authorises, calls one application method, and renders."""
