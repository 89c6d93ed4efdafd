"""The demo's names and job titles, as a Kazakhstani university's lists write them.

Names are written as Kazakhstan's lists and documents write them, **"Surname First Patronymic"**
("Қасымова Аружан Серікқызы", "Касымов Нурлан Маратович", "Ким Ольга Викторовна"); people
without a patronymic are "Surname First" ("Walker Emily"). One order for everyone, so a list
sorted by name is sorted by surname. Each person is of one gender throughout: the surname's
ending (-ов/-ова), the patronymic (-ұлы/-қызы, -ович/-овна) and the first name agree. People with
a Kazakh patronymic use the Kazakh interface; Kazakhs with a Russian-style patronymic mostly the
Russian one; job titles are in the person's interface language.

Apart from the seeding (``lms.demo.university``) because these are tables of names and the rules that make one
person's name agree with itself; the demo's test reads them to check every name it finds.
"""

import random

KAZAKH_MALE = [
    "Нұрлан", "Ерлан", "Бауыржан", "Асқар", "Мәди", "Ерасыл", "Арман", "Данияр", "Айбек", "Ержан",
    "Дәурен", "Қанат", "Бекзат", "Нұрсұлтан", "Алмас", "Темірлан", "Ақжол", "Дастан", "Әлихан", "Санжар",
]  # fmt: skip
KAZAKH_FEMALE = [
    "Айдана", "Әсем", "Дана", "Жансая", "Гүлнұр", "Аружан", "Томирис", "Меруерт", "Айгерим", "Мадина",
    "Жанар", "Динара", "Сәуле", "Ақмарал", "Камила", "Назерке", "Балжан", "Гүлмира", "Аяулым", "Дильназ",
]  # fmt: skip
#: Fathers' names, from which patronymics are made: "Серікұлы", "Серікқызы", "Серикович", "Сериковна".
KAZAKH_FATHERS = [
    "Серік", "Нұрлан", "Марат", "Ерлан", "Қанат", "Болат", "Талғат", "Мұрат", "Әлібек", "Дәулет",
    "Қайрат", "Ғабит", "Жомарт", "Бақыт", "Сәкен", "Темір", "Ерболат", "Асхат",
]  # fmt: skip
#: Male forms; the female form adds "а" (Қасымов, Қасымова).
KAZAKH_SURNAMES = [
    "Қасымов", "Жұмабаев", "Омаров", "Төлеуов", "Сейітов", "Әбдірахманов", "Беков", "Ахметов", "Сапаров",
    "Нұрпейісов", "Мұқанов", "Исаев", "Тоқтаров", "Сұлтанов", "Жақыпов", "Байжанов", "Есенов",
    "Құдайбергенов", "Оспанов", "Искаков", "Тұрсынов", "Әлиев", "Ермеков", "Серікбаев", "Қалиев",
    "Мұратов", "Байтұрсынов", "Ибраев", "Смағұлов", "Жолдасбеков",
]  # fmt: skip
RUSSIAN_MALE = [
    "Александр", "Дмитрий", "Сергей", "Алексей", "Павел", "Андрей", "Михаил", "Николай", "Владимир", "Игорь",
    "Евгений", "Максим",
]  # fmt: skip
RUSSIAN_FEMALE = [
    "Анна", "Екатерина", "Мария", "Ирина", "Ольга", "Наталья", "Елена", "Татьяна", "Светлана", "Юлия",
    "Анастасия", "Ксения",
]  # fmt: skip
RUSSIAN_PATRONYMICS = [
    ("Александрович", "Александровна"), ("Дмитриевич", "Дмитриевна"), ("Сергеевич", "Сергеевна"),
    ("Алексеевич", "Алексеевна"), ("Павлович", "Павловна"), ("Андреевич", "Андреевна"),
    ("Михайлович", "Михайловна"), ("Николаевич", "Николаевна"), ("Владимирович", "Владимировна"),
    ("Игоревич", "Игоревна"), ("Викторович", "Викторовна"), ("Юрьевич", "Юрьевна"),
]  # fmt: skip
RUSSIAN_SURNAMES = [
    "Иванов", "Петров", "Смирнов", "Ковалёв", "Морозов", "Волков", "Лебедев", "Соколов", "Попов", "Новиков",
    "Фёдоров", "Кузнецов", "Васильев", "Павлов", "Семёнов", "Голубев", "Никитин", "Захаров",
]  # fmt: skip
#: Surnames with one form for both genders (Korean and Ukrainian families of Kazakhstan).
INVARIABLE_SURNAMES = ["Ким", "Пак", "Цой", "Шевченко"]
ENGLISH_MALE = ["James", "Daniel", "Thomas", "Oliver", "William", "Henry"]
ENGLISH_FEMALE = ["Emily", "Grace", "Sofia", "Olivia", "Charlotte", "Amelia"]
ENGLISH_SURNAMES = ["Walker", "Hughes", "Reed", "Foster", "Bennett", "Clarke", "Turner", "Harris"]

_RUSSIAN_SPELLING = str.maketrans("ӘәҒғҚқҢңӨөҰұҮүҺһІі", "АаГгКкНнОоУуУуХхИи")


def russian_spelling(name: str) -> str:
    """A Kazakh name as Russian-language documents spell it (Нұрлан → Нурлан, Серік → Серик)."""
    return name.translate(_RUSSIAN_SPELLING)


#: Every first name the demo gives, by gender, in both spellings (the test checks names against these).
MALE_FIRST_NAMES = frozenset(
    KAZAKH_MALE + [russian_spelling(n) for n in KAZAKH_MALE] + RUSSIAN_MALE + ENGLISH_MALE + ["Бахытжан"]
)
FEMALE_FIRST_NAMES = frozenset(KAZAKH_FEMALE + [russian_spelling(n) for n in KAZAKH_FEMALE] + RUSSIAN_FEMALE)
FEMALE_FIRST_NAMES |= frozenset(ENGLISH_FEMALE)

#: (kind of name, its interface language): weights for students and for staff.
STUDENT_ORIGINS = [("kazakh", 64), ("kazakh-ru", 17), ("russian", 16), ("english", 3)]
STAFF_ORIGINS = [("kazakh", 40), ("kazakh-ru", 32), ("russian", 23), ("english", 5)]


def make_name(rng: random.Random, origin: str, female: bool) -> tuple[str, str]:
    """A full name "Surname First Patronymic" of one gender, and the person's interface language."""
    if origin == "english":
        first = rng.choice(ENGLISH_FEMALE if female else ENGLISH_MALE)
        return f"{rng.choice(ENGLISH_SURNAMES)} {first}", "en"
    if origin == "russian":
        first = rng.choice(RUSSIAN_FEMALE if female else RUSSIAN_MALE)
        patronymic = rng.choice(RUSSIAN_PATRONYMICS)[1 if female else 0]
        if rng.random() < 0.15:
            surname = rng.choice(INVARIABLE_SURNAMES)
        else:
            surname = rng.choice(RUSSIAN_SURNAMES) + ("а" if female else "")
        return f"{surname} {first} {patronymic}", "ru"
    first = rng.choice(KAZAKH_FEMALE if female else KAZAKH_MALE)
    surname = rng.choice(KAZAKH_SURNAMES) + ("а" if female else "")
    father = rng.choice(KAZAKH_FATHERS)
    if origin == "kazakh":
        return f"{surname} {first} {father}{'қызы' if female else 'ұлы'}", "kk"
    # Russian-style documents: Russian spelling and "-ович"/"-овна"; most of them read Russian.
    patronymic = russian_spelling(father) + ("овна" if female else "ович")
    locale = "ru" if rng.random() < 0.7 else "kk"
    return f"{russian_spelling(surname)} {russian_spelling(first)} {patronymic}", locale


def pick_origin(rng: random.Random, weights: list[tuple[str, int]]) -> str:
    return rng.choices([o for o, _w in weights], weights=[w for _o, w in weights])[0]


# --- Positions ----------------------------------------------------------------------------------

#: (kk, ru, en) titles; a person's title is in their interface language.
ACADEMIC_POSITIONS = [
    ("Аға оқытушы", "Старший преподаватель", "Senior lecturer"),
    ("Қауымдастырылған профессор", "Ассоциированный профессор", "Associate professor"),
    ("Профессор", "Профессор", "Professor"),
    ("Оқытушы", "Преподаватель", "Lecturer"),
    ("Зертхана инженері", "Инженер лаборатории", "Laboratory engineer"),
    ("Кафедра әдіскері", "Методист кафедры", "Department coordinator"),
]
ADMINISTRATIVE_POSITIONS = [
    ("Бухгалтер", "Бухгалтер", "Accountant"),
    ("Кадр бөлімінің маманы", "Специалист отдела кадров", "HR specialist"),
    ("Заңгер", "Юрист", "Legal counsel"),
    ("Сатып алу бөлімінің маманы", "Специалист отдела закупок", "Procurement specialist"),
    ("Тіркеу кеңсесінің маманы", "Специалист офиса регистратора", "Registrar's office specialist"),
]
DEAN = ("Факультет деканы", "Декан факультета", "Dean of the faculty")
_LANGUAGES = ("kk", "ru", "en")


def position_in(titles: tuple[str, str, str], locale: str) -> str:
    return titles[_LANGUAGES.index(locale)]
