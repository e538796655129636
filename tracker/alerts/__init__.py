"""Alerts: saved searches from feeds.yaml whose new matches are mailed (or
printed) once each.

    validate  the `alerts:` and `smtp:` blocks of feeds.yaml -> AlertConfig, SmtpConfig
    select    what an alert has not delivered yet, and its cursor after a delivery
    mailer    one message handed to an SMTP server, every failure as one sentence
    run       a `tracker alerts` run: per alert select, render, deliver, then move its cursor

Nothing is imported here: tracker.config reads alerts.validate on every
command, and must not pay for the rest.
"""
