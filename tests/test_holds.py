"""Whether a sentence holds what a question asks for (`tilqa.answering.holds`): a fact of the
kind asked for, a definition of the term, an abbreviation's expansion, the thing an exclusion
question sets aside named alone. Pure functions of the text: fast tier."""

import pytest

from tilqa.answering.holds import defines, expands, has_type, sets_aside


@pytest.mark.parametrize(
    "text, kind, expected",
    [
        ("The deal was worth $210 million.", "money", True),
        ("The deal secured the supply chain.", "money", False),
        ("The study enrolled 66 patients.", "number", True),
        ("It has multiple ongoing Phase 2 studies.", "number", True),
        ("The pivotal Phase 2 C-144-01 trial evaluated PD-1 blockade.", "number", False),
        ("It was renamed in 2017.", "year", True),
        ("Production spans 5–7 weeks from resection.", "duration", True),
        ("It takes about three months.", "duration", True),
        ("Production was shortened considerably.", "duration", False),
        ("It was renamed recently.", "year", False),
        ("The response rate was 31.4%.", "percent", True),
        ("Response rates increased.", "percent", False),
        ("Patients receive up to six doses of IL-2.", "dose", True),
        ("Dr. Smith leads the company.", "person", True),
        ("The assay takes 10 ms to read.", "person", False),
        ("The company is led by its founder.", "person", True),
        ("It treats head and neck cancers.", "person", False),
        ("The company is headquartered in San Carlos.", "place", True),
        ("It expands into Europe.", "place", False),
        ("It files in Europe and Canada.", "place", True),
        ("Anything at all.", None, True),
    ],
)
def test_has_type(text: str, kind: str | None, expected: bool) -> None:
    assert has_type(text, kind) is expected


@pytest.mark.parametrize(
    "text, term, expected",
    [
        ("TIL therapy involves the isolation of immune cells from the tumor.", "TIL therapy", True),
        ("The company’s lead product candidate, lifileucel, is designed for melanoma.", "lifileucel", True),
        ("It acquired the rights to Proleukin® (aldesleukin) from Clinigen.", "Proleukin", True),
        ("Tumor infiltrating lymphocyte (TIL) therapy is its focus.", "TIL", True),
        ("It combines TILs with pembrolizumab—a PD‑1 inhibitor.", "pembrolizumab", True),
        ("By leveraging techniques such as TALEN® gene editing, it edits TILs.", "TALEN", True),
        ("Lifileucel is a one-time cell therapy.", "lifileucel", True),
        ("Lifileucel, which is a one-time cell therapy, is in trials.", "lifileucel", True),
        # A plural term is defined by its singular's gloss, and the reverse.
        ("It develops tumor infiltrating lymphocyte (TIL) therapy.", "TILs", True),
        ("Tumor infiltrating lymphocytes (TILs) are immune cells.", "TIL", True),
        # Mentions that say nothing of what the term is.
        ("The integration of Proleukin® is pivotal for reducing costs.", "Proleukin", False),
        ("Several studies are focused on lifileucel in solid tumors.", "lifileucel", False),
        ("The manufacturing process for TILs is inherently complex.", "TILs", False),
        # A relative clause about the term, not a copula saying what it is.
        ("It improves the fitness of TILs, which are believed to persist longer.", "TILs", False),
    ],
)
def test_defines(text: str, term: str, expected: bool) -> None:
    assert defines(text, term) is expected


# -- Dates, measures, places and organisations (issue 21) ----------------------------------------


@pytest.mark.parametrize(
    "text, kind, expected",
    [
        ("The report is dated 20 March 2025.", "date", True),
        ("Results are expected in the second half of the year.", "date", True),
        ("Top-line data are due in Q3.", "date", True),
        ("The filing is planned for next year.", "date", True),
        ("Cells are infused within 22 days of resection.", "date", True),
        ("Production spans 5–7 weeks from tumor resection.", "date", True),
        ("The company may file soon.", "date", False),
        ("Iovance submitted a rolling Biologics License Application for lifileucel.", "date", False),
        ("Median overall survival was 13.9 months.", "measure", True),
        ("The objective response rate was 31.4%.", "measure", True),
        ("Patients received 2 mg/kg every three weeks.", "measure", True),
        ("Responses were seen in 24 of 66 patients.", "measure", True),
        ("The trial reported encouraging objective response rates (ORRs).", "measure", False),
        ("The pivotal Phase 2 C-144-01 trial showed durable responses.", "measure", False),
        ("The company is headquartered in San Carlos.", "place", True),
        ("It has a centralized high-throughput manufacturing facility.", "place", False),
        ("It works with Ohio State University.", "organisation", True),
        ("It acquired the rights from Clinigen Limited.", "organisation", True),
        ("It works with the University of Pittsburgh.", "organisation", True),
        ("A major research hospital runs the trial.", "organisation", False),
        ("The head and neck trial is C-145-03.", "identifier", True),
        ("TILVANCE-301 compares the combination with pembrolizumab alone.", "identifier", True),
        ("It is registered as NCT05727904.", "identifier", True),
        ("It treats post-anti-PD-1 NSCLC, with IL-2 support, in COVID-19 times.", "identifier", False),
        ("Dr. Amod Sarnaik, the trial's principal investigator, presented the data.", "person", True),
        # Two measures compared: the figures answer, and so does the way they differ.
        ("Adding pembrolizumab leads to increased overall response rates.", "compared measure", True),
        ("Responses were seen in 24 of 66 patients.", "compared measure", True),
        ("Adding pembrolizumab is under study.", "compared measure", False),
    ],
)
def test_has_type_of_dates_measures_places_and_organisations(text: str, kind: str, expected: bool) -> None:
    assert has_type(text, kind) is expected


def test_a_date_asked_of_a_founding_is_not_that_of_a_renaming() -> None:
    question = "In what year was Lion Biotechnologies founded?"
    assert has_type("The company was established in 2007 as Genesis Biopharma.", "year", question)
    assert has_type("Founded in 2007 and renamed in 2017, the company makes cells.", "year", question)
    assert has_type("The community has its origins in the 1951 agreement.", "year", question)
    assert not has_type("Originally known as Lion Biotechnologies, it took its current name in 2017.", "year", question)
    assert not has_type("The company was renamed Iovance in 2017.", "year", "When was Iovance established?")
    assert has_type("It took its current name in 2017.", "year", "When did Lion Biotechnologies take its current name?")


def test_a_named_place_is_a_place_or_a_name_the_question_does_not_hold() -> None:
    question = "Which country used to rule California?"
    assert has_type("California was ruled by Spain until 1821.", "named place", question)
    assert has_type("It was ruled from Madrid.", "named place", question)
    assert not has_type("California was once ruled from abroad.", "named place", question)
    # A question asking where something is based is held to the stricter check.
    assert not has_type("The company Clinigen makes Proleukin.", "place", "where is the plant located")


def test_an_organisation_is_a_name_the_question_does_not_hold() -> None:
    question = "which company licensed the TALEN gene editing technology to Iovance?"
    assert has_type("Its TALEN technology was licensed from Cellectis.", "organisation", question)
    # Iovance and TALEN are named by the question itself: the sentence names no other organisation.
    assert not has_type("Iovance uses TALEN gene editing on its cells.", "organisation", question)
    assert not has_type("In March, Iovance began using TALEN.", "organisation", question)


# -- Exclusions and abbreviations ----------------------------------------------------------------


@pytest.mark.parametrize(
    "text, aside, expected",
    [
        # Names X and nothing beside it: an answer about X.
        ("A notable initiative is the acquisition of rights to Proleukin® (aldesleukin) from Clinigen Limited.", "Proleukin", True),
        ("By leveraging techniques such as TALEN® gene editing, the company aims to inactivate PD-1.", "TALEN", True),
        ("The company is refining its protocols to shorten the production timeline, which spans 5–7 weeks.", "shortening the timeline", True),
        # X as one of several, or set aside by the sentence itself.
        ("Beyond melanoma, Iovance is expanding its testing to cervical cancer.", "melanoma", False),
        ("Patients have progressed on prior anti-PD-1 treatments or targeted therapies.", "anti-PD-1 therapy", False),
        ("It works with H. Lee Moffitt Cancer Center, MD Anderson Cancer Center, and Ohio State University.", "Moffitt", False),
        ("High manufacturing costs, logistical complexity, and the need for specialized centers slow uptake.", "high manufacturing costs", False),
        ("Steam comes from burning fuel in a closed space (called variously combustion chamber, firebox).", "firebox", False),
        # Does not name X (all of its content words) at all.
        ("New methods focus on enhancing the metabolic health of TILs.", "shortening the timeline", False),
    ],
)
def test_sets_aside(text: str, aside: str, expected: bool) -> None:
    assert sets_aside(text, aside) is expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("At the core is the development of tumor infiltrating lymphocyte (TIL) therapy.", True),
        ("TIL (tumor-infiltrating lymphocyte) therapy uses the patient's own cells.", True),
        ("TIL stands for tumor-infiltrating lymphocyte.", True),
        ("TILs are naturally primed to recognize tumor antigens.", False),
        ("The TIL product is made in one facility (in New Jersey).", False),
    ],
)
def test_expands(text: str, expected: bool) -> None:
    assert expands(text, "TIL") is expected
