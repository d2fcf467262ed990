"""What an admin does with a draft, done by a test: answer every TODO, then validate the file.

``complete(text, answers)`` parses the draft, replaces the value at each answered key path
(``agency.contacts.0.email``; a whole block such as ``status_map`` may be answered at once) and
fails naming every TODO left without an answer — so a test's answers are exactly the list of
what the draft asks a person to decide.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from hub.agreements.loader import parse_agreement
from hub.agreements.mapping import apply_mapping, shared_view
from hub.agreements.model import Agreement
from hub.plugins.connector import OutgoingReferral
from hub.plugins.manager import make_plugin_manager
from hub.testing.referrals import sample_request

TODO = "TODO"


def _is_todo(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(TODO)


def todo_paths(node: Any, path: str = "") -> list[str]:
    """The key paths of every TODO in a parsed draft (a TODO key counts at its own path)."""
    if isinstance(node, dict):
        found = []
        for key, value in node.items():
            here = f"{path}.{key}" if path else str(key)
            found += [here] if _is_todo(key) else todo_paths(value, here)
        return found
    if isinstance(node, list):
        return [p for i, item in enumerate(node) for p in todo_paths(item, f"{path}.{i}")]
    return [path] if _is_todo(node) else []


def _answered(node: Any, answers: Mapping[str, Any], path: str) -> Any:
    if path in answers:
        return answers[path]
    if isinstance(node, dict):
        return {
            key: _answered(value, answers, f"{path}.{key}" if path else str(key))
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_answered(item, answers, f"{path}.{i}") for i, item in enumerate(node)]
    return node


def complete(text: str, answers: Mapping[str, Any]) -> dict[str, Any]:
    """The draft with ``answers`` in place; every TODO must have been answered."""
    document = _answered(yaml.safe_load(text), answers, "")
    left = todo_paths(document)
    assert not left, f"TODOs without an answer: {left}"
    return dict(document)


def validated(document: Mapping[str, Any], file: Path | None = None) -> Agreement:
    """The agreement, as ``samad-hub agreements validate`` checks it (its loader)."""
    text = yaml.safe_dump(dict(document), allow_unicode=True, sort_keys=False)
    connectors = make_plugin_manager().connectors
    return parse_agreement(text, str(file or "draft.yaml"), connectors, file)


IDENTITY = {
    "agency.name_fa": "سازمان نمونه",
    "agency.name_en": "Sample Agency",
    "agency.contacts.0.name": "دبیرخانه",
    "agency.contacts.0.role": "Secretariat",
    "agency.contacts.0.email": "dabirkhaneh@agency.example",
    "agency.supervisor.name": "معاون خدمات",
    "agency.supervisor.role": "Deputy for services",
    "agency.supervisor.email": "deputy@agency.example",
    "routes.0.categories.0": "water.*",
}
"""The answers every draft asks for: the agency's names and people, and its routes."""


def outgoing(agreement: Agreement, due: datetime) -> OutgoingReferral:
    """A referral under the completed agreement, its mapping applied as the hub applies it."""
    tracking_code = f"1{uuid.uuid4().int % 10**10:010d}"
    reference = f"R-{tracking_code}-1"
    key = f"{agreement.id}:{uuid.uuid4().hex}"
    request = {
        **sample_request(tracking_code),
        "citizen": {
            "first_name": "مریم",
            "last_name": "احمدی",
            "mobile": "09111234567",
            "national_id": "2110000011",
        },
        "location": {"county": "گرگان", "city": "گرگان", "address": "خیابان ولیعصر، کوچه ۱۲"},
    }
    view = shared_view(request, agreement.share_citizen)
    document = {
        **view,
        "referral": {
            "reference": reference,
            "tracking_code": tracking_code,
            "idempotency_key": key,
            "deadlines": {"result": due.isoformat()},
        },
    }
    return OutgoingReferral(
        referral_id=1,
        reference=reference,
        tracking_code=tracking_code,
        idempotency_key=key,
        agreement_id=agreement.id,
        fields=apply_mapping(agreement.mapping, document),
        request=view,
        deadlines={"result": due},
    )
