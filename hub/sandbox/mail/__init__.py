"""An email agency sandbox: an SMTP server whose "clerk" answers referral mails.

``MailAgencySandbox(maildir=…, reply_delay=…).start()`` listens on a loopback SMTP port (its
``.port``); every distinct referral mail it receives is answered, after ``reply_delay`` seconds,
into the hub's reply mailbox — a Maildir, or an IMAP mailbox by APPEND. The clerk's answers follow
a script: Persian, English, malformed, late or none (see :mod:`hub.sandbox.mail.clerk`).
"""

from hub.sandbox.mail.clerk import Clerk, ClerkAnswer
from hub.sandbox.mail.delivery import ImapAppend, MaildirDrop
from hub.sandbox.mail.sandbox import MailAgencySandbox

__all__ = ["Clerk", "ClerkAnswer", "ImapAppend", "MailAgencySandbox", "MaildirDrop"]
