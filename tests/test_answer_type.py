import pytest

from tilqa.answer_type import definition_term, defines, expected_type, has_type


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
        ("When was the trial started?", "year"),
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
        ("what is the TILVANCE-301 study comparing", None),
        ("Who is the CEO of Iovance?", None),
        ("Which IL-2 product did Iovance acquire?", None),
    ],
)
def test_definition_term(question: str, term: str | None) -> None:
    assert definition_term(question) == term


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
