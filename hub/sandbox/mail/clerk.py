"""The sandbox clerk: how a person at a small agency answers referral mails.

The clerk follows a script, one answer per distinct referral in order of arrival, cycling: some
answers in Persian, some in English, one without the status line the hub asked for, one late,
one never. Each answer is a real reply — ``Re:`` subject, ``In-Reply-To``/``References``, the
original quoted below — the way a mail program writes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr


@dataclass(frozen=True)
class ClerkAnswer:
    """One line of the clerk's script."""

    first_line: str | None  # None: the clerk never answers this one
    text: str = ""
    delay_factor: float = 1.0  # times the sandbox's reply_delay: >1 is a late answer


DEFAULT_SCRIPT: tuple[ClerkAnswer, ...] = (
    ClerkAnswer("وضعیت: رسیدگی شد", "لوله شکسته تعویض شد و آب محله وصل است. با تشکر"),
    ClerkAnswer("STATUS: IN_PROGRESS", "A crew is on its way."),
    ClerkAnswer(None),
    ClerkAnswer("سلام، پیگیری می‌کنیم.", "کارشناس ما بررسی خواهد کرد."),  # no status line
    ClerkAnswer("وضعیت: در دست اقدام", "موضوع به واحد فنی ارجاع شد.", delay_factor=10.0),
)


class Clerk:
    def __init__(self, address: str, script: tuple[ClerkAnswer, ...] = DEFAULT_SCRIPT) -> None:
        self.address = address
        self._script = script
        self._answered = 0

    def answer_for(self, referral: EmailMessage) -> tuple[ClerkAnswer, EmailMessage | None]:
        """The next answer of the script, and the reply mail it makes (None: no reply)."""
        answer = self._script[self._answered % len(self._script)]
        self._answered += 1
        if answer.first_line is None:
            return answer, None
        return answer, write_reply(referral, self.address, f"{answer.first_line}\n{answer.text}")


def write_reply(referral: EmailMessage, sender: str, text: str) -> EmailMessage:
    reply = EmailMessage()
    reply["From"] = sender
    reply["To"] = str(referral["Reply-To"] or referral["From"])
    reply["Subject"] = f"پاسخ: {referral['Subject']}"
    reply["Date"] = formatdate(usegmt=True)
    reply["Message-ID"] = make_msgid(domain=parseaddr(sender)[1].rpartition("@")[2] or "agency")
    original_id = str(referral["Message-ID"])
    reply["In-Reply-To"] = original_id
    reply["References"] = f"{referral['References'] or ''} {original_id}".strip()
    reply.set_content(f"{text}\n\n{_quoted(referral)}")
    return reply


def _quoted(referral: EmailMessage) -> str:
    body = referral.get_body(preferencelist=("plain",))
    original = str(body.get_content()) if body is not None else ""
    when = str(referral["Date"] or "")
    lines = [f"On {when}, {referral['From']} wrote:"]
    lines += [f"> {line}" for line in original.splitlines()]
    return "\n".join(lines)
