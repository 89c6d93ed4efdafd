"""Office settings: the compliance office's contacts shown in every footer and e-mail."""

from sqlalchemy.orm import Session

from lms.models import Setting

#: Defaults from the university's anti-corruption page; the office edits them in Settings.
DEFAULT_CONTACTS = {
    "university": {
        "kk": "METU университеті",
        "ru": "Университет METU",
        "en": "METU University",
    },
    "officer": {
        "kk": "Джексембаев Бахытжан Маратович",
        "ru": "Джексембаев Бахытжан Маратович",
        "en": "Bakhytzhan Dzheksembayev",
    },
    "room": {
        "kk": "№1 оқу ғимараты, 52-кабинет",
        "ru": "Учебный корпус № 1, кабинет 52",
        "en": "Room 52, academic building No. 1",
    },
    "phone": "8 (701) 739 69 82",
    "email": "compliance@metu.kz",
    "website": "metu.kz",
}


def office_contacts(session: Session) -> dict:
    """The contacts as the office last saved them, with defaults for anything never set."""
    row = session.get(Setting, "contacts")
    contacts = dict(DEFAULT_CONTACTS)
    if row is not None and isinstance(row.value, dict):
        contacts.update(row.value)
    return contacts


def save_office_contacts(session: Session, contacts: dict) -> None:
    row = session.get(Setting, "contacts")
    if row is None:
        session.add(Setting(key="contacts", value=contacts))
    else:
        row.value = contacts
