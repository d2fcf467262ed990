"""Best guesses from an agency's field names: which request field fills an input, which answer
field holds the case id, the status, the result.

Names are split into lower-case words (``NationalCode`` → national, code; ``shomare_hamrah`` →
shomare, hamrah) and every run of consecutive words, joined, is looked up in the synonym tables
below — English and the usual Persian transliterations. The longest synonym found wins, so
``CategoryName`` is the category (not a person's name) and ``CallerMobile`` the mobile. A leaf
such as ``Text`` or ``Matn`` under a place-like parent (``Location``, ``Address``, ``Neshani``)
is the address. A guess is only a guess: the draft says where each came from.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

FULL_NAME = "join(' ', [citizen.first_name, citizen.last_name])"


@dataclass(frozen=True)
class Guess:
    source: str  # a mapping source: a JMESPath expression over the request
    meaning: str  # for the comment, e.g. "the request's subject"


def word_set(*groups: str) -> frozenset[str]:
    """``word_set("a b", "c")`` → {a, b, c}: long word lists written as lines of text."""
    return frozenset(word for group in groups for word in group.split())


# A request field (a mapping source) ← the names that point at it, English then Persian.
_INPUT_NAMES: dict[str, frozenset[str]] = {
    "subject": word_set(
        "subject title topic headline summary caption",
        "onvan unvan mozoo mozou mozu mowzoo mouzoo sarfasl",
    ),
    "description": word_set(
        "description desc body text details detail content message comments",
        "sharh sharhe tozih tozihat matn sharhdarkhast",
    ),
    "category": word_set("category categorycode subcategory group", "dasteh daste dastebandi"),
    "type": word_set("type kind requesttype requestkind casetype", "noe noedarkhast"),
    FULL_NAME: word_set("name fullname displayname personname", "nam esm namkamel"),
    "citizen.first_name": word_set("firstname fname givenname forename", "namkochak"),
    "citizen.last_name": word_set(
        "lastname lname surname familyname family", "famil famili namkhanevadegi"
    ),
    "citizen.mobile": word_set(
        "mobile mobileno mobilenumber cell cellphone phone phonenumber tel telno telephone",
        "contactnumber mobail hamrah shomarehamrah shomaretamas tamas telefon",
    ),
    "citizen.national_id": word_set(
        "nationalcode nationalid nationalnumber nationalno nid ssn",
        "codemelli codemeli kodmelli kodemelli codmelli melli meli shomaremelli",
    ),
    "citizen.email": word_set("email mail emailaddress"),
    "location.county": word_set("county township district", "shahrestan shahrestaan"),
    "location.city": word_set("city town", "shahr"),
    "location.address": word_set(
        "address addr addressline street location", "neshani neshany adres adress"
    ),
    "location.lat": word_set("lat latitude", "arz"),
    "location.lon": word_set("lon lng long longitude", "tool"),
    "referral.reference": word_set(
        "reference ref referenceno referencenumber refno refnumber referenceid",
        "externalref externalreference externalid externalcode sourceref sourceid",
    ),
    "tracking_code": word_set(
        "trackingcode trackingno trackingnumber",
        "coderahgiri kodrahgiri rahgiri codepeygiri kodpeygiri shomarepeygiri",
    ),
    "referral.idempotency_key": word_set(
        "requestkey idempotencykey idempotency dedupkey dedupekey deduplicationkey uniquekey",
        "clientrequestid requestuid requestguid",
    ),
    "referral.deadlines.result": word_set("duedate dueat deadline duetime", "mohlat sarresid"),
    "received_at": word_set(
        "receivedat registeredat requestdate submittedat", "tarikhsabt tarikhdarkhast"
    ),
}
_MEANINGS = {
    "subject": "the request's subject",
    "description": "the citizen's description",
    "category": "the hub's category key (e.g. water.outage)",
    "type": "the request type (complaint, request, …)",
    FULL_NAME: "the citizen's first and last name",
    "citizen.first_name": "the citizen's first name",
    "citizen.last_name": "the citizen's last name",
    "citizen.mobile": "the citizen's mobile number",
    "citizen.national_id": "the citizen's national id (کد ملی)",
    "citizen.email": "the citizen's e-mail",
    "location.county": "the county (شهرستان)",
    "location.city": "the city",
    "location.address": "the address",
    "location.lat": "the latitude",
    "location.lon": "the longitude",
    "referral.reference": "the hub's referral reference (R-…)",
    "tracking_code": "the request's tracking code (کد رهگیری)",
    "referral.idempotency_key": "the referral's idempotency key",
    "referral.deadlines.result": "the result deadline (ISO time)",
    "received_at": "when the centre received the request",
}

_PLACE_WORDS = word_set(
    "location address addr place site", "makan mahal neshani neshany adres adress"
)
_PLACE_LEAVES = word_set("text line line1 full value detail details description desc", "matn sharh")

# What an answer's field holds ← the names that say so.
_ANSWER_NAMES: dict[str, frozenset[str]] = {
    "external_id": word_set(
        "casenumber caseno caseid casecode ticketid ticketno ticketnumber id",
        "trackingcode trackingnumber trackingno trackingid receiptno receiptnumber",
        "requestid requestno requestnumber recordid",
        "pervande parvande shomarepervande shomareparvande kodpeygiri codepeygiri",
        "shomarepeygiri peygiri rahgiri coderahgiri kodrahgiri shomaredarkhast",
    ),
    "status": word_set(
        "status statuscode statusid state statecode stage",
        "vaziat vaziyat vazeiat vazeyat vaziatcode codevaziat kodvaziat halat",
    ),
    "result": word_set(
        "result resolution answer reply outcome resulttext resultdescription",
        "pasokh javab natije natijeh sharhenatije",
    ),
    "changed_at": word_set(
        "changedat updatedat modifiedat lastmodified lastupdate lastupdated lastchange",
        "statusdate statuschangedat updatetime changetime updated changed modified",
        "tarikhtaghir tarikhvaziat zamantaghir tarikhberoozresani",
    ),
}
_LONG_ANSWER_NAMES = {
    role: frozenset(n for n in names if len(n) >= 5) for role, names in _ANSWER_NAMES.items()
}
# "ComplaintId", "ShomareDarkhast": a case-like noun and a word for its number.
_CASE_NOUNS = word_set(
    "case ticket complaint request record receipt tracking",
    "pervande parvande darkhast shekayat peygiri",
)
_NUMBER_WORDS = word_set("id no number code num", "shomare kod")
# Words that make a name a label ("StatusTitle", "CaseTitle"), not a code or an id.
_LABEL_WORDS = word_set("title name text desc description label caption onvan sharh")

_WORD = re.compile(r"[A-Z]+(?=[A-Z][a-z]|[0-9]|$)|[A-Z]?[a-z]+|[0-9]+|[A-Z]+")


def words(name: str) -> list[str]:
    """``NationalCode`` → [national, code]; ``shomare_hamrah`` → [shomare, hamrah]."""
    return [
        word.lower() for part in re.split(r"[^A-Za-z0-9]+", name) for word in _WORD.findall(part)
    ]


def _runs(tokens: Sequence[str]) -> Iterable[str]:
    for start in range(len(tokens)):
        for end in range(start + 1, len(tokens) + 1):
            yield "".join(tokens[start:end])


def _best(tokens: Sequence[str], tables: Mapping[str, frozenset[str]]) -> str | None:
    """The table whose longest name matches a run of ``tokens``; the first of equals."""
    best, length = None, 0
    runs = set(_runs(tokens))
    for target, names in tables.items():
        found = max((len(run) for run in runs if run in names), default=0)
        if found > length:
            best, length = target, found
    return best


def guess_input(path: str) -> Guess | None:
    """Which request field fills the input field at dotted ``path``, if a name says so."""
    *parents, leaf = path.split(".")
    leaf_words = words(leaf)
    parent_words = {word for parent in parents for word in words(parent)}
    if parent_words & _PLACE_WORDS and "".join(leaf_words) in _PLACE_LEAVES:
        return Guess("location.address", _MEANINGS["location.address"])
    source = _best(leaf_words, _INPUT_NAMES)
    return Guess(source, _MEANINGS[source]) if source else None


def answer_role(name: str) -> str | None:
    """external_id, status, result or changed_at — what an answer's field seems to hold."""
    tokens = words(name)
    whole = "".join(tokens)
    for role, names in _ANSWER_NAMES.items():
        if whole in names:
            return role
    if set(tokens) & _LABEL_WORDS:
        return None
    if set(tokens) & _CASE_NOUNS and {tokens[0], tokens[-1]} & _NUMBER_WORDS:
        return "external_id"
    # Within a longer name only the longer synonyms count: "id" in "BillId" says nothing.
    long = {
        role: frozenset(n for n in names if len(n) >= 5) for role, names in _ANSWER_NAMES.items()
    }
    return _best(tokens, long)


# Words in a system's name that say nothing about the agency.
_GENERIC = word_set("service services webservice ws wsdl soap api rest port porttype v1 v2 v3")


def suggested_id(service: str) -> str:
    """An agreement id from the system's name: ``CaseRegistryService`` → ``case-registry``."""
    kept = [word for word in words(service) if word not in _GENERIC]
    return "-".join(kept)[:40].strip("-") or "agency"


def secret_env(service: str, what: str) -> str:
    """The environment variable a draft names for a secret: ``SAMAD_CASE_REGISTRY_PASSWORD``."""
    return f"SAMAD_{suggested_id(service).replace('-', '_').upper()}_{what}"
