"""The email connector: referrals by SMTP to agencies whose case system is a clerk's mailbox.

Rooms: ``settings`` (the agreement's settings, typed), ``rendering`` (Jinja2 templates, Jalali
deadlines), ``composing`` (the MIME message, its stable Message-ID), ``sending`` (SMTP and its
errors), ``mailboxes`` (IMAP and Maildir reply sources), ``replies`` (the reply convention and
matching), ``bounces`` (delivery-status notifications), ``connector`` (the ``Connector`` itself)
and ``plugin`` (its registration).
"""
