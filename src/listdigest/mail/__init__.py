"""Stage 2: parse one message (headers, subject tags, authors, body sections)."""

from listdigest.mail.body import Body
from listdigest.mail.message import Message, commit_message, parse_message
from listdigest.mail.subject import Subject, parse_subject

__all__ = ["Body", "Message", "Subject", "commit_message", "parse_message", "parse_subject"]
