"""The words the demo data is made of: first and last names, phone area codes, visit reasons and
cancellation reasons. All synthetic; names mix the many origins of a New York practice's patients,
with accents and apostrophes so that screens and printouts meet them early."""

from __future__ import annotations

from typing import Final

FEMALE_NAMES: Final = (
    "Aaliyah", "Abigail", "Adaeze", "Aiko", "Aisha", "Alejandra", "Alice", "Amelia", "Ana", "Anjali",
    "Ava", "Beatriz", "Bianca", "Camila", "Carmen", "Charlotte", "Chiamaka", "Chloe", "Claire", "Dalia",
    "Deborah", "Diana", "Elena", "Eliza", "Emily", "Emma", "Esther", "Fatima", "Fiona", "Gabriela",
    "Hana", "Hannah", "Ingrid", "Isabella", "Ivy", "Jasmine", "Jia", "Joanna", "Julia", "Kamala",
    "Keiko", "Laila", "Lakshmi", "Leah", "Lena", "Lucia", "Lucy", "Madison", "Mai", "Maria",
    "Mariam", "Maya", "Mei", "Mia", "Mina", "Nadia", "Naomi", "Natalia", "Nia", "Nora",
    "Olivia", "Paula", "Priya", "Rachel", "Rosa", "Ruth", "Sakura", "Samira", "Sara", "Sienna",
    "Sofia", "Sophie", "Stella", "Tamar", "Tanisha", "Teresa", "Valentina", "Victoria", "Wen", "Yara",
    "Yasmin", "Yuki", "Zainab", "Zara", "Zoe", "Agnieszka", "Bronwyn", "Dagny", "Folake", "Giulia",
    "Ifeoma", "Kalani", "Leilani", "Marisol", "Noor", "Oksana", "Renata", "Siobhan", "Thandiwe", "Ximena",
)
MALE_NAMES: Final = (
    "Aarav", "Adam", "Ahmed", "Alejandro", "Ali", "Andre", "Andrew", "Antonio", "Arjun", "Benjamin",
    "Bilal", "Carlos", "Chen", "Chinedu", "Christopher", "Daniel", "David", "Diego", "Dmitri", "Elijah",
    "Emeka", "Ethan", "Farid", "Felipe", "Gabriel", "George", "Hamza", "Haruto", "Hassan", "Henry",
    "Hugo", "Ibrahim", "Isaac", "Ivan", "Jacob", "James", "Jamal", "Javier", "Jin", "John",
    "Jorge", "Joseph", "Juan", "Kenji", "Kofi", "Kwame", "Liam", "Lucas", "Luis", "Malik",
    "Marco", "Mateo", "Matthew", "Michael", "Minh", "Mohammed", "Noah", "Oliver", "Omar", "Oscar",
    "Pablo", "Patrick", "Pedro", "Rahul", "Rafael", "Ravi", "Ricardo", "Samuel", "Santiago", "Sebastian",
    "Sergei", "Tariq", "Thomas", "Tobias", "Tuan", "Victor", "Wei", "William", "Yusuf", "Zhang",
    "Akira", "Bongani", "Caleb", "Declan", "Eitan", "Finn", "Goran", "Idris", "Jabari", "Kai",
    "Lars", "Mikael", "Nikhil", "Obinna", "Pierre", "Quentin", "Rashid", "Stefan", "Tomasz", "Xavier",
)
NEUTRAL_NAMES: Final = ("Alex", "Avery", "Casey", "Jordan", "Morgan", "Quinn", "Riley", "Rowan", "Sage", "Taylor")
LAST_NAMES: Final = (
    "Abara", "Adeyemi", "Ahmed", "Alvarez", "Andersen", "Bailey", "Banerjee", "Becker", "Bennett", "Brooks",
    "Campbell", "Castillo", "Chang", "Chen", "Cohen", "Costa", "Cruz", "Das", "Diaz", "Dubois",
    "Edwards", "Eriksen", "Evans", "Fernandez", "Fischer", "Flores", "Foster", "Garcia", "Goldberg", "Gomez",
    "Gonzalez", "Gupta", "Haddad", "Hall", "Hansen", "Hernandez", "Hoang", "Hughes", "Ibrahim", "Ito",
    "Jackson", "Jensen", "Johnson", "Kapoor", "Kaur", "Khan", "Kim", "Kowalski", "Kumar", "Lee",
    "Lewis", "Lopez", "Martin", "Martinez", "Mendoza", "Meyer", "Miller", "Mitchell", "Moreno", "Murphy",
    "Nakamura", "Nguyen", "Novak", "O'Brien", "Okafor", "Okeke", "Olsen", "Ortiz", "Park", "Patel",
    "Perez", "Petrov", "Phillips", "Ramirez", "Rao", "Reyes", "Rivera", "Robinson", "Rodriguez", "Rossi",
    "Sanchez", "Santos", "Sato", "Schmidt", "Shah", "Silva", "Singh", "Smith", "Sokolov", "Suzuki",
    "Tanaka", "Thompson", "Torres", "Tran", "Walker", "Wang", "Washington", "Williams", "Wong", "Yamamoto",
    "Zhang", "Zielinski", "Mbeki", "Nwosu", "Van der Berg", "García-López", "Müller", "Phạm", "Søndergaard",
    "Björk",
)
AREA_CODES: Final = ("212", "315", "347", "516", "518", "585", "607", "631", "646", "716", "718", "845", "914", "917")

# Reasons for a visit, one group per visit type (in demo.schedule.VISIT_TYPES order).
REASONS: Final[tuple[tuple[str, ...], ...]] = (
    ("New patient visit", "Establish care", "Transfer of care", "New patient: general check-up"),
    ("Cough", "Blood pressure check", "Knee pain", "Back pain", "Sore throat", "Diabetes follow-up",
     "Medication review", "Rash", "Headache", "Lab results", "Ear pain", "Fatigue", "Follow-up visit",
     "Asthma review", "Cholesterol follow-up", "Ankle sprain", "Anxiety follow-up", "Urinary symptoms"),
    ("Annual physical", "Well visit", "Sports physical", "Pre-employment physical", "Well-child visit"),
    ("Flu shot", "Tdap booster", "COVID-19 booster", "Hepatitis B dose", "Shingles vaccine", "Pneumococcal vaccine"),
    ("Wart removal", "Skin tag removal", "Mole removal", "Cryotherapy", "Abscess drainage", "Ingrown toenail"),
)
CANCEL_REASONS: Final = (
    "Patient request", "Feeling better", "Schedule conflict", "Transportation", "Illness",
    "Weather", "Rescheduled", "Provider unavailable",
)

