"""What a question asks for (`tilqa.answering.asked`): the kind of fact, the term to define, the
abbreviation to spell out, what an exclusion question sets aside, what a comparison holds its
subject against, and `Asked`, which gathers them. Pure functions of the question: fast tier."""

import pytest

from tilqa.answering.asked import (
    Asked,
    asks_document_date,
    compared_sides,
    definition_term,
    excluded_term,
    expansion_term,
    expected_type,
    is_why_or_how,
    is_yes_no,
    question_names,
)


@pytest.mark.parametrize(
    "question, kind",
    [
        ("How much did they pay for the rights?", "money"),
        ("How much does a treatment cost?", "money"),
        ("What was Iovance's revenue in 2024?", "money"),
        ("How does Proleukin reduce the cost of goods?", None),
        ("How many employees are there?", "number"),
        ("How long does manufacturing take?", "duration"),
        ("How many weeks does manufacturing take?", "duration"),
        ("In what year was it founded?", "year"),
        ("When was the trial started?", "date"),
        ("How much better are the results?", None),
        ("how much progress has been made in lung cancer", None),
        ("how much revenue did they make last year", "money"),
        ("what does a course of treatment cost", "money"),
        ("What was the objective response rate in the trial?", "percent"),
        ("whats the exact response rate for lifileucel", "percent"),
        ("What’s the company's revenue?", "money"),
        ("does adding pembrolizumab improve response rates?", None),
        ("what dose of IL-2 do patients get", "dose"),
        ("Who is the CEO of Iovance?", "person"),
        ("who licensed the gene editing tech to them", None),
        ("where is the company headquartered", "place"),
        ("what do they need to prove to get insurers to pay", None),
        ("Which IL-2 product did Iovance acquire?", None),
    ],
)
def test_expected_type(question: str, kind: str | None) -> None:
    assert expected_type(question) == kind


@pytest.mark.parametrize(
    "question, term",
    [
        ("What is lifileucel?", "lifileucel"),
        ("what's TIL therapy", "TIL therapy"),
        ("What are TILs", "TILs"),
        ("who is Clinigen?", "Clinigen"),
        ("What does TALEN stand for?", "TALEN"),
        ("What is Proleukin used for?", "Proleukin"),
        ("What is the C-145-04 trial?", "C-145-04 trial"),
        # Relations and clauses name no term to define.
        ("What is the point of the phase III study?", None),
        ("what's the difference between TIL therapy and CAR-T cell therapy", None),
        ("what is iovance's lead product candidate", None),
        ("what was iovance called before", None),
        ("what is proleukin exactly", "proleukin"),  # a hedge is not part of the term
        ("What does the abbreviation TIL stand for?", "TIL"),  # nor what kind of word it is
        ("what does the term 'adoptive cell therapy' mean?", "adoptive cell therapy"),
        ("what's TALEN, really?", "TALEN"),
        ("what is the TILVANCE-301 study comparing", None),
        ("Who is the CEO of Iovance?", None),
        ("Which IL-2 product did Iovance acquire?", None),
    ],
)
def test_definition_term(question: str, term: str | None) -> None:
    assert definition_term(question) == term


# -- Dates, measures, places and organisations (issue 21) ----------------------------------------


@pytest.mark.parametrize(
    "question, kind",
    [
        ("When was the trial started?", "date"),
        ("When did the FDA grant accelerated approval?", "date"),
        ("On what date was the report written?", "date"),
        ("which month will the data be released", "date"),
        ("by when should the filing be complete?", "date"),
        ("what year was it founded", "year"),
        ("how does iovance lower the chance of contamination when making TILs", None),
        ("median overall survival for lifileucel patients in advanced melanoma", "measure"),
        ("What objective response rate did lifileucel achieve in the trial?", "measure"),
        ("what response rate was seen in the cervical cancer trial?", "measure"),
        ("Which had the higher response rate, the cervical trial or the head and neck trial?", "measure"),
        ("How does lifileucel's response rate compare with ipilimumab?", "compared measure"),
        ("how large is the tumor sample needed", "measure"),
        ("what was the progression-free survival?", "measure"),
        # Yes/no and why/how questions name a rate without asking for its figure.
        ("Does combining TIL with pembrolizumab improve response rates?", None),
        ("Why is the response rate higher with pembrolizumab?", None),
        ("In which city is the manufacturing facility located?", "named place"),
        ("which country is Iovance exploring submissions in", "named place"),
        ("The cities of Los Angeles and San Diego are a part of which state?", "named place"),
        ("What does critically tapered mean?", None),
        ("What is the magnitude of force divided by when external force is added?", None),
        ("besides its centralized facility, where else does it have manufacturing sites", "place"),
        ("where does iovance carry out its central research activities", None),
        ("which company licensed the TALEN technology to Iovance?", "organisation"),
        ("Which US regulatory agency is mentioned as evaluating TIL therapies?", "organisation"),
        ("which universities / cancer centres do they work with", "organisation"),
        ("What kind of company is Iovance Biotherapeutics?", None),
        ("why buy the rights - what does the company get out of it", None),
        ("What evidence do regulators require before approval?", None),
        # Endpoints by their abbreviations; a principal investigator is a person in a role.
        ("what ORR was reported for TIL plus pembrolizumab in cervical cancer?", "measure"),
        ("median PFS in the melanoma cohort", "measure"),
        ("what was the ORR?", "measure"),
        # Asking what a statistic is asks for its definition, not its figure.
        ("What is ORR?", None),
        ("what does PFS stand for", None),
        ("what's overall survival", None),
        ("who is the principal investigator of the c-144-01 trial", "person"),
        # A trial's identifier.
        ("What is the trial identifier of the registrational NSCLC study?", "identifier"),
        ("trial ID for the head and neck TIL study", "identifier"),
        ("what's the NCT number of TILVANCE-301", "identifier"),
        ("What is the development code for the PD-1-knockout TIL product?", "identifier"),
        # An identifier as the subject, or as the term a definition asks about, is not asked for.
        ("In what districts are the registration numbers for cars all of the same type?", None),
        ("What is a connection identifier?", None),
        # A yes/no question holding a date or a figure asks for one; a code or a phase is no figure.
        ("Was lifileucel approved by the FDA in February 2024?", "date"),
        ("What is the date of this report?", "date"),
        # What an abbreviation stands for is no figure, however the abbreviation is asked about.
        ("What does ORR mean in the trial results?", None),
        ("Does the TILVANCE-301 trial enrol more than 500 patients?", "measure"),
        ("Did more than 40 sites join the trial?", "number"),
        ("Is the C-144-01 trial a Phase 3 study?", None),
        ("does iovance work on PD-1 knockouts", None),
    ],
)
def test_expected_type_of_dates_measures_places_and_organisations(question: str, kind: str | None) -> None:
    assert expected_type(question) == kind


@pytest.mark.parametrize(
    "question, expected",
    [
        ("What date is this report on Iovance's R&D dated?", True),
        ("On what date was this Iovance R&D report written?", True),
        ("whats the date on this document", True),
        ("In what year was the report published?", True),
        ("When did the FDA approve lifileucel?", False),  # a date, not the document's
        ("What is this report about?", False),  # the document, not its date
    ],
)
def test_asks_document_date(question: str, expected: bool) -> None:
    assert asks_document_date(question) is expected


# -- Kinds of question with their own rule: yes/no and exclusion ---------------------------------


@pytest.mark.parametrize(
    "question, expected",
    [
        ("Does Iovance own the rights to Proleukin?", True),
        ("is there a phase 3 trial of lifileucel", True),
        ("Has lifileucel been approved by the EMA?", True),
        ("Which company licensed TALEN?", False),
        ("What is TIL therapy?", False),
    ],
)
def test_is_yes_no(question: str, expected: bool) -> None:
    assert is_yes_no(question) is expected


def test_question_names_are_capitalised_words_after_the_first_of_three_letters_or_more() -> None:
    assert question_names("Does Iovance have a manufacturing facility in Philadelphia?") == ["Iovance", "Philadelphia"]
    assert question_names("Has lifileucel been approved by the EMA in Europe?") == ["EMA", "Europe"]
    assert question_names("Is Iovance developing CAR-T cell therapies too?") == ["Iovance", "CAR-T"]
    assert question_names("is the phase 3 trial US only?") == []  # "US" reads as "us"


@pytest.mark.parametrize(
    "question, aside",
    [
        ("other than melanoma, which cancers is Iovance testing TIL therapy in?", "melanoma"),
        ("Besides Moffitt, which cancer centers does Iovance collaborate with?", "Moffitt"),
        ("besides the FDA which regulator has to evaluate TIL therapies", "the FDA"),
        ("Apart from TALEN, does Iovance use CRISPR?", "TALEN"),
        ("Other than melanoma, in which tumors did pembrolizumab raise response rates?", "melanoma"),
        ("besides cervical, head and neck and lung cancer, what other tumor types", "cervical, head and neck and lung cancer"),
        ("Which cancers other than melanoma is Iovance testing?", "melanoma"),
        ("Which cancers is Iovance testing?", None),
        ("What lies beyond the horizon?", None),
    ],
)
def test_excluded_term(question: str, aside: str | None) -> None:
    assert excluded_term(question) == aside


@pytest.mark.parametrize(
    "question, abbreviation",
    [
        ("what does TIL stand for", "TIL"),
        ("What is BLA short for?", "BLA"),
        ("what does the acronym ORR mean", "ORR"),
        ("What does ORR mean in the trial results?", "ORR"),  # written as an abbreviation
        ("What does the abbreviation TIL stand for?", "TIL"),
        ("What does Iovance mean?", None),
        ("What does LGM stands for?", "LGM"),
        ("What does TIL therapy do?", None),
        ("what is TIL", None),  # a definition: any defining sentence answers it
    ],
)
def test_expansion_term(question: str, abbreviation: str | None) -> None:
    assert expansion_term(question) == abbreviation


@pytest.mark.parametrize(
    "question, sides",
    [
        ("how is TIL therapy different from CAR-T", ["CAR-T"]),
        ("How does TIL therapy compare with CAR-T cell therapy for solid tumors?", ["CAR-T cell therapy"]),
        ("How do TILs differ from CAR-T cell therapy in manufacturing cost?", ["CAR-T cell therapy"]),
        ("what's the difference between TIL therapy and CAR-T cell therapy", ["TIL therapy", "CAR-T cell therapy"]),
        ("lifileucel plus pembrolizumab versus pembrolizumab alone - which works better?", ["pembrolizumab alone"]),
        ("What is lifileucel plus pembrolizumab being compared against?", []),
        ("What is TIL therapy?", []),
    ],
)
def test_compared_sides(question: str, sides: list[str]) -> None:
    assert compared_sides(question) == sides


@pytest.mark.parametrize(
    "question, expected",
    [
        ("Why is making TILs so tricky?", True),
        ("how do they actually make a TIL treatment out of a patient's own tumor?", True),
        ("How many patients were treated?", False),
        ("how long does production take", False),
        ("What is TIL therapy?", False),
    ],
)
def test_is_why_or_how(question: str, expected: bool) -> None:
    assert is_why_or_how(question) is expected


# -- Asked: all of it, worked out once -----------------------------------------------------------


@pytest.mark.parametrize(
    "question, expected",
    [
        (
            "When was this company report written?",
            Asked(kind="date", term=None, abbreviation=None, aside=None, document_date=True, why_or_how=False),
        ),
        (
            "What does TIL stand for?",
            Asked(kind=None, term="TIL", abbreviation="TIL", aside=None, document_date=False, why_or_how=False),
        ),
        (
            "Other than melanoma, which cancers is Iovance testing?",
            Asked(kind=None, term=None, abbreviation=None, aside="melanoma", document_date=False, why_or_how=False),
        ),
        (
            "Why is making TILs so tricky?",
            Asked(kind=None, term=None, abbreviation=None, aside=None, document_date=False, why_or_how=True),
        ),
    ],
)
def test_asked_gathers_what_a_question_asks_for(question: str, expected: Asked) -> None:
    assert Asked.of(question) == expected
